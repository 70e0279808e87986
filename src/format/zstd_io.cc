#include "format/zstd_io.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>
#include <zstd.h>

namespace decant {

namespace {

constexpr uint32_t kSeekTableMagic = 0x184D2A5E;
constexpr uint32_t kSeekableFooterMagic = 0x8F92EAB1;
constexpr size_t kSeekTableFooterBytes = 9;  // Number_Of_Frames, descriptor, magic
constexpr uint8_t kSeekTableChecksumFlag = 0x80;
constexpr uint8_t kSeekTableReservedBits = 0x7C;
// The frame index: a skippable frame with this magic whose content starts with kIndexTag.
constexpr uint32_t kFrameIndexMagic = 0x184D2A5D;
constexpr std::string_view kIndexTag = "decant-frame-index\n";
// Structural lines are small; past this much text (a transform writing odd lines, say) the
// index would cost more than reading the archive, so none is written.
constexpr size_t kMaxIndexedBytes = 64 << 20;

// Decompressed bytes per hand-off chunk; a few chunks in flight keep memory bounded.
constexpr size_t kChunkBytes = 1 << 20;
constexpr size_t kChunkCount = 3;

void append_u32le(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

uint32_t load_u32le(const char* bytes) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

Status zstd_error(const char* what, size_t code) {
  return Status::internal(std::string(what) + ": " + ZSTD_getErrorName(code));
}

Status compress_frame(ZSTD_CCtx* cctx, int level, const std::string& input, std::string& output) {
  if (cctx == nullptr) return Status::internal("cannot allocate a zstd compression context");
  const std::pair<ZSTD_cParameter, int> parameters[] = {
      {ZSTD_c_compressionLevel, level}, {ZSTD_c_checksumFlag, 1}, {ZSTD_c_contentSizeFlag, 1}};
  for (const auto& [parameter, value] : parameters) {
    size_t rc = ZSTD_CCtx_setParameter(cctx, parameter, value);
    if (ZSTD_isError(rc)) return zstd_error("setting zstd parameter", rc);
  }
  output.resize(ZSTD_compressBound(input.size()));
  size_t size = ZSTD_compress2(cctx, output.data(), output.size(), input.data(), input.size());
  if (ZSTD_isError(size)) return zstd_error("zstd compression failed", size);
  output.resize(size);
  return Status::ok();
}

// Hands back bytes already read (the sniffed magic) before the rest of the stream.
class ReplayingSource : public ByteSource {
 public:
  ReplayingSource(std::string head, std::unique_ptr<ByteSource> rest)
      : head_(std::move(head)), rest_(std::move(rest)) {}

  Result<size_t> read(char* buffer, size_t capacity) override {
    if (head_pos_ == head_.size()) return rest_->read(buffer, capacity);
    size_t n = std::min(capacity, head_.size() - head_pos_);
    std::memcpy(buffer, head_.data() + head_pos_, n);
    head_pos_ += n;
    return n;
  }

 private:
  std::string head_;
  size_t head_pos_ = 0;
  std::unique_ptr<ByteSource> rest_;
};

bool is_zstd_magic(uint32_t magic) {
  return magic == ZSTD_MAGICNUMBER ||
         (magic & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START;
}

Status pread_exactly(int fd, char* buffer, size_t size, uint64_t offset) {
  while (size > 0) {
    ssize_t n = ::pread(fd, buffer, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::source(std::string("reading seek table: ") + std::strerror(errno));
    if (n == 0) return Status::archive("seek table: file shrank while being read");
    buffer += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
  return Status::ok();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// ZstdSink

ZstdSink::ZstdSink(ByteSink& inner, ZstdSinkOptions options)
    : inner_(inner), level_(options.level), frame_bytes_(std::max<size_t>(options.frame_bytes, 1)) {
  int threads = options.threads > 0 ? options.threads
                                    : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::max(threads, 1);
  max_in_flight_ = 2 * static_cast<size_t>(threads);
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { compress_loop(); });
}

ZstdSink::~ZstdSink() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_available_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

Status ZstdSink::write(std::string_view bytes) {
  if (finished_) return Status::internal("zstd sink written after finish");
  if (!failure_) return failure_;
  pending_.append(bytes);
  size_t start = 0;
  for (size_t end; (end = next_frame_end(start)) != 0; start = end) {
    Status status = submit(pending_.substr(start, end - start));
    if (!status) {
      failure_ = status;
      return status;
    }
  }
  // One erase per write rather than per frame: a large write would otherwise move its tail
  // once for every frame cut from it.
  pending_.erase(0, start);
  return Status::ok();
}

// The end (exclusive) of the frame starting at `start`, or 0 while it cannot be decided yet:
// a shorter tail might still grow by more lines that fit.
size_t ZstdSink::next_frame_end(size_t start) {
  size_t available = pending_.size() - start;
  if (available < frame_bytes_) return 0;
  // Once the first frame_bytes are known to hold no '\n', only the tail needs scanning; this
  // keeps a very long line arriving in small writes linear.
  if (scanned_without_newline_ < frame_bytes_) {
    size_t last_newline = pending_.rfind('\n', start + frame_bytes_ - 1);
    if (last_newline != std::string::npos && last_newline >= start) {
      scanned_without_newline_ = 0;
      return last_newline + 1;
    }
  }
  size_t newline = pending_.find('\n', start + std::max(frame_bytes_, scanned_without_newline_));
  if (newline == std::string::npos) {
    scanned_without_newline_ = available;
    return 0;
  }
  scanned_without_newline_ = 0;
  return newline + 1;
}

Status ZstdSink::write_structural_line(std::string_view line, int64_t line_number) {
  structural_bytes_ += line.size();
  if (structural_bytes_ > kMaxIndexedBytes) {
    index_abandoned_ = true;
    std::vector<StructuralLine>().swap(structural_);
  }
  if (!index_abandoned_) {
    std::string_view text = line.substr(0, line.size() - (!line.empty() && line.back() == '\n'));
    structural_.push_back(StructuralLine{line_number, std::string(text)});
  }
  return write(line);
}

Status ZstdSink::submit(std::string frame) {
  auto job = std::make_unique<Job>();
  job->input_size = frame.size();
  job->input = std::move(frame);
  {
    std::lock_guard lock(mutex_);
    queued_.push_back(job.get());
  }
  work_available_.notify_one();
  in_flight_.push_back(std::move(job));
  return write_finished_frames(max_in_flight_);
}

Status ZstdSink::write_finished_frames(size_t max_in_flight) {
  while (!in_flight_.empty()) {
    Job& head = *in_flight_.front();
    {
      std::unique_lock lock(mutex_);
      if (!head.done && in_flight_.size() <= max_in_flight) return Status::ok();
      job_done_.wait(lock, [&] { return head.done; });
    }
    Status status = write_frame(head);
    in_flight_.pop_front();
    DECANT_TRY(status);
  }
  return Status::ok();
}

Status ZstdSink::write_frame(Job& job) {
  DECANT_TRY(job.status);
  constexpr size_t kMaxEntry = std::numeric_limits<uint32_t>::max();
  if (job.input_size > kMaxEntry || job.output.size() > kMaxEntry) {
    return Status::target("a zstd frame of " + std::to_string(job.input_size) +
                          " bytes exceeds the seek table's 4 GiB limit (one line that long "
                          "cannot be framed)");
  }
  DECANT_TRY(inner_.write(job.output));
  seek_entries_.push_back(SeekEntry{static_cast<uint32_t>(job.output.size()),
                                    static_cast<uint32_t>(job.input_size)});
  frame_lines_.push_back(job.lines);
  return Status::ok();
}

// Written only for archives whose writer marked its structural lines, starting with the header
// as line 1, and whose line count the frames confirm; it enters the seek table as a frame that
// decompresses to nothing.
Status ZstdSink::write_frame_index() {
  int64_t lines = 0;
  nlohmann::json first_lines = nlohmann::json::array();
  for (int64_t count : frame_lines_) {
    first_lines.push_back(lines + 1);
    lines += count;
  }
  if (index_abandoned_ || structural_.empty() || structural_.front().line != 1 || structural_.back().line > lines)
    return Status::ok();
  nlohmann::json structural = nlohmann::json::array();
  for (const StructuralLine& line : structural_) structural.push_back(nlohmann::json::array({line.line, line.text}));
  std::string content(kIndexTag);
  content += nlohmann::json{{"first_lines", first_lines}, {"lines", structural}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (content.size() > std::numeric_limits<uint32_t>::max() - 8) return Status::ok();
  std::string frame;
  append_u32le(frame, kFrameIndexMagic);
  append_u32le(frame, static_cast<uint32_t>(content.size()));
  frame += content;
  DECANT_TRY(inner_.write(frame));
  seek_entries_.push_back(SeekEntry{static_cast<uint32_t>(frame.size()), 0});
  return Status::ok();
}

Status ZstdSink::write_seek_table() {
  uint64_t payload = seek_entries_.size() * 8 + kSeekTableFooterBytes;
  if (seek_entries_.size() > std::numeric_limits<uint32_t>::max() ||
      payload > std::numeric_limits<uint32_t>::max()) {
    return Status::target("too many zstd frames for a seek table");
  }
  std::string table;
  table.reserve(8 + payload);
  append_u32le(table, kSeekTableMagic);
  append_u32le(table, static_cast<uint32_t>(payload));
  for (const SeekEntry& entry : seek_entries_) {
    append_u32le(table, entry.compressed_size);
    append_u32le(table, entry.decompressed_size);
  }
  append_u32le(table, static_cast<uint32_t>(seek_entries_.size()));
  table.push_back('\0');  // descriptor: no per-entry checksums
  append_u32le(table, kSeekableFooterMagic);
  return inner_.write(table);
}

Status ZstdSink::finish() {
  if (finished_) return Status::internal("zstd sink finished twice");
  finished_ = true;
  DECANT_TRY(failure_);
  Status status = Status::ok();
  if (!pending_.empty()) status = submit(std::exchange(pending_, std::string()));
  if (status) status = write_finished_frames(0);
  if (status) status = write_frame_index();
  if (status) status = write_seek_table();
  if (status) status = inner_.finish();
  failure_ = status;
  return status;
}

void ZstdSink::compress_loop() {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  for (;;) {
    Job* job;
    {
      std::unique_lock lock(mutex_);
      work_available_.wait(lock, [&] { return stopping_ || !queued_.empty(); });
      if (stopping_) return;  // finished or abandoned: queued jobs are no longer wanted
      job = queued_.front();
      queued_.pop_front();
    }
    std::string output;
    Status status = compress_frame(cctx.get(), level_, job->input, output);
    job->lines = static_cast<int64_t>(std::count(job->input.begin(), job->input.end(), '\n'));
    std::string().swap(job->input);  // halves the memory a waiting frame holds
    {
      std::lock_guard lock(mutex_);
      job->output = std::move(output);
      job->status = std::move(status);
      job->done = true;
    }
    job_done_.notify_one();
  }
}

// ---------------------------------------------------------------------------------------------
// ZstdSource

ZstdSource::ZstdSource(std::unique_ptr<ByteSource> inner, std::string name)
    : inner_(std::move(inner)), name_(std::move(name)), free_(kChunkCount) {
  producer_ = std::thread([this] { decompress_loop(); });
}

ZstdSource::~ZstdSource() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  chunk_free_.notify_all();
  producer_.join();
}

Result<size_t> ZstdSource::read(char* buffer, size_t capacity) {
  while (current_pos_ == current_.size) {
    std::unique_lock lock(mutex_);
    if (current_.data) {
      free_.push_back(std::exchange(current_, Chunk{}));
      chunk_free_.notify_one();
    }
    chunk_ready_.wait(lock, [&] { return !ready_.empty() || producer_done_; });
    if (ready_.empty()) {
      if (!producer_status_) return producer_status_;
      return size_t{0};
    }
    current_ = std::move(ready_.front());
    ready_.pop_front();
    current_pos_ = 0;
  }
  size_t n = std::min(capacity, current_.size - current_pos_);
  std::memcpy(buffer, current_.data.get() + current_pos_, n);
  current_pos_ += n;
  return n;
}

void ZstdSource::decompress_loop() {
  Status status = decompress_all();
  // Whatever decoded before an error still reaches the consumer, ahead of the error.
  if (filling_.size > 0) publish_filling();
  {
    std::lock_guard lock(mutex_);
    producer_done_ = true;
    producer_status_ = std::move(status);
  }
  chunk_ready_.notify_one();
}

bool ZstdSource::take_free_chunk() {
  std::unique_lock lock(mutex_);
  chunk_free_.wait(lock, [&] { return stopping_ || !free_.empty(); });
  if (stopping_) return false;
  filling_ = std::move(free_.front());
  free_.pop_front();
  filling_.size = 0;
  if (!filling_.data) filling_.data = std::make_unique_for_overwrite<char[]>(kChunkBytes);
  return true;
}

void ZstdSource::publish_filling() {
  {
    std::lock_guard lock(mutex_);
    ready_.push_back(std::exchange(filling_, Chunk{}));
  }
  chunk_ready_.notify_one();
}

Status ZstdSource::decompress_all() {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!dctx) return Status::internal("cannot allocate a zstd decompression context");
  std::vector<char> input(ZSTD_DStreamInSize());
  ZSTD_inBuffer in{input.data(), 0, 0};
  uint64_t input_offset = 0;       // compressed offset of input[0]
  size_t frame_unfinished = 0;     // ZSTD_decompressStream's last hint; 0 between frames
  bool output_may_be_pending = false;
  bool frame_gave_output = false;
  for (;;) {
    if (!filling_.data && !take_free_chunk()) return Status::ok();
    // A full output buffer may leave decoded bytes inside zstd; flush them before reading more.
    if (in.pos == in.size && !output_may_be_pending) {
      input_offset += in.size;
      Result<size_t> n = inner_->read(input.data(), input.size());
      if (!n) return n.take_status();
      if (*n == 0) break;
      in = ZSTD_inBuffer{input.data(), *n, 0};
    }
    ZSTD_outBuffer out{filling_.data.get() + filling_.size, kChunkBytes - filling_.size, 0};
    size_t rc = ZSTD_decompressStream(dctx.get(), &out, &in);
    if (ZSTD_isError(rc)) {
      return Status::archive(name_ + ": corrupt zstd data at compressed byte " +
                             std::to_string(input_offset + in.pos) + ": " + ZSTD_getErrorName(rc));
    }
    filling_.size += out.pos;
    frame_gave_output |= out.pos > 0;
    if (rc == 0 && frame_gave_output) {
      ++frames_decompressed_;
      frame_gave_output = false;
    }
    frame_unfinished = rc;
    // rc == 0 means the frame is fully flushed; calling again then would start a new frame.
    output_may_be_pending = rc != 0 && out.pos == out.size;
    if (filling_.size == kChunkBytes) publish_filling();
  }
  if (frame_unfinished != 0) {
    return Status::archive(name_ + ": truncated zstd frame at end of input (compressed byte " +
                           std::to_string(input_offset) + ")");
  }
  return Status::ok();
}

// ---------------------------------------------------------------------------------------------

Result<std::unique_ptr<ByteSource>> open_archive_source(std::unique_ptr<ByteSource> raw,
                                                        std::string name) {
  std::string head(4, '\0');
  size_t got = 0;
  while (got < head.size()) {
    Result<size_t> n = raw->read(head.data() + got, head.size() - got);
    if (!n) return n.take_status();
    if (*n == 0) break;
    got += *n;
  }
  head.resize(got);
  bool compressed = got == 4 && is_zstd_magic(load_u32le(head.data()));
  auto replaying = std::make_unique<ReplayingSource>(std::move(head), std::move(raw));
  if (compressed) {
    return std::unique_ptr<ByteSource>(
        std::make_unique<ZstdSource>(std::move(replaying), std::move(name)));
  }
  return std::unique_ptr<ByteSource>(std::move(replaying));
}

Result<std::vector<SeekTableEntry>> read_seek_table(int fd) {
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    return Status::source(std::string("reading seek table: ") + std::strerror(errno));
  }
  std::vector<SeekTableEntry> entries;
  if (!S_ISREG(info.st_mode)) return entries;
  const uint64_t file_size = static_cast<uint64_t>(info.st_size);
  if (file_size < kSeekTableFooterBytes) return entries;

  char footer[kSeekTableFooterBytes];
  DECANT_TRY(pread_exactly(fd, footer, sizeof footer, file_size - sizeof footer));
  if (load_u32le(footer + 5) != kSeekableFooterMagic) return entries;
  const uint32_t frame_count = load_u32le(footer);
  const auto descriptor = static_cast<uint8_t>(footer[4]);
  if (descriptor & kSeekTableReservedBits) {
    return Status::archive("seek table: reserved descriptor bits are set");
  }
  const uint64_t entry_bytes = (descriptor & kSeekTableChecksumFlag) ? 12 : 8;
  const uint64_t payload = frame_count * entry_bytes + kSeekTableFooterBytes;
  if (8 + payload > file_size) {
    return Status::archive("seek table: " + std::to_string(frame_count) +
                           " frames do not fit in the file");
  }
  const uint64_t table_offset = file_size - 8 - payload;
  std::string table(8 + payload - kSeekTableFooterBytes, '\0');
  DECANT_TRY(pread_exactly(fd, table.data(), table.size(), table_offset));
  if (load_u32le(table.data()) != kSeekTableMagic || load_u32le(table.data() + 4) != payload) {
    return Status::archive("seek table: skippable frame header does not match the footer");
  }

  entries.reserve(frame_count);
  uint64_t compressed_offset = 0;
  uint64_t decompressed_offset = 0;
  for (uint32_t i = 0; i < frame_count; ++i) {
    const char* entry = table.data() + 8 + i * entry_bytes;
    SeekTableEntry parsed{compressed_offset, load_u32le(entry), decompressed_offset,
                          load_u32le(entry + 4)};
    compressed_offset += parsed.compressed_size;
    decompressed_offset += parsed.decompressed_size;
    entries.push_back(parsed);
  }
  // Offsets are only meaningful if the frames fill the file up to the table (a concatenation
  // of two seekable files, for instance, fails this).
  if (compressed_offset != table_offset) {
    return Status::archive("seek table: frames add up to " + std::to_string(compressed_offset) +
                           " compressed bytes but the table starts at byte " +
                           std::to_string(table_offset));
  }
  return entries;
}

size_t FrameIndex::frame_of_line(int64_t line) const {
  auto after = std::upper_bound(first_line.begin(), first_line.end(), line);
  return after == first_line.begin() ? 0 : size_t(after - first_line.begin() - 1);
}

Result<std::optional<FrameIndex>> read_frame_index(int fd) {
  Result<std::vector<SeekTableEntry>> table = read_seek_table(fd);
  if (!table) return table.take_status();
  if (table->size() < 2 || table->back().decompressed_size != 0) return std::optional<FrameIndex>();
  const SeekTableEntry& entry = table->back();
  if (entry.compressed_size < 8 + kIndexTag.size()) return std::optional<FrameIndex>();
  std::string frame(entry.compressed_size, '\0');
  DECANT_TRY(pread_exactly(fd, frame.data(), frame.size(), entry.compressed_offset));
  if (load_u32le(frame.data()) != kFrameIndexMagic || std::string_view(frame).substr(8, kIndexTag.size()) != kIndexTag)
    return std::optional<FrameIndex>();
  auto bad = [](const std::string& what) { return Status::archive("frame index: " + what); };
  if (load_u32le(frame.data() + 4) != frame.size() - 8) return bad("its size does not match the seek table");
  nlohmann::json j = nlohmann::json::parse(frame.begin() + 8 + std::ptrdiff_t(kIndexTag.size()), frame.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("first_lines") || !j["first_lines"].is_array() ||
      !j.contains("lines") || !j["lines"].is_array())
    return bad("malformed");
  FrameIndex index;
  index.frames.assign(table->begin(), table->end() - 1);
  if (j["first_lines"].size() != index.frames.size()) return bad("its frame count differs from the seek table's");
  for (const auto& first : j["first_lines"]) {
    if (!first.is_number_integer() || first.get<int64_t>() < 1 ||
        (!index.first_line.empty() && first.get<int64_t>() < index.first_line.back()))
      return bad("line numbers of frames are not ascending");
    index.first_line.push_back(first.get<int64_t>());
  }
  for (const auto& line : j["lines"]) {
    if (!line.is_array() || line.size() != 2 || !line[0].is_number_integer() || !line[1].is_string() ||
        (!index.lines.empty() && line[0].get<int64_t>() <= index.lines.back().line))
      return bad("malformed line entry");
    index.lines.push_back(FrameIndex::Line{line[0].get<int64_t>(), line[1].get<std::string>()});
  }
  if (index.first_line.empty() || index.first_line.front() != 1 || index.lines.empty() || index.lines.front().line != 1)
    return bad("it does not start at line 1 with the header");
  return std::optional<FrameIndex>(std::move(index));
}

Result<std::string> read_first_line(int fd, size_t max_line_bytes) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!dctx) return Status::internal("cannot allocate a zstd decompression context");
  std::vector<char> input(ZSTD_DStreamInSize());
  std::vector<char> output(64 << 10);
  std::string line;
  uint64_t offset = 0;
  for (;;) {
    ssize_t n = ::pread(fd, input.data(), input.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::source(std::string("reading the first frame: ") + std::strerror(errno));
    if (n == 0) return Status::archive("the first frame ends before the first line does");
    offset += uint64_t(n);
    ZSTD_inBuffer in{input.data(), size_t(n), 0};
    while (in.pos < in.size) {
      ZSTD_outBuffer out{output.data(), output.size(), 0};
      size_t rc = ZSTD_decompressStream(dctx.get(), &out, &in);
      if (ZSTD_isError(rc)) return Status::archive(std::string("corrupt zstd data: ") + ZSTD_getErrorName(rc));
      std::string_view got(output.data(), out.pos);
      size_t newline = got.find('\n');
      line.append(got.substr(0, newline));
      if (newline != std::string_view::npos) return line;
      if (line.size() > max_line_bytes) return Status::archive("the first line is longer than the limit");
      if (rc == 0 && out.pos == 0) return Status::archive("the first frame ends before the first line does");
    }
  }
}

}  // namespace decant
