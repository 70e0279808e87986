// Progress on stderr: records, bytes, rate and, when totals are known (stream descriptions on
// export, the file size or zstd frame index on import), an ETA. Either a terminal line redrawn
// in place or, for scripts, one JSON object per line. Output is throttled to one per interval so
// it costs nothing on the hot path.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "format/pipeline.h"

namespace decant::cli {

enum class ProgressStyle { kTerminal, kJson };

class Progress : public ProgressObserver {
 public:
  Progress(std::string verb, ProgressStyle style, std::chrono::milliseconds interval)
      : verb_(std::move(verb)), style_(style), interval_(interval) {}
  void expect(int64_t records, uint64_t bytes) override;
  void stream_started(const std::string& name, int64_t estimated_rows) override;
  void advanced(int64_t records, uint64_t bytes) override;
  void stream_finished(const std::string& name, int64_t records) override;
  // Clears the terminal line, or writes the last JSON line (with "final": true).
  void done();

  // Where things stand, as written on each JSON line.
  nlohmann::json snapshot() const;

 private:
  void show(bool force);
  std::string verb_;
  ProgressStyle style_;
  std::chrono::milliseconds interval_;
  std::string stream_;
  int64_t stream_estimate_ = -1;
  int64_t stream_start_records_ = 0;
  int64_t records_ = 0;
  uint64_t bytes_ = 0;
  int64_t total_records_ = -1;  // -1: unknown
  uint64_t total_bytes_ = 0;    // 0: unknown
  uint32_t calls_ = 0;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_shown_{};
};

std::string human_bytes(double bytes);

}  // namespace decant::cli
