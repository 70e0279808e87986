#include "format/byte_io.h"
#include "format/pipeline.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>
#include <vector>

namespace decant {

namespace {

constexpr size_t kWriteBufferBytes = 1 << 20;

std::string errno_text() { return std::strerror(errno); }

// Temp files still being written, for the signal handler. Fixed slots so the handler never
// allocates or locks.
constexpr int kMaxPendingTemps = 16;
char g_pending_temps[kMaxPendingTemps][4096];
std::atomic<bool> g_pending_used[kMaxPendingTemps];

int register_pending_temp(const std::string& path) {
  if (path.size() >= sizeof g_pending_temps[0]) return -1;
  for (int i = 0; i < kMaxPendingTemps; ++i) {
    bool expected = false;
    if (g_pending_used[i].compare_exchange_strong(expected, true)) {
      std::memcpy(g_pending_temps[i], path.c_str(), path.size() + 1);
      return i;
    }
  }
  return -1;
}

void unregister_pending_temp(int slot) {
  if (slot >= 0) g_pending_used[slot].store(false);
}

}  // namespace

void remove_pending_temp_files_from_signal_handler() {
  for (int i = 0; i < kMaxPendingTemps; ++i)
    if (g_pending_used[i].load()) unlink(g_pending_temps[i]);
}

Result<size_t> MemorySource::read(char* buffer, size_t capacity) {
  size_t n = std::min(capacity, data_.size() - offset_);
  std::memcpy(buffer, data_.data() + offset_, n);
  offset_ += n;
  return n;
}

FdSink::FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {
  buffer_.reserve(kWriteBufferBytes);
}

Status FdSink::write(std::string_view bytes) {
  if (buffer_.size() + bytes.size() > kWriteBufferBytes) DECANT_TRY(flush());
  if (bytes.size() >= kWriteBufferBytes) {
    buffer_.assign(bytes);
    return flush();
  }
  buffer_.append(bytes);
  return Status::ok();
}

Status FdSink::flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
    if (n < 0) {
      if (errno == EINTR && !interrupt_requested()) continue;
      if (errno == EINTR) return interrupted_status();
      return Status::target("writing " + name_ + ": " + errno_text());
    }
    done += static_cast<size_t>(n);
  }
  buffer_.clear();
  return Status::ok();
}

Status FdSink::finish() { return flush(); }

Result<size_t> FdSource::read(char* buffer, size_t capacity) {
  for (;;) {
    ssize_t n = ::read(fd_, buffer, capacity);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return Status::source("reading " + name_ + ": " + errno_text());
    if (interrupt_requested()) return interrupted_status();
  }
}

Result<std::unique_ptr<AtomicFileSink>> AtomicFileSink::create(const std::string& path, bool overwrite) {
  if (!overwrite && ::access(path.c_str(), F_OK) == 0)
    return Status::usage(path + " already exists (use --force to overwrite)");
  std::random_device rd;
  std::string temp = path + std::string(kTempMarker) + std::to_string(rd() % 1000000);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Status::target("cannot create " + temp + ": " + errno_text());
  return std::unique_ptr<AtomicFileSink>(new AtomicFileSink(path, temp, fd));
}

AtomicFileSink::AtomicFileSink(std::string path, std::string temp_path, int fd)
    : path_(std::move(path)), temp_path_(std::move(temp_path)), fd_(fd),
      inner_(std::make_unique<FdSink>(fd, path_)) {
  pending_slot_ = register_pending_temp(temp_path_);
}

AtomicFileSink::~AtomicFileSink() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
  unregister_pending_temp(pending_slot_);
}

Status AtomicFileSink::finish() {
  DECANT_TRY(inner_->finish());
  if (::fsync(fd_) != 0) return Status::target("fsync " + temp_path_ + ": " + errno_text());
  if (::close(fd_) != 0) {
    fd_ = -1;
    return Status::target("closing " + temp_path_ + ": " + errno_text());
  }
  fd_ = -1;
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0)
    return Status::target("renaming " + temp_path_ + " to " + path_ + ": " + errno_text());
  committed_ = true;
  unregister_pending_temp(pending_slot_);
  pending_slot_ = -1;
  return Status::ok();
}

}  // namespace decant
