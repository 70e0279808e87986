// The import side of a backend. The import driver (src/import/import.h) calls, in order:
// begin, then for each stream begin_stream / write... / end_stream (streams may interleave),
// then commit once the whole archive has been read and verified, or rollback on any error.
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

enum class ConflictPolicy { kError, kSkip, kReplace, kMerge };
enum class TxnMode { kSingle, kStream, kBatch };

struct SinkOptions {
  ConflictPolicy conflict = ConflictPolicy::kError;
  TxnMode txn = TxnMode::kSingle;
  bool drop = false;             // drop existing tables / collections / keys before loading
  bool truncate = false;         // empty existing ones before loading
  int64_t batch_rows = 10000;    // bounds for TxnMode::kBatch and bulk writes
  int64_t batch_bytes = 16 << 20;
  // Read and check everything, write nothing (SinkBackend::dry_run says which sinks can).
  bool dry_run = false;
  // The backend's own command-line options (SinkBackend::options) by flag name.
  nlohmann::json settings = nlohmann::json::object();
  // Messages for the user that are not errors: what was skipped, what a dry run would do.
  std::function<void(const std::string&)> note = [](const std::string&) {};
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual Status begin() = 0;
  virtual Status begin_stream(const StreamInfo& stream) = 0;
  virtual Status write(const std::string& stream, const Record& record) = 0;
  virtual Status end_stream(const std::string& stream) = 0;
  virtual Status commit() = 0;
  // Whether records must fit fixed columns (a table store): a stream without columns then
  // reaches it in table form (import/table_shape.h, SPEC 11.0 rule 1).
  virtual bool needs_columns() const { return false; }
  // Undoes everything not yet committed. Called after any failure; must not throw.
  virtual void rollback() = 0;
};

struct SinkBackend {
  std::string scheme;
  std::string summary;
  std::string capabilities;      // one line: transactions, conflict policies, what does not roll back
  std::vector<TxnMode> txn_modes;  // the modes this backend really offers
  std::vector<ConflictPolicy> conflict_policies;
  bool dry_run = false;            // whether it honours SinkOptions::dry_run
  std::vector<BackendOption> options;  // offered by `import`
  std::function<Result<std::unique_ptr<Sink>>(const std::string& uri, const SinkOptions&)> open;
};

class SinkRegistry {
 public:
  void add(SinkBackend backend) { backends_.push_back(std::move(backend)); }
  const SinkBackend* find(const std::string& uri) const;
  const std::vector<SinkBackend>& all() const { return backends_; }

 private:
  std::vector<SinkBackend> backends_;
};

void register_sqlite_sink(SinkRegistry& registry);
void register_lightrag_sink(SinkRegistry& registry);
void register_redis_sink(SinkRegistry& registry);
SinkRegistry& builtin_sinks();

const char* conflict_policy_name(ConflictPolicy policy);
const char* txn_mode_name(TxnMode mode);

}  // namespace decant
