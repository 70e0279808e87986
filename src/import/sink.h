// The import side of a backend. The import driver (src/import/import.h) calls, in order:
// begin, then for each stream begin_stream / write... / end_stream (streams may interleave),
// then commit once the whole archive has been read and verified, or rollback on any error.
#pragma once

#include <functional>
#include <memory>
#include <optional>
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
  // Records will come in isolated batches (--max-errors): a sink that cannot isolate them in
  // some of its configurations refuses those when it opens.
  bool isolated_batches = false;
  // The backend's own command-line options (SinkBackend::options) by flag name.
  nlohmann::json settings = nlohmann::json::object();
  // Messages for the user that are not errors: what was skipped, what a dry run would do.
  std::function<void(const std::string&)> note = [](const std::string&) {};
  // A whole stream the target deliberately does not store (a namespace not selected, vectors
  // for LightRAG's Redis layout): its records are read but not written, and reports count
  // them apart from the records moved.
  std::function<void(const std::string& stream, const std::string& reason)> left_out =
      [](const std::string&, const std::string&) {};
};

// Where a resumable import stands: every record at or before archive line `line` of the
// archive `archive_id` is in the target (`records` of them were written).
struct Checkpoint {
  std::string archive_id;
  int64_t line = 0;
  int64_t records = 0;
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

  // Isolated batches, for --max-errors (offered when SinkBackend::isolates_batches). The driver
  // brackets a run of records of open streams with begin_batch and end_batch; end_batch writes
  // out what the sink deferred and reports any failure of the batch. After a failed write or
  // end_batch the driver calls abort_batch, which must leave the target exactly as it was at
  // begin_batch (a savepoint); the driver then reruns the records one per batch. A failure
  // that is no record's fault (Status::target_refuses_writes: out of memory, read-only) fails
  // the import instead of rejecting records.
  virtual Status begin_batch() { return Status::internal("this target does not isolate batches"); }
  virtual Status end_batch() { return Status::internal("this target does not isolate batches"); }
  virtual Status abort_batch() { return Status::internal("this target does not isolate batches"); }

  // Resumable imports (SinkBackend::resumable). The driver hands the sink a checkpoint that it
  // keeps current before each call; the sink stores it in the target in the same transaction
  // as every commit it makes before the last one, and removes it in the final commit.
  virtual void track(const Checkpoint* /*checkpoint*/) {}
  // The checkpoint an interrupted import left in the target, if any. May be called more than
  // once before begin (to choose a seek point, then by the driver): each call reads afresh.
  virtual Result<std::optional<Checkpoint>> stored_checkpoint() { return std::optional<Checkpoint>(); }
};

struct SinkBackend {
  std::string scheme;
  std::string summary;
  std::string capabilities;      // one line: transactions, conflict policies, what does not roll back
  std::vector<TxnMode> txn_modes;  // the modes this backend really offers
  std::vector<ConflictPolicy> conflict_policies;
  bool dry_run = false;            // whether it honours SinkOptions::dry_run
  bool isolates_batches = false;   // whether it implements Sink::begin_batch and the rest
  bool resumable = false;          // whether it implements Sink::track and stored_checkpoint
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
void register_postgres_sink(SinkRegistry& registry);
void register_mongo_sink(SinkRegistry& registry);
SinkRegistry& builtin_sinks();

const char* conflict_policy_name(ConflictPolicy policy);
// A size for dry-run plans: "840 kB", "12.5 MB".
std::string megabytes(int64_t bytes);
// A count for sinks' notes: "1 key", "3 keys".
std::string with_s(int64_t n, const char* word);
// A dry run's estimate of the bytes an import adds under `path` against the free space of its
// file system: notes "BACKEND: dry run: GROWTH about N MB; M MB free on the file system of
// DIR", and fails when too little is free.
Status check_free_space(const std::string& backend, const std::string& growth, const std::string& path, int64_t needed,
                        const SinkOptions& options);
const char* txn_mode_name(TxnMode mode);

}  // namespace decant
