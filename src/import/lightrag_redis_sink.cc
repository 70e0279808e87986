// `redis:// --layout lightrag` import (format/SPEC.md 11.5.4): each KV or doc-status record
// becomes the string key "WS_NS:ID" holding json.dumps(record) as LightRAG's Redis storages write
// it (ASCII escapes, ", " and ": ", KV records ending with "_id"). Records go out in pipelined
// MULTI/EXEC batches (10,000 records or 4 MiB) that do not roll back, as the plain Redis sink's do;
// one batch is in flight while the next is built.
#include <unordered_map>

#include "backends/lightrag_json.h"
#include "backends/redis_client.h"
#include "format/uri.h"
#include "import/layout_sinks.h"
#include "import/table_shape.h"
#include "layouts/lightrag.h"

namespace decant {
namespace {

using namespace lightrag;

// A batch is held twice (values, then their commands) while the one before is in flight: 4 MiB
// keeps that small and still amortises the round trips.
constexpr int64_t kBatchBytes = 4 << 20;

struct Target {
  StreamId id;
  std::string prefix;
  bool table_form = false;
  bool filtered = false;
};

class LightragRedisSink final : public Sink {
 public:
  LightragRedisSink(std::unique_ptr<RedisConnection> redis, int db, Selection selection, const SinkOptions& options)
      : redis_(std::move(redis)), db_(db), selection_(std::move(selection)), options_(options) {}

  Status begin() override { return redis_->select(db_); }

  Status begin_stream(const StreamInfo& stream) override {
    Result<SinkStream> target_stream = sink_stream(stream, selection_);
    if (!target_stream) return target_stream.take_status();
    StreamId id = target_stream->id;
    bool table_form = target_stream->table_form;
    if (!selection_.keeps_namespace(id.ns)) {
      options_.left_out(stream.name, "--namespaces does not select \"" + id.ns + "\"");
      return Status::ok();
    }
    if (id.storage != Storage::kKv && id.storage != Storage::kDocStatus) {
      // LightRAG keeps no vectors or graph in Redis: they belong in another store.
      options_.left_out(stream.name, std::string("LightRAG has no Redis ") + storage_name(id.storage) +
                                         " storage (import it into a LightRAG directory, PostgreSQL or MongoDB)");
      return Status::ok();
    }
    for (const auto& [name, target] : targets_)
      if (target.id == id) return Status::target("two streams for namespace \"" + id.ns + "\" of workspace \"" + id.workspace + "\"");
    Target target{id, redis_key_prefix(id.workspace, id.ns), table_form,
                  id.ns == kLlmCacheNamespace && !selection_.cache.keeps_everything()};
    if (options_.drop || options_.truncate) DECANT_TRY(clear(target.prefix));
    targets_[stream.name] = std::move(target);
    return Status::ok();
  }

  Status write(const std::string& stream, const Record& record) override {
    auto found = targets_.find(stream);
    if (found == targets_.end()) return Status::ok();  // a stream left out at begin_stream
    const Target& target = found->second;
    const Record* document = &record;
    if (target.table_form) {
      DECANT_TRY(from_table_row(record, document_));
      document = &document_;
    }
    if (document->size() == 0 || (*document)[0].name != "_id" || (*document)[0].value.kind != Kind::kText)
      return Status::target("the record does not start with a text _id, which every LightRAG key has (SPEC 11.5.2)");
    const std::string& id = (*document)[0].value.text;
    if (target.filtered && !selection_.cache.keeps(id)) return Status::ok();
    json_.clear();
    bool first = true;
    for (size_t i = 1; i < document->size(); ++i) {
      const Field& field = (*document)[i];
      if (field.name == "_id") continue;
      Status member = append_py_member(field.name, field.value, PyLayout::kOneLine, 0, first, json_);
      if (!member) return std::move(member).context("key \"" + id + "\", field \"" + field.name + "\"");
      first = false;
    }
    // LightRAG's Redis KV upsert ends every value with "_id"; doc status has none.
    if (target.id.storage == Storage::kKv) {
      DECANT_TRY(append_py_member("_id", Value::of_text(id), PyLayout::kOneLine, 0, first, json_));
      first = false;
    }
    append_py_object_end(first, PyLayout::kOneLine, 0, json_);
    escape_non_ascii(json_);
    batch_keys_.push_back(target.prefix + id);
    batch_bytes_ += batch_keys_.back().size() + json_.size();
    batch_values_.push_back(std::move(json_));
    if (static_cast<int64_t>(batch_keys_.size()) >= options_.batch_rows ||
        static_cast<int64_t>(batch_bytes_) >= std::min<int64_t>(options_.batch_bytes, kBatchBytes))
      return flush();
    return Status::ok();
  }

  Status end_stream(const std::string&) override { return flush(); }

  Status commit() override {
    DECANT_TRY(flush());
    DECANT_TRY(drain());
    std::string report = std::string(options_.dry_run ? "redis: dry run: would write " : "redis: wrote ") + with_s(written_, "key");
    if (skipped_) report += "; skipped " + with_s(skipped_, "existing key") + " (--conflict skip)";
    options_.note(report);
    return Status::ok();
  }

  void rollback() override {
    // Sent batches stay (Redis has no rollback); the unsent one is dropped.
    batch_keys_.clear();
    batch_values_.clear();
  }

