// Byte streams under the archive layer. Compression is a decorator over these; neither the
// archive codec nor the backends know which concrete stream they use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "format/status.h"

namespace decant {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status write(std::string_view bytes) = 0;
  // Writes a whole line that is not a record (header, stream, end or trailer line), line
  // `line_number` of the archive; a framing sink copies these into its frame index so that a
  // reader can start at a frame and still know the streams declared before it.
  virtual Status write_structural_line(std::string_view line, int64_t /*line_number*/) { return write(line); }
  // Flushes everything and writes any closing structure (e.g. a seek table). Must be called
  // exactly once after the last write; a sink destroyed without finish() is an abandoned output.
  virtual Status finish() = 0;
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `capacity` bytes; returns 0 only at end of input.
  virtual Result<size_t> read(char* buffer, size_t capacity) = 0;
};

// Appends to a string; for tests and for in-memory digests.
class MemorySink : public ByteSink {
 public:
  Status write(std::string_view bytes) override { data_.append(bytes); return Status::ok(); }
  Status finish() override { return Status::ok(); }
  const std::string& data() const { return data_; }

 private:
  std::string data_;
};

class MemorySource : public ByteSource {
 public:
  explicit MemorySource(std::string data) : data_(std::move(data)) {}
  Result<size_t> read(char* buffer, size_t capacity) override;

 private:
  std::string data_;
  size_t offset_ = 0;
};

// Buffered writes to a file descriptor it does not own (stdout, or a file the caller manages).
class FdSink : public ByteSink {
 public:
  FdSink(int fd, std::string name);
  Status write(std::string_view bytes) override;
  Status finish() override;  // flushes; does not close

 private:
  Status flush();
  int fd_;
  std::string name_;
  std::string buffer_;
};

class FdSource : public ByteSource {
 public:
  FdSource(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  Result<size_t> read(char* buffer, size_t capacity) override;

 private:
  int fd_;
  std::string name_;
};

// A file written through a temporary sibling that is fsynced and renamed over the destination
// by commit(). Destroying it uncommitted removes the temporary, so an error or a signal never
// leaves a partial file under the destination name.
class AtomicFileSink : public ByteSink {
 public:
  static Result<std::unique_ptr<AtomicFileSink>> create(const std::string& path, bool overwrite);
  ~AtomicFileSink() override;
  Status write(std::string_view bytes) override { return inner_->write(bytes); }
  Status finish() override;  // flush, fsync, rename
  const std::string& temp_path() const { return temp_path_; }
  // In every temporary's name, after the destination's: what a kill -9 leaves behind.
  static constexpr std::string_view kTempMarker = ".decant-tmp-";

 private:
  AtomicFileSink(std::string path, std::string temp_path, int fd);
  std::string path_;
  std::string temp_path_;
  int fd_;
  std::unique_ptr<FdSink> inner_;
  bool committed_ = false;
  int pending_slot_ = -1;  // registration for removal by a signal handler
};

// Removes every temporary file still registered; async-signal-safe, called by the CLI's
// signal handler before it exits.
void remove_pending_temp_files_from_signal_handler();

}  // namespace decant
