#include "format/pipeline.h"

#include <fnmatch.h>

#include <charconv>

namespace decant {

namespace {
std::atomic<bool> g_interrupted{false};

bool matches_any(const std::vector<std::string>& globs, const std::string& name) {
  for (const std::string& g : globs)
    if (fnmatch(g.c_str(), name.c_str(), 0) == 0) return true;
  return false;
}
}  // namespace

Status StreamSelection::add_rename(const std::string& pair) {
  size_t eq = pair.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size())
    return Status::usage("--rename-stream expects FROM=TO, got \"" + pair + "\"");
  renames_.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
  return Status::ok();
}

bool StreamSelection::selected(const std::string& name) const {
  if (!only_.empty() && !matches_any(only_, name)) return false;
  return !matches_any(exclude_, name);
}

std::string StreamSelection::renamed(const std::string& name) const {
  for (const auto& [from, to] : renames_)
    if (from == name) return to;
  return name;
}

Result<nlohmann::json> backend_option_value(const BackendOption& option, const std::vector<std::string>& given) {
  switch (option.type) {
    case BackendOption::Type::kFlag: return nlohmann::json(true);
    case BackendOption::Type::kList: return nlohmann::json(given);
    case BackendOption::Type::kString: return nlohmann::json(given.empty() ? "" : given.back());
    case BackendOption::Type::kInt: {
      const std::string text = given.empty() ? "" : given.back();
      int64_t value = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty())
        return Status::usage("--" + option.flag + " expects an integer, got \"" + text + "\"");
      return nlohmann::json(value);
    }
  }
  return Status::internal("unknown option type");
}

void request_interrupt() { g_interrupted.store(true, std::memory_order_relaxed); }
bool interrupt_requested() { return g_interrupted.load(std::memory_order_relaxed); }
Status interrupted_status() { return Status::error(Side::kInterrupted, "interrupted"); }

}  // namespace decant
