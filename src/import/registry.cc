#include <cstdio>

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
