// Opening archive inputs and outputs for the CLI: files or '-', compressed or not.
#pragma once

#include <memory>
#include <string>

#include "format/byte_io.h"
#include "format/zstd_io.h"

namespace decant::cli {

enum class Compression { kAuto, kNone, kZstd };

struct OutputOptions {
  std::string path = "-";
  bool force = false;
  Compression compression = Compression::kAuto;  // auto: zstd when the name ends in .zst
  int level = 3;
  int threads = 0;
};

// An archive being written: a chain of sinks ending in stdout or an atomic file.
class ArchiveOutput {
 public:
  // "-" is stdout (refused when it is a terminal); a FIFO or device is written in place; any
  // other path is written atomically and never replaced without `force`.
  static Result<std::unique_ptr<ArchiveOutput>> open(const OutputOptions& options);
  ~ArchiveOutput();
  ByteSink& sink() { return *top_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::unique_ptr<AtomicFileSink> file_;
  std::unique_ptr<FdSink> direct_;  // stdout, or a FIFO or device opened as special_fd_
  int special_fd_ = -1;
  std::unique_ptr<ZstdSink> zstd_;
  ByteSink* top_ = nullptr;
};

// '-' is stdin. Compression is detected from the content.
Result<std::unique_ptr<ByteSource>> open_archive_input(const std::string& path);

// An archive file opened at a data frame other than the first, for a resume.
struct SeekingInput {
  std::unique_ptr<ByteSource> source;  // decompresses from `frame` on
  FrameIndex index;
  size_t frame = 0;
};

// For a resume after archive line `line`: `path` opened at the data frame holding the next
// line, when it is a zstd file with a frame index whose copy of the header is the archive's
// own first line (a mismatch is an error). Nothing when it cannot seek or would not skip a
// frame; the caller then reads from the start.
Result<std::optional<SeekingInput>> open_archive_input_after(const std::string& path, int64_t line,
                                                             size_t max_line_bytes);

// True when `path` names an archive rather than a live source: '-', an existing regular file
// whose first bytes are a decant header or zstd data.
bool looks_like_archive(const std::string& path);

// The archive text's size in bytes, for progress: a plain file's size, or what a zstd file's
// frame index (seek table) says it decompresses to; 0 when unknown (a pipe, no frame index).
uint64_t archive_text_bytes(const std::string& path);

}  // namespace decant::cli
