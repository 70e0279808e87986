// The frame index (SPEC 6.3) and the archive reader starting at a frame with it: the reader
// replays the streams declared before the frame, reads on from the frame's first line, and
// decompresses none of the frames before it.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "format/archive.h"
#include "format/zstd_io.h"
#include "sample_streams.h"

namespace decant {
namespace {

StreamInfo table(const std::string& name) { return testing::id_name_table(name); }

Record row(int64_t id) {
  Record r;
  r.add("id") = Value::of_int(id);
  r.add("name") = Value::of_text("name number " + std::to_string(id) + " with some padding to fill frames");
  return r;
}

// Stream "a" (ends early), "b" (runs across most frames), "c" (declared late); small frames.
std::string compressed_archive(bool structural_marks = true) {
  MemorySink file;
  ZstdSink zstd(file, ZstdSinkOptions{.level = 1, .threads = 2, .frame_bytes = 4096});
  ArchiveWriter w(zstd);
  SourceDescription src;
  src.backend = "test";
  src.location = "memory";
  EXPECT_TRUE(w.write_header(src));
  EXPECT_TRUE(w.begin_stream(table("a")));
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(w.write_record("a", row(i)));
  EXPECT_TRUE(w.end_stream("a"));
  EXPECT_TRUE(w.begin_stream(table("b")));
  for (int i = 0; i < 2000; ++i) EXPECT_TRUE(w.write_record("b", row(i)));
  EXPECT_TRUE(w.begin_stream(table("c")));
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(w.write_record("c", row(i)));
  EXPECT_TRUE(w.end_stream("b"));
  EXPECT_TRUE(w.end_stream("c"));
  EXPECT_TRUE(w.finish());
  if (structural_marks) return file.data();
  // The same lines written as plain bytes, as a transform would: no index.
  MemorySink plain_file;
  ZstdSink plain(plain_file, ZstdSinkOptions{.level = 1, .threads = 2, .frame_bytes = 4096});
  ZstdSource decoded(std::make_unique<MemorySource>(file.data()), "x");
  char buffer[65536];
  for (;;) {
    Result<size_t> n = decoded.read(buffer, sizeof buffer);
    EXPECT_TRUE(n);
    if (!n || *n == 0) break;
    EXPECT_TRUE(plain.write(std::string_view(buffer, *n)));
  }
  EXPECT_TRUE(plain.finish());
  return plain_file.data();
}

class File {
 public:
  explicit File(const std::string& bytes) {
    path_ = std::filesystem::temp_directory_path() / ("decant_frame_index_" + std::to_string(::getpid()) + ".zst");
    std::ofstream(path_, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    fd_ = ::open(path_.c_str(), O_RDONLY);
  }
  ~File() {
    ::close(fd_);
    std::filesystem::remove(path_);
  }
  int fd() const { return fd_; }

 private:
  std::filesystem::path path_;
  int fd_;
};

// Reads the whole archive sequentially: the line number of every record of `stream`.
std::vector<int64_t> record_lines(const std::string& bytes, const std::string& stream) {
  ZstdSource source(std::make_unique<MemorySource>(bytes), "x");
  ArchiveReader reader(source, "x");
  EXPECT_TRUE(reader.open());
  std::vector<int64_t> lines;
  for (;;) {
    Result<ArchiveEvent> e = reader.next();
    EXPECT_TRUE(e) << e.status().message();
    if (!e || *e == ArchiveEvent::kEnd) break;
    if (*e == ArchiveEvent::kRecord && reader.stream().name == stream) lines.push_back(reader.line_number());
  }
  return lines;
}

TEST(FrameIndex, RecordsEveryFramesFirstLineAndTheStructuralLines) {
  std::string bytes = compressed_archive();
  File file(bytes);
  Result<std::optional<FrameIndex>> index = read_frame_index(file.fd());
  ASSERT_TRUE(index) << index.status().message();
  ASSERT_TRUE(index->has_value());
  const FrameIndex& ix = **index;
  ASSERT_GT(ix.frames.size(), 20u);
  EXPECT_EQ(ix.first_line.front(), 1);
  // header, 3 stream lines, 3 end lines, trailer
  ASSERT_EQ(ix.lines.size(), 8u);
  EXPECT_EQ(ix.lines[0].line, 1);
  EXPECT_NE(ix.lines[0].text.find("\"t\":\"header\""), std::string::npos);
  EXPECT_EQ(ix.lines[1].line, 2);
  EXPECT_EQ(ix.lines[2].line, 53);  // a's end line after 50 records
  EXPECT_EQ(ix.lines.back().line, 2 + 50 + 1 + 1 + 2000 + 1 + 100 + 2 + 1);
  Result<std::string> first = read_first_line(file.fd(), 1 << 20);
  ASSERT_TRUE(first) << first.status().message();
  EXPECT_EQ(*first, ix.lines[0].text);
  // The frames' first lines agree with a sequential read: frame k starts where b's records say.
  std::vector<int64_t> b_lines = record_lines(bytes, "b");
  size_t k = ix.frames.size() / 2;
  EXPECT_EQ(ix.frame_of_line(ix.first_line[k]), k);
  EXPECT_EQ(ix.frame_of_line(ix.first_line[k] - 1), k - 1);
  EXPECT_TRUE(std::find(b_lines.begin(), b_lines.end(), ix.first_line[k]) != b_lines.end());
}

TEST(FrameIndex, ArchivesWrittenWithoutStructuralMarksHaveNone) {
  File file(compressed_archive(false));
  Result<std::optional<FrameIndex>> index = read_frame_index(file.fd());
  ASSERT_TRUE(index) << index.status().message();
  EXPECT_FALSE(index->has_value());
  Result<std::vector<SeekTableEntry>> table = read_seek_table(file.fd());
  ASSERT_TRUE(table);
  EXPECT_GT(table->size(), 20u);
}

// The index of compressed_archive(), read back from a file.
FrameIndex index_of(const std::string& bytes) {
  File file(bytes);
  Result<std::optional<FrameIndex>> index = read_frame_index(file.fd());
  EXPECT_TRUE(index && index->has_value());
  return index && index->has_value() ? std::move(**index) : FrameIndex();
}

TEST(FrameIndex, ReaderStartsAtAFrameWithoutDecompressingTheOnesBefore) {
  std::string bytes = compressed_archive();
  const FrameIndex ix = index_of(bytes);
  ASSERT_FALSE(ix.frames.empty());
  size_t k = ix.frames.size() / 2;
  const SeekTableEntry& from = ix.frames[k];
  auto tail = std::make_unique<MemorySource>(bytes.substr(from.compressed_offset));
  ZstdSource source(std::move(tail), "x");
  ArchiveReader reader(source, "x");
  ASSERT_TRUE(reader.open_at(ix, k));
  EXPECT_EQ(reader.first_line(), ix.first_line[k]);
  EXPECT_EQ(reader.header().value("archive_id", ""), nlohmann::json::parse(ix.lines[0].text).value("archive_id", "?"));

  std::vector<std::string> replayed;
  std::vector<std::pair<std::string, bool>> ended;  // stream, records unread
  int64_t first_record_line = 0, records = 0;
  for (;;) {
    Result<ArchiveEvent> e = reader.next();
    ASSERT_TRUE(e) << e.status().message();
    if (*e == ArchiveEvent::kEnd) break;
    if (*e == ArchiveEvent::kStream && records == 0) replayed.push_back(reader.stream().name);
    if (*e == ArchiveEvent::kEndStream) ended.emplace_back(reader.totals().name, reader.totals().unread_records);
    if (*e == ArchiveEvent::kRecord) {
      if (first_record_line == 0) first_record_line = reader.line_number();
      ++records;
    }
  }
  // a and b were declared before the frame (a also ended there); c is read normally.
  EXPECT_EQ(replayed, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(ended.size(), 3u);
  EXPECT_EQ(ended[0], (std::pair<std::string, bool>{"a", true}));
  EXPECT_EQ(ended[1], (std::pair<std::string, bool>{"b", true}));
  EXPECT_EQ(ended[2], (std::pair<std::string, bool>{"c", false}));
  EXPECT_EQ(first_record_line, ix.first_line[k]);
  std::vector<int64_t> b_lines = record_lines(bytes, "b");
  int64_t b_after = std::count_if(b_lines.begin(), b_lines.end(), [&](int64_t l) { return l >= ix.first_line[k]; });
  EXPECT_EQ(records, b_after + 100);
  EXPECT_EQ(source.frames_decompressed(), int64_t(ix.frames.size() - k));
  EXPECT_FALSE(reader.digests_mismatched());
}

TEST(FrameIndex, RecordsAfterTheSeekAreStillVerified) {
  std::string bytes = compressed_archive();
  const FrameIndex ix = index_of(bytes);
  ASSERT_FALSE(ix.frames.empty());
  // c's end line declares the digest of records all read after the seek: a damaged count fails.
  size_t k = ix.frames.size() / 2;
  std::string tail = bytes.substr(ix.frames[k].compressed_offset);
  ZstdSource plain(std::make_unique<MemorySource>(tail), "x");
  std::string text;
  char buffer[65536];
  for (Result<size_t> n = plain.read(buffer, sizeof buffer); n && *n > 0; n = plain.read(buffer, sizeof buffer))
    text.append(buffer, *n);
  const std::string declared = "{\"t\":\"end\",\"s\":\"c\",\"count\":100,";
  size_t at = text.find(declared);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, declared.size(), "{\"t\":\"end\",\"s\":\"c\",\"count\":101,");
  MemorySource changed(text);
  ArchiveReader reader(changed, "x");
  ASSERT_TRUE(reader.open_at(ix, k));
  Status status = Status::ok();
  for (;;) {
    Result<ArchiveEvent> e = reader.next();
    if (!e) {
      status = e.take_status();
      break;
    }
    if (*e == ArchiveEvent::kEnd) break;
  }
  ASSERT_FALSE(status);
  EXPECT_NE(status.message().find("stream \"c\": count mismatch"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace decant
