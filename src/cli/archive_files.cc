#include "cli/archive_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace decant::cli {

namespace {

bool zstd_magic(const char* head, ssize_t n) {
  return n >= 4 && static_cast<unsigned char>(head[0]) == 0x28 && static_cast<unsigned char>(head[1]) == 0xB5 &&
         static_cast<unsigned char>(head[2]) == 0x2F && static_cast<unsigned char>(head[3]) == 0xFD;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Owns the descriptor of an opened input file.
class OwnedFdSource : public FdSource {
 public:
  OwnedFdSource(int fd, std::string name) : FdSource(fd, std::move(name)), fd_(fd) {}
  ~OwnedFdSource() override { ::close(fd_); }

 private:
  int fd_;
};

bool is_special_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

}  // namespace

ArchiveOutput::~ArchiveOutput() {
  if (special_fd_ >= 0) ::close(special_fd_);
}

Result<std::unique_ptr<ArchiveOutput>> ArchiveOutput::open(const OutputOptions& options) {
  auto out = std::unique_ptr<ArchiveOutput>(new ArchiveOutput());
  bool to_stdout = options.path == "-";
  if (to_stdout) {
    if (isatty(STDOUT_FILENO))
      return Status::usage("refusing to write an archive to a terminal; use -o FILE or a pipe");
    out->name_ = "<stdout>";
    out->direct_ = std::make_unique<FdSink>(STDOUT_FILENO, out->name_);
    out->top_ = out->direct_.get();
  } else if (is_special_file(options.path)) {
    // A FIFO or a device is written in place: there is nothing to replace atomically.
    int fd = ::open(options.path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Status::target("cannot open " + options.path + ": " + std::strerror(errno));
    out->name_ = options.path;
    out->special_fd_ = fd;
    out->direct_ = std::make_unique<FdSink>(fd, out->name_);
    out->top_ = out->direct_.get();
  } else {
    Result<std::unique_ptr<AtomicFileSink>> file = AtomicFileSink::create(options.path, options.force);
    if (!file) return file.take_status();
    out->name_ = options.path;
    out->file_ = std::move(*file);
    out->top_ = out->file_.get();
  }
  bool compress = options.compression == Compression::kZstd ||
                  (options.compression == Compression::kAuto && ends_with(options.path, ".zst"));
  if (compress) {
    ZstdSinkOptions zopts;
    zopts.level = options.level;
    zopts.threads = options.threads;
    out->zstd_ = std::make_unique<ZstdSink>(*out->top_, zopts);
    out->top_ = out->zstd_.get();
  }
  return out;
}

Result<std::unique_ptr<ByteSource>> open_archive_input(const std::string& path) {
  std::unique_ptr<ByteSource> raw;
  std::string name = path == "-" ? "<stdin>" : path;
  if (path == "-") {
    if (isatty(STDIN_FILENO))
      return Status::usage("refusing to read an archive from a terminal; use -i FILE or a pipe");
    raw = std::make_unique<FdSource>(STDIN_FILENO, name);
  } else {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::source("cannot open " + path + ": " + std::strerror(errno));
    raw = std::make_unique<OwnedFdSource>(fd, name);
  }
  return open_archive_source(std::move(raw), name);
}

Result<std::optional<SeekingInput>> open_archive_input_after(const std::string& path, int64_t line,
                                                             size_t max_line_bytes) {
  if (path == "-") return std::optional<SeekingInput>();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::source("cannot open " + path + ": " + std::strerror(errno));
  auto raw = std::make_unique<OwnedFdSource>(fd, path);
  Result<std::optional<FrameIndex>> index = read_frame_index(fd);
  if (!index) return index.take_status().context(path);
  if (!index->has_value()) return std::optional<SeekingInput>();
  SeekingInput seeking{nullptr, std::move(**index), 0};
  seeking.frame = seeking.index.frame_of_line(line + 1);
  if (seeking.frame == 0) return std::optional<SeekingInput>();
  Result<std::string> header = read_first_line(fd, max_line_bytes);
  if (!header) return header.take_status().context(path);
  if (*header != seeking.index.lines.front().text)
    return Status::archive(path + ": the frame index's header differs from the archive's first line");
  off_t at = static_cast<off_t>(seeking.index.frames[seeking.frame].compressed_offset);
  if (::lseek(fd, at, SEEK_SET) != at) return Status::source("cannot seek in " + path + ": " + std::strerror(errno));
  seeking.source = std::make_unique<ZstdSource>(std::move(raw), path);
  return std::optional<SeekingInput>(std::move(seeking));
}

bool looks_like_archive(const std::string& path) {
  if (path == "-") return true;
  if (ends_with(path, ".ndjson") || ends_with(path, ".ndjson.zst") || ends_with(path, ".zst")) return true;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char head[16] = {};
  ssize_t n = ::read(fd, head, sizeof head);
  ::close(fd);
  return zstd_magic(head, n) || (n >= 6 && std::memcmp(head, "{\"t\":\"", 6) == 0);
}

uint64_t archive_text_bytes(const std::string& path) {
  if (path == "-") return 0;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  struct stat st {};
  char head[4] = {};
  ssize_t n = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? ::pread(fd, head, sizeof head, 0) : -1;
  uint64_t total = 0;
  if (n >= 0 && !zstd_magic(head, n)) {
    total = uint64_t(st.st_size);
  } else if (n >= 0) {
    Result<std::vector<SeekTableEntry>> table = read_seek_table(fd);
    if (table)
      for (const SeekTableEntry& frame : *table) total += frame.decompressed_size;
  }
  ::close(fd);
  return total;
}

}  // namespace decant::cli
