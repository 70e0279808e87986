// Sources that read an application layout out of another backend's store (format/SPEC.md 11.5.4):
// the backend's own source hands over to one of these when asked for `--layout lightrag`.
#pragma once

#include <memory>
#include <string>

#include "export/source.h"

namespace decant {

Result<std::unique_ptr<Source>> open_lightrag_redis_source(const std::string& uri, const SourceOptions& options);
Result<std::unique_ptr<Source>> open_lightrag_mongo_source(const std::string& uri, const SourceOptions& options);
Result<std::unique_ptr<Source>> open_lightrag_postgres_source(const std::string& uri, const SourceOptions& options);

}  // namespace decant
