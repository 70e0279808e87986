#include "cli/report.h"

#include <ctime>

#include "cli/commands.h"
#include "format/byte_io.h"

namespace decant::cli {

const char* side_name(Side side) {
  switch (side) {
    case Side::kNone: return "none";
    case Side::kUsage: return "usage";
    case Side::kSource: return "source";
    case Side::kTarget: return "target";
    case Side::kArchive: return "archive";
    case Side::kInterrupted: return "interrupted";
    case Side::kInternal: return "internal";
  }
  return "internal";
}

Status write_report(const std::string& path, nlohmann::json report, const Status& status,
                    std::chrono::steady_clock::time_point start) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char finished[32];
  std::time_t now = std::time(nullptr);
  std::strftime(finished, sizeof finished, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  report["decant_version"] = DECANT_VERSION;
  report["finished"] = finished;
  report["elapsed_s"] = double(int64_t(secs * 1000)) / 1000;
  report["ok"] = status.is_ok();
  report["exit_code"] = exit_code_for(status);
  report["error"] = status ? nlohmann::json(nullptr)
                           : nlohmann::json{{"side", side_name(status.side())}, {"message", status.message()}};
  Result<std::unique_ptr<AtomicFileSink>> file = AtomicFileSink::create(path, true);
  if (!file) return file.take_status().context("report");
  DECANT_TRY((*file)->write(report.dump(2) + "\n"));
  return (*file)->finish().context("report");
}

}  // namespace decant::cli
