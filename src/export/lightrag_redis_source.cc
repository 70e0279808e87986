// `redis:// --layout lightrag` export (format/SPEC.md 11.5.4): LightRAG's Redis KV and doc-status
// storages, keys "WS_NS:ID" holding json.dumps(record), as the logical streams of SPEC 11.5.
// One SCAN pass finds the streams; each stream is then read by SCAN MATCH "WS_NS:*" with
// pipelined GETs, one batch of keys at a time.
#include <map>

#include "backends/lightrag_json.h"
#include "backends/redis_client.h"
#include "export/layout_sources.h"
#include "format/uri.h"
#include "layouts/lightrag.h"

namespace decant {
namespace {

using namespace lightrag;

constexpr const char* kScanCount = "1000";

// The stream a key prefix ("WS_NS" or "NS") belongs to: LightRAG's Redis storages hold KV
// namespaces and doc status only.
std::optional<StreamId> stream_of_prefix(std::string_view prefix) {
  std::vector<std::string> candidates = kv_namespaces();
  candidates.emplace_back(kDocStatusNamespace);
  for (const std::string& ns : candidates) {
    std::string workspace;
    if (prefix == ns) {
      workspace.clear();
    } else if (prefix.size() > ns.size() + 1 && prefix.substr(prefix.size() - ns.size()) == ns &&
               prefix[prefix.size() - ns.size() - 1] == '_') {
      workspace = std::string(prefix.substr(0, prefix.size() - ns.size() - 1));
      if (!valid_workspace(workspace)) continue;
    } else {
      continue;
    }
    return StreamId{workspace, ns, storage_of_namespace(ns)};
  }
  return std::nullopt;
}

class LightragRedisSource final : public Source {
 public:
  LightragRedisSource(std::unique_ptr<RedisConnection> redis, int db, std::string location, Selection selection,
                      std::function<void(const std::string&)> note)
      : redis_(std::move(redis)), db_(db), location_(std::move(location)), selection_(std::move(selection)),
        note_(std::move(note)) {}

  SourceDescription describe() const override {
    SourceDescription d;
    d.backend = "redis";
    d.location = location_;
    d.snapshot = nullptr;
    d.details = {{"redis_version", redis_->version()}, {"layout", "lightrag"}, {"redis_db", db_}};
    return d;
  }

  Result<std::vector<StreamInfo>> streams() override {
    DECANT_TRY(redis_->select(db_));
    std::map<std::pair<std::string, std::string>, int64_t> counts;  // (workspace, ns) -> keys
    int64_t foreign = 0;
    DECANT_TRY(scan("*", [&](const std::vector<std::string>& keys) -> Status {
      for (const std::string& key : keys) {
        size_t colon = key.find(':');
        std::optional<StreamId> id = colon == std::string::npos ? std::nullopt : stream_of_prefix(std::string_view(key).substr(0, colon));
        if (!id) ++foreign;
        else ++counts[{id->workspace, id->ns}];
      }
      return Status::ok();
    }));
    if (foreign > 0)
      note_("redis: " + std::to_string(foreign) + " keys of database " + std::to_string(db_) +
            " are not LightRAG keys (WS_NAMESPACE:ID) and are left out");
    std::vector<StreamInfo> streams;
    for (const auto& [where, count] : counts) {
      const auto& [workspace, ns] = where;
      if (!selection_.keeps_workspace(workspace) || !selection_.keeps_namespace(ns)) continue;
      StreamInfo stream = make_stream(StreamId{workspace, ns, storage_of_namespace(ns)});
      stream.estimated_rows = count;
      streams.push_back(std::move(stream));
    }
    if (selection_.workspace && streams.empty())
      return Status::usage("redis: no LightRAG keys for workspace \"" + *selection_.workspace + "\" in database " +
                           std::to_string(db_));
    return streams;
  }

