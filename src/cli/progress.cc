#include "cli/progress.h"

#include <cmath>

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

void Progress::expect(int64_t records, uint64_t bytes) {
  total_records_ = records;
  total_bytes_ = bytes;
}

void Progress::stream_started(const std::string& name, int64_t estimated_rows) {
  stream_ = name;
  stream_estimate_ = estimated_rows;
  stream_start_records_ = records_;
  if (style_ == ProgressStyle::kTerminal) show(true);
}

void Progress::advanced(int64_t records, uint64_t bytes) {
  records_ = records;
  bytes_ = bytes;
  // Checking the clock on every record would cost more than the record itself.
  if ((++calls_ & 1023) == 0) show(false);
}

void Progress::stream_finished(const std::string&, int64_t) {
  if (style_ == ProgressStyle::kTerminal) show(true);
}

nlohmann::json Progress::snapshot() const {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double record_rate = secs > 0 ? double(records_) / secs : 0;
  double byte_rate = secs > 0 ? double(bytes_) / secs : 0;
  // Bytes are the better measure when known: records vary in size, and an import's record
  // total is known only stream by stream.
  nlohmann::json eta = nullptr;
  if (total_bytes_ > 0 && byte_rate > 0 && bytes_ <= total_bytes_)
    eta = std::ceil(double(total_bytes_ - bytes_) / byte_rate);
  else if (total_records_ > 0 && record_rate > 0 && records_ <= total_records_)
    eta = std::ceil(double(total_records_ - records_) / record_rate);
  return {{"progress", verb_},
          {"stream", stream_},
          {"stream_records", records_ - stream_start_records_},
          {"stream_estimate", stream_estimate_ >= 0 ? nlohmann::json(stream_estimate_) : nlohmann::json(nullptr)},
          {"records", records_},
          {"bytes", bytes_},
          {"total_records", total_records_ >= 0 ? nlohmann::json(total_records_) : nlohmann::json(nullptr)},
          {"total_bytes", total_bytes_ > 0 ? nlohmann::json(total_bytes_) : nlohmann::json(nullptr)},
          {"elapsed_s", std::round(secs * 1000) / 1000},
          {"records_per_s", std::round(record_rate)},
          {"bytes_per_s", std::round(byte_rate)},
          {"eta_s", eta}};
}

void Progress::show(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_shown_ < interval_) return;
  last_shown_ = now;
  nlohmann::json s = snapshot();
  if (style_ == ProgressStyle::kJson) {
    s["final"] = false;
    std::fprintf(stderr, "%s\n", s.dump().c_str());
    std::fflush(stderr);
    return;
  }
  std::string line = verb_ + " " + stream_ + ": " + std::to_string(records_ - stream_start_records_);
  if (stream_estimate_ >= 0) line += "/" + std::to_string(stream_estimate_);
  line += " records; total " + std::to_string(records_);
  if (total_records_ >= 0) line += "/" + std::to_string(total_records_);
  line += " records, " + human_bytes(double(bytes_));
  if (total_bytes_ > 0) line += "/" + human_bytes(double(total_bytes_));
  line += ", " + human_bytes(s["bytes_per_s"].get<double>()) + "/s, " +
          std::to_string(s["records_per_s"].get<int64_t>()) + " records/s";
  if (!s["eta_s"].is_null()) line += ", ETA " + std::to_string(s["eta_s"].get<int64_t>()) + " s";
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::done() {
  if (style_ == ProgressStyle::kJson) {
    nlohmann::json s = snapshot();
    s["final"] = true;
    std::fprintf(stderr, "%s\n", s.dump().c_str());
    std::fflush(stderr);
    return;
  }
  if (drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

}  // namespace decant::cli
