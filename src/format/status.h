// One error model for the whole library: every fallible call returns a Status or a Result<T>.
// A Status names the side that failed (so the CLI can pick an exit code) and carries context
// frames added as the error travels outwards ("reading table Album: disk I/O error").
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace decant {

enum class Side {
  kNone,         // success
  kUsage,        // bad options or arguments; nothing was touched
  kSource,       // the database or file being read from
  kTarget,       // the database or file being written to
  kArchive,      // the archive is malformed, truncated or fails its digests
  kInterrupted,  // a signal stopped the work
  kInternal,     // a bug in decant
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(Side side, std::string message) { return Status(side, std::move(message)); }
  static Status usage(std::string m) { return error(Side::kUsage, std::move(m)); }
  static Status source(std::string m) { return error(Side::kSource, std::move(m)); }
  static Status target(std::string m) { return error(Side::kTarget, std::move(m)); }
  static Status archive(std::string m) { return error(Side::kArchive, std::move(m)); }
  static Status internal(std::string m) { return error(Side::kInternal, std::move(m)); }
  // A failure that may go away when the same work is tried again: a lost connection, a server
  // restarting, a lock or serialization conflict. The import retries those (with backoff).
  static Status transient(Side side, std::string m) {
    Status s(side, std::move(m));
    s.transient_ = true;
    return s;
  }
  // A refusal that is no record's fault: the target takes no writes for now (out of memory,
  // read-only, disk full). --max-errors rejects no record for it: the import fails.
  static Status target_refuses_writes(std::string m) {
    Status s(Side::kTarget, std::move(m));
    s.refuses_writes_ = true;
    return s;
  }

  bool is_ok() const { return side_ == Side::kNone; }
  explicit operator bool() const { return is_ok(); }
  Side side() const { return side_; }
  const std::string& message() const { return message_; }
  bool is_transient() const { return transient_; }
  // Whether the failure lies with the connection or the target as a whole, not with the
  // records being written: --max-errors rejects none of them for it.
  bool faults_no_record() const { return transient_ || refuses_writes_; }

  // Prepends a context frame: "frame: message".
  Status& context(const std::string& frame) & {
    if (!is_ok()) message_ = frame + ": " + message_;
    return *this;
  }
  Status&& context(const std::string& frame) && { return std::move(context(frame)); }

 private:
  Status(Side side, std::string message) : side_(side), message_(std::move(message)) {}
  Side side_ = Side::kNone;
  std::string message_;
  bool transient_ = false;
  bool refuses_writes_ = false;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status status) : status_(std::move(status)) {}

  bool is_ok() const { return value_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const { return status_; }
  Status take_status() { return std::move(status_); }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace decant

// Early return on failure, for the common case of propagating unchanged.
#define DECANT_TRY(expr)                          \
  do {                                            \
    ::decant::Status decant_try_status_ = (expr); \
    if (!decant_try_status_) return decant_try_status_; \
  } while (0)
