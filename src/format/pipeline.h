// Pieces the export, import and diff drivers share: which streams take part and under which
// name, progress callbacks, and the interrupt flag a signal handler raises.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/status.h"

namespace decant {

class StreamSelection {
 public:
  void only(std::string glob) { only_.push_back(std::move(glob)); }
  void exclude(std::string glob) { exclude_.push_back(std::move(glob)); }
  // "FROM=TO"; fails on a malformed pair.
  Status add_rename(const std::string& pair);

  bool selected(const std::string& name) const;
  std::string renamed(const std::string& name) const;

 private:
  std::vector<std::string> only_;
  std::vector<std::string> exclude_;
  std::vector<std::pair<std::string, std::string>> renames_;
};

class ProgressObserver {
 public:
  virtual ~ProgressObserver() = default;
  // Totals known before the first record (-1 records / 0 bytes: unknown), for an ETA.
  virtual void expect(int64_t /*records*/, uint64_t /*bytes*/) {}
  virtual void stream_started(const std::string& name, int64_t estimated_rows) = 0;
  // Called for every record; implementations throttle their own output.
  virtual void advanced(int64_t records, uint64_t bytes) = 0;
  virtual void stream_finished(const std::string& name, int64_t records) = 0;
};

// A command-line option that belongs to one or more backends (`--split-prefix`, `--jobs`).
// Backends declare theirs; the CLI offers the union and hands each backend only the options
// given for it, as `settings` members named after the flag: a string, an integer, true, or
// an array of strings for a repeatable option.
struct BackendOption {
  enum class Type { kString, kInt, kFlag, kList };
  std::string flag;  // without the leading "--"
  Type type = Type::kString;
  std::string help;
};

// Turns a flag's command-line text into its settings value; fails on an integer that is not.
Result<nlohmann::json> backend_option_value(const BackendOption& option, const std::vector<std::string>& given);

void request_interrupt();
bool interrupt_requested();
Status interrupted_status();

}  // namespace decant
