// Sinks that write an application layout into another backend's store (format/SPEC.md 11.5.4):
// the backend's own sink hands over to one of these when asked for `--layout lightrag`.
#pragma once

#include <memory>
#include <string>

#include "import/sink.h"

namespace decant {

Result<std::unique_ptr<Sink>> open_lightrag_redis_sink(const std::string& uri, const SinkOptions& options);
Result<std::unique_ptr<Sink>> open_lightrag_mongo_sink(const std::string& uri, const SinkOptions& options);
Result<std::unique_ptr<Sink>> open_lightrag_postgres_sink(const std::string& uri, const SinkOptions& options);

}  // namespace decant
