// The final report of an export or import (--report FILE): what ran against what (URIs
// redacted by the caller), how it ended and what it moved, as one JSON object. It is written
// atomically whether the command succeeded or not.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "format/status.h"

namespace decant::cli {

const char* side_name(Side side);

// Adds the outcome of `status` to `report` ("ok", "exit_code", "error" with side and message),
// the elapsed time since `start`, and writes it to `path`.
Status write_report(const std::string& path, nlohmann::json report, const Status& status,
                    std::chrono::steady_clock::time_point start);

}  // namespace decant::cli
