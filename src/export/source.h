// The export side of a backend: it lists its streams and reads each one as Records. A Source
// knows nothing of the archive format; src/export/export.h drives it into an ArchiveWriter.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "format/pipeline.h"
#include "format/schema.h"
#include "format/status.h"
#include "format/value.h"

namespace decant {

class Source {
 public:
  using RecordFn = std::function<Status(const Record&)>;

  virtual ~Source() = default;
  // Backend, location without credentials, snapshot position.
  virtual SourceDescription describe() const = 0;
  // Every stream the source holds, with schema and estimates. All reads that follow see the
  // same snapshot where the backend offers one.
  virtual Result<std::vector<StreamInfo>> streams() = 0;
  // Calls `emit` for every record of `stream`; stops at and returns the first error it gets
  // back from `emit`. Memory stays bounded: records are produced one at a time.
  virtual Status read(const StreamInfo& stream, const RecordFn& emit) = 0;

  // Parallel reads (export with a backend's --jobs): how many streams this source can read at
  // once, each on its own thread, all from the snapshot that streams() described. With 1 the
  // export driver reads streams one after another from this thread.
  virtual int parallel_reads() const { return 1; }
  // A reader for one more thread that sees the same snapshot; its read() takes the streams
  // this source's streams() returned. Called only when parallel_reads() > 1, after streams().
  virtual Result<std::unique_ptr<Source>> open_worker() {
    return Status::internal("this source reads one stream at a time");
  }
};

struct SourceOptions {
  // Backend-specific settings: the backend's own command-line options (SourceBackend::options)
  // by flag name, e.g. {"split-prefix": ":"}.
  nlohmann::json settings = nlohmann::json::object();
  // Messages for the user that are not errors, e.g. what a filter option left out.
  std::function<void(const std::string&)> note = [](const std::string&) {};
};

struct SourceBackend {
  std::string scheme;       // URI scheme without ':', e.g. "sqlite"
  std::string summary;      // one line for `decant backends`
  std::string capabilities; // one line: snapshots, parallel reads
  std::vector<BackendOption> options;  // offered by `export` and `diff`
  std::function<Result<std::unique_ptr<Source>>(const std::string& uri, const SourceOptions&)> open;
};

class SourceRegistry {
 public:
  void add(SourceBackend backend) { backends_.push_back(std::move(backend)); }
  // The backend whose scheme prefixes `uri` ("sqlite:x.db", "postgres://..."); a bare path
  // is SQLite, the embedded default.
  const SourceBackend* find(const std::string& uri) const;
  const std::vector<SourceBackend>& all() const { return backends_; }

 private:
  std::vector<SourceBackend> backends_;
};

// Explicit registration: one call per backend, in one place.
void register_sqlite_source(SourceRegistry& registry);
void register_postgres_source(SourceRegistry& registry);
void register_lightrag_source(SourceRegistry& registry);
void register_redis_source(SourceRegistry& registry);
void register_mongo_source(SourceRegistry& registry);
SourceRegistry& builtin_sources();

}  // namespace decant
