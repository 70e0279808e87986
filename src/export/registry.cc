#include "export/source.h"
#include "format/uri.h"

namespace decant {

const SourceBackend* SourceRegistry::find(const std::string& uri) const {
  std::string scheme = uri_scheme(uri);
  if (scheme.empty()) scheme = "sqlite";  // a bare path is the embedded default
  if (scheme == "postgresql") scheme = "postgres";
  for (const SourceBackend& b : backends_)
    if (b.scheme == scheme) return &b;
  return nullptr;
}

SourceRegistry& builtin_sources() {
  static SourceRegistry registry = [] {
    SourceRegistry r;
    register_sqlite_source(r);
    register_postgres_source(r);
    register_lightrag_source(r);
    register_redis_source(r);
    register_mongo_source(r);
    return r;
  }();
  return registry;
}

}  // namespace decant