  Status read(const StreamInfo& stream, const RecordFn& emit) override {
    Result<StreamId> id = identify_stream(stream);
    if (!id) return id.take_status();
    DECANT_TRY(redis_->select(db_));
    std::string prefix = redis_key_prefix(id->workspace, id->ns);
    bool filtered = id->ns == kLlmCacheNamespace && !selection_.cache.keeps_everything();
    bool cache = is_cache_namespace(id->ns);
    int64_t left_out = 0;
    auto deliver = [&](const Record& record) -> Status {
      if (filtered && !selection_.cache.keeps(record[0].value.text)) {
        ++left_out;
        return Status::ok();
      }
      return emit(record);
    };
    Record record;
    RespBuffer gets;
    DECANT_TRY(scan(redis_glob_escape(prefix) + "*", [&](const std::vector<std::string>& keys) -> Status {
      gets.clear();
      for (const std::string& key : keys) gets.command({"GET", key});
      DECANT_TRY(redis_->send(gets.data()));
      for (const std::string& key : keys) {
        Result<RedisReply> reply = redis_->reply();
        if (!reply) return reply.take_status();
        if ((*reply)->type == REDIS_REPLY_NIL) continue;  // deleted since SCAN saw it
        if ((*reply)->type != REDIS_REPLY_STRING)
          return Status::source("redis: key " + describe_key(key) + " is not a string; LightRAG keeps JSON strings");
        std::string id_text = key.substr(prefix.size());
        std::unique_ptr<JsonFileReader> reader = JsonFileReader::from_text(reply_bytes(reply->get()), "redis key " + describe_key(key));
        Result<int> first = reader->peek();
        if (!first) return first.take_status();
        if (*first != '{') return reader->error("the value is not a JSON object");
        // A legacy nested cache key "NS:MODE" holds {hash: entry} (SPEC 11.5.2).
        if (cache && !is_flattened_cache_key(id_text) && id_text.find(':') == std::string::npos) {
          Value nested;
          DECANT_TRY(reader->read_value(nested, 0));
          DECANT_TRY(reader->expect_end());
          Result<bool> expanded = expand_legacy_cache(id_text, nested, deliver);
          if (!expanded) return expanded.take_status();
          if (*expanded) continue;
          record.clear_keep_capacity();
          record.add("_id") = Value::of_text(id_text);
          for (Field& f : nested.fields)
            if (f.name != "_id") record.add(f.name) = std::move(f.value);
          DECANT_TRY(deliver(record));
          continue;
        }
        DECANT_TRY(reader->expect('{'));
        record.clear_keep_capacity();
        record.add("_id") = Value::of_text(id_text);
        DECANT_TRY(reader->read_members(record, "_id"));
        DECANT_TRY(reader->expect_end());
        DECANT_TRY(deliver(record));
      }
      return Status::ok();
    }));
    if (left_out > 0)
      note_(stream.name + ": left out " + std::to_string(left_out) +
            " cache entries that --cache-types does not select (default extract,summary,analysis; --cache-types all keeps every entry)");
    return Status::ok();
  }

 private:
  Status scan(const std::string& pattern, const std::function<Status(const std::vector<std::string>&)>& batch) {
    std::string cursor = "0";
    std::vector<std::string> keys;
    do {
      if (interrupt_requested()) return interrupted_status();
      Result<RedisReply> reply = redis_->call({"SCAN", cursor, "MATCH", pattern, "COUNT", kScanCount});
      if (!reply) return reply.take_status();
      const redisReply* r = reply->get();
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) return Status::source("redis: unexpected SCAN reply");
      cursor = std::string(reply_bytes(r->element[0]));
      keys.clear();
      for (size_t i = 0; i < r->element[1]->elements; ++i) keys.emplace_back(reply_bytes(r->element[1]->element[i]));
      if (!keys.empty()) DECANT_TRY(batch(keys));
    } while (cursor != "0");
    return Status::ok();
  }

  std::unique_ptr<RedisConnection> redis_;
  int db_;
  std::string location_;
  Selection selection_;
  std::function<void(const std::string&)> note_;
};

}  // namespace

Result<std::unique_ptr<Source>> open_lightrag_redis_source(const std::string& uri, const SourceOptions& options) {
  for (const char* plain : {"split-prefix", "match", "redis-dump"})
    if (options.settings.contains(plain)) return Status::usage(std::string("--") + plain + " does not apply with --layout lightrag");
  Result<Selection> selection = selection_from_settings(options.settings, kDefaultCacheTypes);
  if (!selection) return selection.take_status();
  Result<RedisLocation> location = parse_redis_uri(uri);
  if (!location) return location.take_status();
  Result<std::unique_ptr<RedisConnection>> connection = RedisConnection::open(*location, Side::kSource);
  if (!connection) return connection.take_status();
  return std::unique_ptr<Source>(new LightragRedisSource(std::move(connection.value()), location->db >= 0 ? location->db : 0,
                                                         redact_uri(uri), std::move(selection.value()), options.note));
}

}  // namespace decant