 private:
  // Deletes every key of one namespace and workspace (--drop / --truncate).
  Status clear(const std::string& prefix) {
    std::string cursor = "0";
    int64_t removed = 0;
    do {
      Result<RedisReply> reply = redis_->call({"SCAN", cursor, "MATCH", redis_glob_escape(prefix) + "*", "COUNT", "1000"});
      if (!reply) return reply.take_status();
      const redisReply* r = reply->get();
      cursor = std::string(reply_bytes(r->element[0]));
      const redisReply* keys = r->element[1];
      if (keys->elements == 0) continue;
      removed += static_cast<int64_t>(keys->elements);
      if (options_.dry_run) continue;
      RespBuffer del;
      del.begin(keys->elements + 1);
      del.arg("UNLINK");
      for (size_t i = 0; i < keys->elements; ++i) del.arg(reply_bytes(keys->element[i]));
      DECANT_TRY(redis_->send(del.data()));
      Result<RedisReply> done = redis_->reply();
      if (!done) return done.take_status();
      if (is_error(done->get())) return Status::target("redis: UNLINK: " + std::string(reply_bytes(done->get())));
    } while (cursor != "0");
    if (removed > 0)
      options_.note(std::string("redis: ") + (options_.dry_run ? "dry run: would delete " : "deleted ") +
                    with_s(removed, "key") + " " + prefix + "* first (--drop / --truncate)");
    return Status::ok();
  }

  // Reads the replies of the batch in flight: the server applies one batch while the next is built.
  Status drain() {
    for (; in_flight_ > 0; --in_flight_) {
      Result<RedisReply> reply = redis_->reply();
      if (!reply) return reply.take_status();
      if (is_error(reply->get())) return Status::target("redis: " + std::string(reply_bytes(reply->get())));
    }
    return Status::ok();
  }

  // One batch: EXISTS checks for --conflict error and skip, then MULTI, SETs, EXEC.
  Status flush() {
    if (batch_keys_.empty()) return Status::ok();
    if (interrupt_requested()) return interrupted_status();
    std::vector<bool> exists(batch_keys_.size(), false);
    if (options_.conflict != ConflictPolicy::kReplace) {
      DECANT_TRY(drain());
      RespBuffer checks;
      for (const std::string& key : batch_keys_) checks.command({"EXISTS", key});
      DECANT_TRY(redis_->send(checks.data()));
      for (size_t i = 0; i < batch_keys_.size(); ++i) {
        Result<RedisReply> reply = redis_->reply();
        if (!reply) return reply.take_status();
        exists[i] = (*reply)->type == REDIS_REPLY_INTEGER && (*reply)->integer > 0;
      }
      for (size_t i = 0; i < batch_keys_.size(); ++i)
        if (exists[i] && options_.conflict == ConflictPolicy::kError)
          return Status::target("redis: key " + describe_key(batch_keys_[i]) +
                                " already exists (--conflict skip or replace, or --drop to replace the namespace)");
    }
    RespBuffer& sets = sets_;
    sets.clear();
    sets.command({"MULTI"});
    size_t count = 0;
    for (size_t i = 0; i < batch_keys_.size(); ++i) {
      if (exists[i]) {
        ++skipped_;
        continue;
      }
      sets.command({"SET", batch_keys_[i], batch_values_[i]});
      ++count;
    }
    sets.command({"EXEC"});
    written_ += static_cast<int64_t>(count);
    batch_keys_.clear();
    batch_values_.clear();
    batch_bytes_ = 0;
    if (options_.dry_run || count == 0) return Status::ok();
    DECANT_TRY(drain());
    DECANT_TRY(redis_->send(sets.data()));
    in_flight_ = count + 2;
    return Status::ok();
  }

  std::unique_ptr<RedisConnection> redis_;
  int db_;
  Selection selection_;
  SinkOptions options_;
  std::unordered_map<std::string, Target> targets_;
  Record document_;
  std::string json_;
  std::vector<std::string> batch_keys_, batch_values_;
  size_t batch_bytes_ = 0;
  RespBuffer sets_;
  size_t in_flight_ = 0;  // replies of the last batch sent, not yet read
  int64_t written_ = 0, skipped_ = 0;
};

}  // namespace

Result<std::unique_ptr<Sink>> open_lightrag_redis_sink(const std::string& uri, const SinkOptions& options) {
  for (const char* plain : {"rename-prefix", "flush", "redis-row"})
    if (options.settings.contains(plain)) return Status::usage(std::string("--") + plain + " does not apply with --layout lightrag");
  if (options.conflict == ConflictPolicy::kMerge)
    return Status::usage("redis: conflict policy \"merge\" is not supported (LightRAG replaces whole records: use replace)");
  Result<Selection> selection = selection_from_settings(options.settings, "all");
  if (!selection) return selection.take_status();
  Result<RedisLocation> location = parse_redis_uri(uri);
  if (!location) return location.take_status();
  Result<std::unique_ptr<RedisConnection>> connection = RedisConnection::open(*location, Side::kTarget);
  if (!connection) return connection.take_status();
  return std::unique_ptr<Sink>(new LightragRedisSink(std::move(connection.value()), location->db >= 0 ? location->db : 0,
                                                     std::move(selection.value()), options));
}

}  // namespace decant
