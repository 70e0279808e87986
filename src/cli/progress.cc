#include "cli/progress.h"

namespace decant::cli {

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000 && u < 4) {
    bytes /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

void TerminalProgress::stream_started(const std::string& name, int64_t estimated_rows) {
  stream_ = name;
  stream_estimate_ = estimated_rows;
  stream_start_records_ = records_;
  draw(true);
}

void TerminalProgress::advanced(int64_t records, uint64_t bytes) {
  records_ = records;
  bytes_ = bytes;
  // Checking the clock on every record would cost more than the record itself.
  if ((++calls_ & 1023) == 0) draw(false);
}

void TerminalProgress::stream_finished(const std::string&, int64_t) { draw(true); }

void TerminalProgress::draw(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(250)) return;
  last_draw_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? bytes_ / secs : 0;
  int64_t in_stream = records_ - stream_start_records_;
  std::string line = verb_ + " " + stream_ + ": " + std::to_string(in_stream);
  if (stream_estimate_ >= 0) line += "/" + std::to_string(stream_estimate_);
  line += " records, total " + std::to_string(records_) + " records, " + human_bytes(double(bytes_)) + ", " +
          human_bytes(rate) + "/s";
  if (stream_estimate_ > 0 && in_stream > 0 && in_stream < stream_estimate_ && secs > 0) {
    double per_record = secs / double(records_ > 0 ? records_ : 1);
    line += ", ETA " + std::to_string(int64_t((stream_estimate_ - in_stream) * per_record) + 1) + "s";
  }
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void TerminalProgress::done() {
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

}  // namespace decant::cli
