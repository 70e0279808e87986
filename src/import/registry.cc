#include <sys/statvfs.h>

#include <cstdio>
#include <filesystem>

#include "format/uri.h"
#include "import/sink.h"

namespace decant {

std::string megabytes(int64_t bytes) {
  char text[32];
  if (bytes < 1000000) std::snprintf(text, sizeof text, "%.0f kB", double(bytes) / 1e3);
  else std::snprintf(text, sizeof text, "%.1f MB", double(bytes) / 1e6);
  return text;
}

std::string with_s(int64_t n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

Status check_free_space(const std::string& backend, const std::string& growth, const std::string& path, int64_t needed,
                        const SinkOptions& options) {
  std::string what = backend + ": dry run: " + growth + " about " + megabytes(needed);
  // A target not created yet lands on the file system of its nearest existing parent.
  std::error_code error;
  std::filesystem::path dir = std::filesystem::absolute(path, error);
  while (!dir.empty() && !std::filesystem::is_directory(dir, error) && dir != dir.parent_path()) dir = dir.parent_path();
  struct statvfs fs {};
  if (dir.empty() || ::statvfs(dir.c_str(), &fs) != 0) {
    options.note(what + " (the free space of " + path + " is unknown)");
    return Status::ok();
  }
  int64_t free_bytes = int64_t(fs.f_bavail) * int64_t(fs.f_frsize);
  options.note(what + "; " + megabytes(free_bytes) + " free on the file system of " + dir.string());
  if (needed > free_bytes)
    return Status::target(backend + ": dry run: the import needs about " + megabytes(needed) + " but only " +
                          megabytes(free_bytes) + " are free on the file system of " + dir.string());
  return Status::ok();
}

const SinkBackend* SinkRegistry::find(const std::string& uri) const {
  std::string scheme = uri_scheme(uri);
  if (scheme.empty()) scheme = "sqlite";  // a bare path is the embedded default
  if (scheme == "postgresql") scheme = "postgres";
  for (const SinkBackend& b : backends_)
    if (b.scheme == scheme) return &b;
  return nullptr;
}

SinkRegistry& builtin_sinks() {
  static SinkRegistry registry = [] {
    SinkRegistry r;
    register_sqlite_sink(r);
    register_lightrag_sink(r);
    register_redis_sink(r);
    register_postgres_sink(r);
    register_mongo_sink(r);
    return r;
  }();
  return registry;
}

const char* conflict_policy_name(ConflictPolicy policy) {
  switch (policy) {
    case ConflictPolicy::kError: return "error";
    case ConflictPolicy::kSkip: return "skip";
    case ConflictPolicy::kReplace: return "replace";
    case ConflictPolicy::kMerge: return "merge";
  }
  return "?";
}

const char* txn_mode_name(TxnMode mode) {
  switch (mode) {
    case TxnMode::kSingle: return "single";
    case TxnMode::kStream: return "stream";
    case TxnMode::kBatch: return "batch";
  }
  return "?";
}

}  // namespace decant
