// Progress on a terminal: records, bytes, rate and, when totals are known, an ETA. Redrawn on
// stderr at most a few times a second so it costs nothing on the hot path.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "format/pipeline.h"

namespace decant::cli {

class TerminalProgress : public ProgressObserver {
 public:
  // `total_records` may be -1 (unknown); stream estimates are added to it as streams start.
  explicit TerminalProgress(std::string verb) : verb_(std::move(verb)) {}
  void stream_started(const std::string& name, int64_t estimated_rows) override;
  void advanced(int64_t records, uint64_t bytes) override;
  void stream_finished(const std::string& name, int64_t records) override;
  // Clears the progress line.
  void done();

 private:
  void draw(bool force);
  std::string verb_;
  std::string stream_;
  int64_t stream_estimate_ = -1;
  int64_t stream_start_records_ = 0;
  int64_t records_ = 0;
  uint64_t bytes_ = 0;
  uint32_t calls_ = 0;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
};

std::string human_bytes(double bytes);

}  // namespace decant::cli
