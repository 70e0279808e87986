// Redis import (format/SPEC.md 11.3.4): records become commands in pipelined MULTI/EXEC batches.
// A batch is checked for conflicts (EXISTS) before it is sent, and one batch is kept in flight
// while the next is built. Batches do not roll back: what an EXEC applied stays, except in the
// isolated batches of --max-errors, which save each key before writing it and put it back when
// the batch fails.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "backends/redis_client.h"
#include "format/uri.h"
#include "format/value_codec.h"
#include "import/layout_sinks.h"
#include "import/sink.h"
#include "layouts/lightrag.h"

namespace decant {
namespace {

enum class Mode {
  kKeys,  // keyspace records (key, type, value, expire_at[, page])
  kDump,  // keyspace records in dump mode (key, type, dump, expire_at)
  kRows,  // any other stream: one key per record
};

// A stream being imported, and the key whose pages it is writing.
struct StreamState {
  StreamInfo info;
  Mode mode = Mode::kKeys;
  int db = 0;
  int64_t records = 0;  // seen so far: numbers rows of a stream without key columns

  enum class Open { kNone, kWrite, kSkip, kExpired };
  Open open = Open::kNone;
  std::string open_key;
  std::string open_type;
  int64_t next_page = 0;
  uint64_t batch = 0;         // the batch that holds this key's page 0 check, if still current
  size_t batch_key = 0;       // index of the key in that batch
};

// A value of a table store may hold the JSON text of an array or document (SPEC 11.0 rule 1):
// decoded here into the value itself.
Status unwrap(const Value& in, bool composite, Value& scratch, const Value*& out) {
  out = &in;
  bool json_text = in.kind == Kind::kJson || (composite && in.kind == Kind::kText);
  if (!json_text) return Status::ok();
  Result<Value> decoded = decode_value_text(in.text);
  if (!decoded) return decoded.take_status();
  scratch = std::move(decoded.value());
  out = &scratch;
  return Status::ok();
}

struct Settings {
  std::vector<std::pair<std::string, std::string>> renames;  // --rename-prefix OLD=NEW
  int flush = -1;                                           // --flush N
  bool rows_as_hash = false;                                // --redis-row hash
};

Result<Settings> read_settings(const nlohmann::json& settings) {
  Settings s;
  if (!settings.is_object()) return s;
  if (settings.contains("rename-prefix")) {
    for (const auto& pair : settings["rename-prefix"]) {
      std::string text = pair.is_string() ? pair.get<std::string>() : "";
      size_t eq = text.find('=');
      if (eq == std::string::npos || eq == 0)
        return Status::usage("--rename-prefix expects OLD=NEW with a non-empty OLD, got \"" + text + "\"");
      s.renames.emplace_back(text.substr(0, eq), text.substr(eq + 1));
    }
  }
  if (settings.contains("flush")) {
    if (!settings["flush"].is_number_integer() || settings["flush"].get<int64_t>() < 0)
      return Status::usage("--flush expects a database number");
    s.flush = static_cast<int>(settings["flush"].get<int64_t>());
  }
  if (settings.contains("redis-row")) {
    std::string row = settings["redis-row"].is_string() ? settings["redis-row"].get<std::string>() : "";
    if (row != "json" && row != "hash") return Status::usage("--redis-row expects json or hash, got \"" + row + "\"");
    s.rows_as_hash = row == "hash";
  }
  return s;
}

class RedisSink final : public Sink {
 public:
  static Result<std::unique_ptr<Sink>> open(const std::string& uri, const SinkOptions& options) {
    Result<bool> layout = lightrag::wants_lightrag_layout(options.settings);
    if (!layout) return layout.take_status();
    if (*layout && options.isolated_batches)
      return Status::usage("redis: --layout lightrag does not offer --max-errors (the keyspace import does)");
    if (*layout) return open_lightrag_redis_sink(uri, options);
    if (options.drop || options.truncate)
      return Status::usage("redis: --drop and --truncate do not apply to a keyspace; use --conflict replace, or "
                           "--flush DB to empty the database first");
    Result<Settings> settings = read_settings(options.settings);
    if (!settings) return settings.take_status();
    Result<RedisLocation> location = parse_redis_uri(uri);
    if (!location) return location.take_status();
    if (settings->flush >= 0 && settings->flush != location->db)
      return Status::usage("redis: --flush " + std::to_string(settings->flush) +
                           " must name the database the URI names (" +
                           (location->db < 0 ? "it names none: add /" + std::to_string(settings->flush)
                                             : "/" + std::to_string(location->db)) +
                           "), so that no other database is emptied by mistake");
    Result<std::unique_ptr<RedisConnection>> connection = RedisConnection::open(*location, Side::kTarget);
    if (!connection) return connection.take_status();
    return std::unique_ptr<Sink>(new RedisSink(std::move(connection.value()), *location, redact_uri(uri),
                                               std::move(settings.value()), options));
  }

  Status begin() override {
    int db = location_.db >= 0 ? location_.db : 0;
    DECANT_TRY(redis_->select(db));
    current_db_ = db;
    if (settings_.flush < 0) return Status::ok();
    Result<RedisReply> size = redis_->call({"DBSIZE"});
    if (!size) return size.take_status();
    std::string what = "database " + std::to_string(db) + " (" + with_s((*size)->integer, "key") + ")";
    if (options_.dry_run) {
      options_.note("redis: dry run: would flush " + what);
      return Status::ok();
    }
    Result<RedisReply> flushed = redis_->call({"FLUSHDB"});
    if (!flushed) return flushed.take_status();
    options_.note("redis: flushed " + what);
    return Status::ok();
  }

  Status begin_stream(const StreamInfo& stream) override {
    auto state = std::make_unique<StreamState>();
    state->info = stream;
    state->mode = mode_of(stream);
    state->db = location_.db >= 0 ? location_.db : 0;
    if (location_.db < 0 && stream.options.is_object() && stream.options.contains("redis_db") &&
        stream.options["redis_db"].is_number_integer())
      state->db = stream.options["redis_db"].get<int>();
    if (state->mode == Mode::kRows) {
      std::string key = stream.key.empty() ? "a record number from 1" : "its key fields joined by ':'";
      options_.note("redis: stream \"" + stream.name + "\" is not a keyspace: each record becomes the " +
                    (settings_.rows_as_hash ? "hash" : "JSON string") + " " + stream.name + ":K, K being " + key);
    }
    streams_[stream.name] = std::move(state);
    return Status::ok();
  }

  Status write(const std::string& stream, const Record& record) override {
    StreamState* state = find_stream(stream);
    if (!state) return Status::internal("record for stream \"" + stream + "\", which has not begun");
    ++state->records;
    if (state->db != current_db_) DECANT_TRY(switch_db(state->db));
    Status written = state->mode == Mode::kRows ? write_row(*state, record) : write_key(*state, record);
    if (!written) return written;
    if (static_cast<int64_t>(batch_records_) >= options_.batch_rows ||
        static_cast<int64_t>(batch_.size()) >= options_.batch_bytes)
      return flush_batch();
    return Status::ok();
  }

  Status end_stream(const std::string& stream) override {
    DECANT_TRY(flush_batch());
    streams_.erase(stream);
    last_stream_ = nullptr;
    return Status::ok();
  }

  Status commit() override {
    DECANT_TRY(flush_batch());
    DECANT_TRY(drain());
    if (checkpoint_ && !options_.dry_run) {
      // Complete: the checkpoint goes (not in the last batch's transaction, but a resume after
      // a crash just here skips every record and removes it then).
      DECANT_TRY(switch_db(checkpoint_db()));
      Result<RedisReply> removed = redis_->call({"DEL", kCheckpointKey});
      if (!removed) return removed.take_status();
    }
    std::string report = std::string(options_.dry_run ? "redis: dry run: would write " : "redis: wrote ") +
                         with_s(counts_.keys_written, "key") + " (" + with_s(counts_.records_written, "record") + ")";
    if (counts_.skipped_existing) report += "; skipped " + with_s(counts_.skipped_existing, "existing key") + " (--conflict skip)";
    if (counts_.skipped_expired) report += "; skipped " + with_s(counts_.skipped_expired, "key") + " that had already expired";
    if (counts_.empty_rows) report += "; " + with_s(counts_.empty_rows, "row") + " with no non-null field not written";
    if (counts_.replaced_existing)
      report += std::string(merging() ? "; would merge into " : "; would replace ") +
                with_s(counts_.replaced_existing, "existing key");
    options_.note(report);
    if (options_.dry_run) DECANT_TRY(check_memory());
    if (counts_.conflict_count > 0) {
      std::string first;
      for (const std::string& key : conflicts_) first += (first.empty() ? "" : ", ") + key;
      return Status::target("redis: dry run: " + with_s(counts_.conflict_count, "key") + " of the archive already exist (" +
                            first + (counts_.conflict_count > int64_t(conflicts_.size()) ? ", ..." : "") +
                            "): the import would fail (--conflict error; use skip or replace)");
    }
    return Status::ok();
  }

  // Isolated batches (--max-errors): the batch's first MULTI/EXEC that writes a key reads its
  // DUMP and expiry first, so that abort_batch can put it back (RESTORE, or DEL for a key that
  // did not exist). Only then: the plain path pays nothing for it.
  Status begin_batch() override {
    DECANT_TRY(flush_batch());
    DECANT_TRY(drain());
    in_batch_ = true;
    counts_at_batch_ = counts_;
    positions_at_batch_.clear();
    for (auto& [name, state] : streams_)
      positions_at_batch_.push_back(
          Position{state.get(), state->records, state->open, state->open_key, state->open_type, state->next_page});
    return Status::ok();
  }

  Status end_batch() override {
    DECANT_TRY(flush_batch());
    DECANT_TRY(drain());
    in_batch_ = false;
    saved_.clear();
    saved_names_.clear();
    return Status::ok();
  }

  Status abort_batch() override {
    in_batch_ = false;
    batch_.clear();
    segments_.clear();
    keys_.clear();
    checked_.clear();
    batch_records_ = 0;
    ++batch_number_;  // no stream's page refers to the dropped batch any more
    in_flight_.clear();  // read already: an isolated batch waits for each EXEC
    counts_ = counts_at_batch_;
    for (Position& p : positions_at_batch_) {
      p.stream->records = p.records;
      p.stream->open = p.open;
      p.stream->open_key = std::move(p.open_key);
      p.stream->open_type = std::move(p.open_type);
      p.stream->next_page = p.next_page;
    }
    positions_at_batch_.clear();
    return restore_saved();
  }

  void track(const Checkpoint* checkpoint) override { checkpoint_ = checkpoint; }

  Result<std::optional<Checkpoint>> stored_checkpoint() override {
    if (settings_.flush >= 0) return Status::usage("redis: --flush would empty what --resume continues");
    DECANT_TRY(switch_db(checkpoint_db()));
    Result<RedisReply> stored = redis_->call({"GET", kCheckpointKey});
    if (!stored) return stored.take_status();
    if ((*stored)->type != REDIS_REPLY_STRING) return std::optional<Checkpoint>();
    nlohmann::json j = nlohmann::json::parse(reply_bytes(stored->get()), nullptr, false);
    if (!j.is_object() || !j.contains("archive_id") || !j["archive_id"].is_string() || !j.contains("line") ||
        !j["line"].is_number_integer() || !j.contains("records") || !j["records"].is_number_integer())
      return Status::target(std::string("key ") + kCheckpointKey + " in database " + std::to_string(checkpoint_db()) +
                            " is not a decant checkpoint");
    return std::optional<Checkpoint>(
        Checkpoint{j["archive_id"].get<std::string>(), j["line"].get<int64_t>(), j["records"].get<int64_t>()});
  }

  void rollback() override {
    // Nothing to undo: sent batches stay (Redis has no rollback), the unsent one is dropped.
    batch_.clear();
    segments_.clear();
    keys_.clear();
  }

 private:
  RedisSink(std::unique_ptr<RedisConnection> redis, RedisLocation location, std::string location_text,
            Settings settings, const SinkOptions& options)
      : redis_(std::move(redis)),
        location_(std::move(location)),
        location_text_(std::move(location_text)),
        settings_(std::move(settings)),
        options_(options) {}

  static Mode mode_of(const StreamInfo& stream) {
    std::vector<std::string> names;
    for (const Column& c : stream.columns) names.push_back(c.name);
    std::sort(names.begin(), names.end());
    using V = std::vector<std::string>;
    if (names == V{"dump", "expire_at", "key", "type"}) return Mode::kDump;
    if (names == V{"expire_at", "key", "type", "value"} || names == V{"expire_at", "key", "page", "type", "value"})
      return Mode::kKeys;
    if (stream.kind == "keyspace") {
      bool dump = stream.options.is_object() && stream.options.contains("mode") && stream.options["mode"] == "dump";
      return dump ? Mode::kDump : Mode::kKeys;
    }
    return Mode::kRows;
  }

  StreamState* find_stream(const std::string& name) {
    if (last_stream_ && last_stream_->info.name == name) return last_stream_;
    auto found = streams_.find(name);
    last_stream_ = found == streams_.end() ? nullptr : found->second.get();
    return last_stream_;
  }

  Status switch_db(int db) {
    DECANT_TRY(flush_batch());
    DECANT_TRY(drain());
    DECANT_TRY(redis_->select(db));
    current_db_ = db;
    return Status::ok();
  }

  std::string renamed(std::string key) const {
    for (const auto& [from, to] : settings_.renames)
      if (key.compare(0, from.size(), from) == 0) return to + key.substr(from.size());
    return key;
  }

  // ------------------------------------------------------------ keyspace records

  // Whether a key's first record must find it absent (--conflict error and skip); replace and
  // merge write over what is there.
  bool must_be_new() const {
    return options_.conflict == ConflictPolicy::kError || options_.conflict == ConflictPolicy::kSkip;
  }
  bool merging() const { return options_.conflict == ConflictPolicy::kMerge; }

  // --conflict merge writes a string with SET, which would replace a key of any type: STRLEN
  // first fails with WRONGTYPE on a key that is not a string, as the other types' commands do.
  void string_check(const std::string& key) { batch_.command({"STRLEN", key}); }

  static Status bad(const std::string& key, const std::string& what) {
    return Status::target("key " + describe_key(key) + ": " + what);
  }

  Status write_key(StreamState& state, const Record& record) {
    const Value* key_field = record.find(redis_field::kKey);
    const Value* type_field = record.find(redis_field::kType);
    const Value* expire_field = record.find(redis_field::kExpireAt);
    const Value* page_field = record.find(redis_field::kPage);
    const Value* value_field = record.find(state.mode == Mode::kDump ? redis_field::kDump : redis_field::kValue);
    if (!key_field || !type_field || !value_field)
      return Status::target("record " + std::to_string(state.records) + " lacks one of the fields key, type, " +
                            (state.mode == Mode::kDump ? "dump" : "value"));
    const Value* key_value;
    DECANT_TRY(unwrap(*key_field, false, scratch_key_, key_value));
    std::string key;
    if (key_value->kind != Kind::kText && key_value->kind != Kind::kRawText && key_value->kind != Kind::kBytes)
      return Status::target("record " + std::to_string(state.records) + ": key must be text or bytes, not " +
                            kind_name(key_value->kind));
    key = renamed(key_value->text);
    if (type_field->kind != Kind::kText) return bad(key, "type must be text");
    const std::string& type = type_field->text;
    int64_t page = 0;
    if (page_field && page_field->kind != Kind::kNull) {
      if (page_field->kind != Kind::kInt64 || page_field->integer < 0) return bad(key, "page must be an integer >= 0");
      page = page_field->integer;
    }
    std::optional<int64_t> expire_at;
    if (expire_field && expire_field->kind != Kind::kNull) {
      if (expire_field->kind != Kind::kInt64) return bad(key, "expire_at must be null or an integer (ms since the epoch)");
      expire_at = expire_field->integer;
    }

    if (page == 0) {
      state.open_key = key;
      state.open_type = type;
      state.next_page = 1;
      if (expire_at && *expire_at <= unix_time_ms()) {
        state.open = StreamState::Open::kExpired;
        ++counts_.skipped_expired;
        return Status::ok();
      }
      state.open = StreamState::Open::kWrite;
      Result<bool> added = add_key(state, key, must_be_new());
      if (!added) return added.take_status();
      if (!*added) return Status::ok();  // skipped: it appeared earlier in this batch
      ++counts_.keys_written;
    } else {
      if (state.open == StreamState::Open::kNone || state.open_key != key || page != state.next_page)
        return bad(key, "page " + std::to_string(page) + " does not follow page " + std::to_string(page - 1) +
                            " of the same key (the pages of a key must be consecutive and in order)");
      if (type != state.open_type) return bad(key, "page " + std::to_string(page) + " has another type than page 0");
      ++state.next_page;
      if (state.open != StreamState::Open::kWrite) return Status::ok();
      if (state.batch != batch_number_) {
        Result<bool> added = add_key(state, key, false);
        if (!added) return added.take_status();
      }
    }
    ++counts_.records_written;
    size_t mark_size = batch_.size(), mark_commands = batch_.commands();
    Status built = state.mode == Mode::kDump ? dump_commands(state, key, *value_field, expire_at)
                                             : value_commands(key, type, *value_field, page, expire_at);
    if (!built) {
      batch_.truncate(mark_size, mark_commands);
      return built;
    }
    add_segment(state.batch_key, mark_size, mark_commands);
    return Status::ok();
  }

  Status dump_commands(const StreamState& state, const std::string& key, const Value& dump,
                       std::optional<int64_t> expire_at) {
    if (dump.kind != Kind::kBytes) return bad(key, "dump must be bytes (a DUMP payload)");
    std::string ttl = expire_at ? std::to_string(*expire_at) : "0";
    if (options_.conflict == ConflictPolicy::kReplace) {
      batch_.command({"RESTORE", key, ttl, dump.text, "ABSTTL", "REPLACE"});
    } else {
      batch_.command({"RESTORE", key, ttl, dump.text, "ABSTTL"});
    }
    if (!rdb_note_) {
      rdb_note_ = true;
      restore_versions_ = "the archive's payloads are RDB version " +
                          (state.info.options.contains("rdb_version") ? state.info.options["rdb_version"].dump()
                                                                       : std::string("?")) +
                          ", the target is Redis " + redis_->version();
    }
    return Status::ok();
  }

  // Appends the bytes of a byte-string value as an argument.
  Status byte_arg(const std::string& key, const Value& value, const char* what) {
    if (!byte_string_of(value, bytes_))
      return bad(key, std::string(what) + " must be text or bytes, not " + kind_name(value.kind));
    batch_.arg(bytes_);
    return Status::ok();
  }

  Status score_arg(const std::string& key, const Value& value) {
    char text[32];
    std::string_view score;
    if (value.kind == Kind::kFloat64) {
      if (std::isnan(value.real)) return bad(key, "a sorted-set score cannot be NaN");
      if (std::isinf(value.real)) {
        score = value.real > 0 ? "+inf" : "-inf";
      } else {
        char* end = std::to_chars(text, text + sizeof text, value.real).ptr;
        score = std::string_view(text, static_cast<size_t>(end - text));
      }
    } else if (value.kind == Kind::kInt64 || value.kind == Kind::kInt32) {
      char* end = std::to_chars(text, text + sizeof text, value.integer).ptr;
      score = std::string_view(text, static_cast<size_t>(end - text));
    } else if (value.kind == Kind::kText || value.kind == Kind::kDecimal) {
      score = value.text;
    } else {
      return bad(key, std::string("a sorted-set score must be a number, not ") + kind_name(value.kind));
    }
    batch_.arg(score);
    return Status::ok();
  }

  static bool is_pair(const Value& v) { return v.kind == Kind::kArray && v.items.size() == 2; }

  Status value_commands(const std::string& key, const std::string& type, const Value& raw, int64_t page,
                        std::optional<int64_t> expire_at) {
    const Value* value;
    Status unwrapped = unwrap(raw, type != "string", scratch_value_, value);
    if (!unwrapped) return bad(key, "value: " + unwrapped.message());
    bool replace_first = page == 0 && options_.conflict == ConflictPolicy::kReplace;
    if (type == "string") {
      if (page == 0) {
        if (merging()) string_check(key);
        batch_.begin(merging() ? 4 : 3);
        batch_.arg("SET");  // replaces a key of any type, and its expiry
      } else {
        batch_.begin(3);
        batch_.arg("APPEND");
      }
      batch_.arg(key);
      DECANT_TRY(byte_arg(key, *value, "a string value"));
      if (page == 0 && merging()) batch_.arg("KEEPTTL");
    } else if (type == "hash") {
      if (replace_first) batch_.command({"DEL", key});
      if (value->kind == Kind::kDocument) {
        if (!value->fields.empty()) {
          batch_.begin(2 + 2 * value->fields.size());
          batch_.arg("HSET");
          batch_.arg(key);
          for (const Field& f : value->fields) {
            batch_.arg(f.name);
            DECANT_TRY(byte_arg(key, f.value, "a hash value"));
          }
        }
      } else if (value->kind == Kind::kArray) {
        if (!std::all_of(value->items.begin(), value->items.end(), is_pair))
          return bad(key, "a hash value must be a document or an array of [field, value] pairs");
        if (!value->items.empty()) {
          batch_.begin(2 + 2 * value->items.size());
          batch_.arg("HSET");
          batch_.arg(key);
          for (const Value& pair : value->items) {
            DECANT_TRY(byte_arg(key, pair.items[0], "a hash field"));
            DECANT_TRY(byte_arg(key, pair.items[1], "a hash value"));
          }
        }
      } else {
        return bad(key, std::string("a hash value must be a document or an array of pairs, not ") + kind_name(value->kind));
      }
    } else if (type == "list" || type == "set") {
      if (value->kind != Kind::kArray)
        return bad(key, "a " + type + " value must be an array, not " + kind_name(value->kind));
      if (replace_first) batch_.command({"DEL", key});
      if (!value->items.empty()) {
        batch_.begin(2 + value->items.size());
        batch_.arg(type == "list" ? "RPUSH" : "SADD");
        batch_.arg(key);
        for (const Value& item : value->items) DECANT_TRY(byte_arg(key, item, "an element"));
      }
    } else if (type == "zset") {
      if (value->kind != Kind::kArray || !std::all_of(value->items.begin(), value->items.end(), is_pair))
        return bad(key, "a zset value must be an array of [member, score] pairs");
      if (replace_first) batch_.command({"DEL", key});
      if (!value->items.empty()) {
        batch_.begin(2 + 2 * value->items.size());
        batch_.arg("ZADD");
        batch_.arg(key);
        for (const Value& pair : value->items) {
          DECANT_TRY(score_arg(key, pair.items[1]));
          DECANT_TRY(byte_arg(key, pair.items[0], "a member"));
        }
      }
    } else if (type == "stream") {
      if (replace_first) batch_.command({"DEL", key});
      DECANT_TRY(stream_commands(key, *value, page));
    } else {
      return bad(key, "unknown type \"" + type + "\" (string, hash, list, set, zset or stream)");
    }
    if (expire_at) {
      batch_.begin(3);
      batch_.arg("PEXPIREAT");
      batch_.arg(key);
      batch_.arg(*expire_at);
    }
    return Status::ok();
  }

  static const Value* member(const Value& document, std::string_view name) {
    for (const Field& f : document.fields)
      if (f.name == name) return &f.value;
    return nullptr;
  }

  Status stream_commands(const std::string& key, const Value& value, int64_t page) {
    const Value* entries = value.kind == Kind::kDocument ? member(value, "entries") : nullptr;
    if (!entries || entries->kind != Kind::kArray)
      return bad(key, "a stream value must be a document with an array \"entries\"");
    if (page == 0 && entries->items.empty()) {
      // XADD cannot make an empty stream; this one is trimmed away at once. XSETID below sets
      // the real last id.
      batch_.command({"XADD", key, "MAXLEN", "0", "0-1", "x", ""});
    }
    for (const Value& entry : entries->items) {
      const Value* id = entry.kind == Kind::kDocument ? member(entry, "id") : nullptr;
      const Value* fields = entry.kind == Kind::kDocument ? member(entry, "fields") : nullptr;
      if (!id || id->kind != Kind::kText || !fields)
        return bad(key, "a stream entry must be a document with \"id\" (text) and \"fields\"");
      size_t count = fields->kind == Kind::kDocument ? fields->fields.size()
                     : fields->kind == Kind::kArray  ? fields->items.size()
                                                     : 0;
      if (count == 0) return bad(key, "stream entry " + id->text + " has no fields");
      batch_.begin(3 + 2 * count);
      batch_.arg("XADD");
      batch_.arg(key);
      batch_.arg(id->text);
      if (fields->kind == Kind::kDocument) {
        for (const Field& f : fields->fields) {
          batch_.arg(f.name);
          DECANT_TRY(byte_arg(key, f.value, "a stream value"));
        }
      } else {
        for (const Value& pair : fields->items) {
          if (!is_pair(pair)) return bad(key, "stream entry " + id->text + ": fields must be [field, value] pairs");
          DECANT_TRY(byte_arg(key, pair.items[0], "a stream field"));
          DECANT_TRY(byte_arg(key, pair.items[1], "a stream value"));
        }
      }
    }
    const Value* last_id = member(value, "last_id");
    if (last_id && last_id->kind == Kind::kText) {
      bool seven = redis_->major_version() >= 7;
      const Value* added = member(value, "entries_added");
      const Value* deleted = member(value, "max_deleted_id");
      bool with_added = seven && added && added->kind == Kind::kInt64;
      bool with_deleted = seven && deleted && deleted->kind == Kind::kText;
      batch_.begin(3 + (with_added ? 2 : 0) + (with_deleted ? 2 : 0));
      batch_.arg("XSETID");
      batch_.arg(key);
      batch_.arg(last_id->text);
      if (with_added) {
        batch_.arg("ENTRIESADDED");
        batch_.arg(added->integer);
      }
      if (with_deleted) {
        batch_.arg("MAXDELETEDID");
        batch_.arg(deleted->text);
      }
    }
    const Value* groups = member(value, "groups");
    if (groups && groups->kind == Kind::kArray) {
      for (const Value& group : groups->items) {
        const Value* name = group.kind == Kind::kDocument ? member(group, "name") : nullptr;
        const Value* delivered = group.kind == Kind::kDocument ? member(group, "last_delivered_id") : nullptr;
        const Value* read = group.kind == Kind::kDocument ? member(group, "entries_read") : nullptr;
        if (!name || !delivered || delivered->kind != Kind::kText)
          return bad(key, "a stream group must have \"name\" and \"last_delivered_id\"");
        bool with_read = redis_->major_version() >= 7 && read && read->kind == Kind::kInt64;
        batch_.begin(5 + (with_read ? 2 : 0));
        batch_.arg("XGROUP");
        batch_.arg("CREATE");
        batch_.arg(key);
        DECANT_TRY(byte_arg(key, *name, "a group name"));
        batch_.arg(delivered->text);
        if (with_read) {
          batch_.arg("ENTRIESREAD");
          batch_.arg(read->integer);
        }
      }
    }
    return Status::ok();
  }

  // ------------------------------------------------------------ rows of other streams

  // The text a field value has as part of a key name or as a hash field (SPEC 11.3.4).
  static void row_text(const Value& value, std::string& out) {
    switch (value.kind) {
      case Kind::kBool: out = value.boolean ? "true" : "false"; return;
      case Kind::kBytes: out = value.text; return;
      default:
        if (is_printed_text(value.kind)) {
          out = value.text;
          return;
        }
        if (byte_string_of(value, out)) return;
        out.clear();
        encode_value(value, out);
    }
  }

  Status write_row(StreamState& state, const Record& record) {
    std::string key = state.info.name;
    if (state.info.key.empty()) {
      key += ":" + std::to_string(state.records);
    } else {
      for (const std::string& column : state.info.key) {
        const Value* part = record.find(column);
        row_text(part ? *part : Value(), bytes_);
        key += ":" + bytes_;
      }
    }
    key = renamed(std::move(key));
    size_t fields = 0;
    for (const Field& f : record) fields += f.value.kind != Kind::kNull;
    if (settings_.rows_as_hash && fields == 0) {
      ++counts_.empty_rows;
      return Status::ok();
    }
    Result<bool> added = add_key(state, key, must_be_new());
    if (!added) return added.take_status();
    if (!*added) return Status::ok();
    ++counts_.keys_written;
    ++counts_.records_written;
    size_t mark_size = batch_.size(), mark_commands = batch_.commands();
    if (settings_.rows_as_hash) {
      if (options_.conflict == ConflictPolicy::kReplace) batch_.command({"DEL", key});
      batch_.begin(2 + 2 * fields);
      batch_.arg("HSET");
      batch_.arg(key);
      for (const Field& f : record) {
        if (f.value.kind == Kind::kNull) continue;
        batch_.arg(f.name);
        row_text(f.value, bytes_);
        batch_.arg(bytes_);
      }
    } else {
      bytes_.clear();
      encode_record(record, bytes_);
      if (merging()) {
        string_check(key);
        batch_.command({"SET", key, bytes_, "KEEPTTL"});
      } else {
        batch_.command({"SET", key, bytes_});
      }
    }
    add_segment(state.batch_key, mark_size, mark_commands);
    return Status::ok();
  }

  // ------------------------------------------------------------ batches

  struct BatchKey {
    std::string name;
    bool check = false;    // page 0 under --conflict error/skip: must not exist yet
    bool skipped = false;  // found to exist under --conflict skip
    StreamState* stream = nullptr;
  };
  struct Segment {  // the commands of one record
    size_t key;
    size_t begin, end;
    size_t commands;
  };
  struct InFlight {  // a sent batch whose replies are not read yet
    size_t commands = 0;
    std::vector<std::pair<size_t, std::string>> first_command_of;  // command index -> key, ascending
    std::vector<std::pair<size_t, size_t>> saves;  // isolated batches: saved_ index -> command of its DUMP
  };

  // Registers the key of a record in the current batch; false when the record is to be skipped
  // because the same key already came earlier in this batch (--conflict skip).
  Result<bool> add_key(StreamState& state, const std::string& key, bool check) {
    if (check) {
      auto [it, fresh] = checked_.emplace(key, keys_.size());
      if (!fresh) {
        if (options_.conflict == ConflictPolicy::kError)
          return Status::target("key " + describe_key(key) + " appears twice in the archive (--conflict error)");
        state.open = StreamState::Open::kSkip;
        ++counts_.skipped_existing;
        return false;
      }
    }
    state.batch = batch_number_;
    state.batch_key = keys_.size();
    keys_.push_back(BatchKey{key, check, false, &state});
    return true;
  }

  void add_segment(size_t key, size_t begin, size_t commands_before) {
    ++batch_records_;
    segments_.push_back(Segment{key, begin, batch_.size(), batch_.commands() - commands_before});
  }

  Status flush_batch() {
    if (keys_.empty() && batch_.empty()) return Status::ok();
    DECANT_TRY(check_conflicts());
    InFlight sent;
    if (!options_.dry_run) {
      // MULTI, the segments of keys not skipped, EXEC, queued straight from the batch buffer.
      size_t command = 1;
      bool any = false;
      for (const Segment& s : segments_) {
        if (keys_[s.key].skipped) continue;
        if (!any) {
          DECANT_TRY(redis_->queue("*1\r\n$5\r\nMULTI\r\n"));
          if (in_batch_) DECANT_TRY(queue_saves(sent, command));
        }
        any = true;
        if (sent.first_command_of.empty() || sent.first_command_of.back().second != keys_[s.key].name)
          sent.first_command_of.emplace_back(command, keys_[s.key].name);
        DECANT_TRY(redis_->queue(std::string_view(batch_.data()).substr(s.begin, s.end - s.begin)));
        command += s.commands;
      }
      if (any && checkpoint_) DECANT_TRY(queue_checkpoint(sent, command));
      sent.commands = command + 1;
      if (any) {
        DECANT_TRY(redis_->queue("*1\r\n$4\r\nEXEC\r\n"));
        DECANT_TRY(redis_->flush());
        in_flight_.push_back(std::move(sent));
      }
    }
    for (const Segment& s : segments_)
      if (keys_[s.key].skipped) --counts_.records_written;
    if (options_.dry_run) counts_.dry_run_bytes += int64_t(batch_.size());
    batch_.clear();
    segments_.clear();
    keys_.clear();
    checked_.clear();
    batch_records_ = 0;
    ++batch_number_;
    // One batch stays in flight, so the server executes it while the next one is built; an
    // isolated batch waits for each verdict, so that a failure stops it at once.
    while (in_flight_.size() > (in_batch_ ? 0 : 1)) DECANT_TRY(read_in_flight());
    return Status::ok();
  }

  // EXISTS for every key that must not exist yet: one multi-key EXISTS first, which is 0 in the
  // usual case; only otherwise one per key, to name them.
  Status check_conflicts() {
    // A dry run also looks for the keys --conflict replace would overwrite, to count them.
    bool count_replaced = options_.dry_run && !must_be_new();
    std::vector<size_t> checked;
    for (size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i].check || count_replaced) checked.push_back(i);
    if (checked.empty()) return Status::ok();
    out_.clear();
    out_.begin(1 + checked.size());
    out_.arg("EXISTS");
    for (size_t i : checked) out_.arg(keys_[i].name);
    DECANT_TRY(redis_->send(out_.data()));
    DECANT_TRY(drain());  // replies of the batch in flight come first
    Result<RedisReply> count = redis_->reply();
    if (!count) return count.take_status();
    if (is_error(count->get())) return Status::target("EXISTS: " + std::string(reply_bytes(count->get())));
    if ((*count)->integer == 0) return Status::ok();

    out_.clear();
    for (size_t i : checked) out_.command({"EXISTS", keys_[i].name});
    DECANT_TRY(redis_->send(out_.data()));
    // Every reply is read before any conflict fails the batch: the connection must stay in step.
    std::vector<bool> exist;
    for (size_t i = 0; i < checked.size(); ++i) {
      Result<RedisReply> exists = redis_->reply();
      if (!exists) return exists.take_status();
      exist.push_back((*exists)->integer != 0);
    }
    for (size_t n = 0; n < checked.size(); ++n) {
      if (!exist[n]) continue;
      size_t i = checked[n];
      BatchKey& key = keys_[i];
      if (count_replaced) {
        ++counts_.replaced_existing;
        continue;
      }
      // A dry run lists the conflicts and fails at the end, having seen them all; in an
      // isolated batch (--max-errors) a conflict is a reject as in a real run.
      if (options_.dry_run && !in_batch_ && options_.conflict == ConflictPolicy::kError) {
        if (conflicts_.size() < 3) conflicts_.push_back(describe_key(key.name));
        ++counts_.conflict_count;
      } else if (options_.conflict == ConflictPolicy::kError) {
        return Status::target("key " + describe_key(key.name) + " already exists in database " +
                              std::to_string(current_db_) + " (--conflict error; use skip or replace)");
      }
      key.skipped = true;
      if (options_.conflict == ConflictPolicy::kSkip) ++counts_.skipped_existing;
      --counts_.keys_written;
      // Its later pages, in this batch or after it, are skipped with it.
      if (key.stream->batch == batch_number_ && key.stream->batch_key == i && key.stream->open_key == key.name)
        key.stream->open = StreamState::Open::kSkip;
    }
    return Status::ok();
  }

  // A dry run's estimate of the memory the import needs (the size of its commands, an upper
  // bound for plain values) against the server's maxmemory: too much is an error.
  Status check_memory() {
    Result<RedisReply> info = redis_->call({"INFO", "memory"});
    if (!info) return info.take_status();
    std::string text(reply_bytes(info->get()));
    auto field = [&](const std::string& name) -> int64_t {
      size_t at = text.find("\n" + name + ":");
      return at == std::string::npos ? -1 : std::atoll(text.c_str() + at + name.size() + 2);
    };
    int64_t used = field("used_memory"), max = field("maxmemory");
    auto mb = [](int64_t bytes) { return std::to_string((bytes + 500000) / 1000000) + " MB"; };
    std::string what = "redis: dry run: the import's commands total about " + mb(counts_.dry_run_bytes) +
                       "; the server uses " + (used < 0 ? "an unknown amount" : mb(used));
    if (max <= 0) {
      options_.note(what + " and has no maxmemory");
      return Status::ok();
    }
    options_.note(what + " of its maxmemory of " + mb(max));
    if (used >= 0 && used + counts_.dry_run_bytes > max)
      return Status::target("redis: dry run: the import needs about " + mb(counts_.dry_run_bytes) + " but the server has " +
                            mb(std::max<int64_t>(max - used, 0)) + " left under its maxmemory of " + mb(max));
    return Status::ok();
  }

  // The checkpoint lives in the URI's database (0 when it names none), whichever database the
  // batch writes: SELECT inside MULTI keeps it in the batch's transaction.
  int checkpoint_db() const { return location_.db >= 0 ? location_.db : 0; }

  // Queues, inside the batch's MULTI, the SET of the driver's checkpoint; counts its commands
  // into `command`. An isolated batch saves the checkpoint as it saves its keys.
  Status queue_checkpoint(InFlight& sent, size_t& command) {
    nlohmann::json value = {
        {"archive_id", checkpoint_->archive_id}, {"line", checkpoint_->line}, {"records", checkpoint_->records}};
    out_.clear();
    bool other_db = current_db_ != checkpoint_db();
    if (other_db) out_.command({"SELECT", std::to_string(checkpoint_db())});
    if (in_batch_) save_key(checkpoint_db(), kCheckpointKey, sent, command);
    out_.command({"SET", kCheckpointKey, value.dump()});
    if (other_db) out_.command({"SELECT", std::to_string(current_db_)});
    command += out_.commands();
    return redis_->queue(out_.data());
  }

  Status drain() {
    while (!in_flight_.empty()) DECANT_TRY(read_in_flight());
    return Status::ok();
  }

  // Inside an isolated batch, first in its MULTI: the DUMP and expiry of each key the MULTI
  // writes that the batch has not saved yet. Counts the commands into `command`.
  Status queue_saves(InFlight& sent, size_t& command) {
    out_.clear();
    for (const Segment& s : segments_)
      if (!keys_[s.key].skipped) save_key(current_db_, keys_[s.key].name, sent, command);
    command += out_.commands();
    return redis_->queue(out_.data());
  }

  // Appends to out_ the commands reading `key` of database `db` (the current one when they
  // run), unless the batch saved it already; `command` is the number of out_'s first command.
  void save_key(int db, const std::string& key, InFlight& sent, size_t command) {
    if (!saved_names_.insert(std::to_string(db) + " " + key).second) return;
    size_t dump = command + out_.commands();
    sent.saves.emplace_back(saved_.size(), dump);
    sent.first_command_of.emplace_back(dump, key);
    saved_.push_back(Saved{db, key});
    out_.command({"DUMP", key});
    out_.command({redis_->major_version() >= 7 ? "PEXPIRETIME" : "PTTL", key});
  }

  // The saved states from the replies of an EXEC that ran.
  void read_saves(const InFlight& batch, const redisReply* results) {
    for (auto [index, command] : batch.saves) {
      if (command >= results->elements) continue;
      Saved& saved = saved_[index];
      const redisReply* dump = results->element[command - 1];
      const redisReply* expiry = results->element[command];
      saved.known = true;
      saved.existed = dump->type == REDIS_REPLY_STRING;
      if (saved.existed) saved.dump.assign(reply_bytes(dump));
      int64_t ms = expiry->type == REDIS_REPLY_INTEGER ? expiry->integer : -1;
      // PEXPIRETIME (Redis 7) is the expiry itself; PTTL is the time left.
      saved.expire_at = ms <= 0 ? 0 : redis_->major_version() >= 7 ? ms : unix_time_ms() + ms;
    }
  }

  // Puts the keys an aborted isolated batch wrote back as they were: first every one deleted,
  // which frees memory should the server be at its maxmemory, then those that existed restored
  // with their expiry.
  Status restore_saved() {
    std::vector<Saved> saved = std::move(saved_);
    saved_.clear();
    saved_names_.clear();
    for (bool restoring : {false, true}) {
      out_.clear();
      out_.command({"MULTI"});
      int db = current_db_;
      for (const Saved& key : saved) {
        if (!key.known || (restoring && !key.existed)) continue;
        if (key.db != db) out_.command({"SELECT", std::to_string(db = key.db)});
        if (restoring) {
          out_.command({"RESTORE", key.key, std::to_string(key.expire_at), key.dump, "ABSTTL"});
        } else {
          out_.command({"DEL", key.key});
        }
      }
      if (out_.commands() == 1) continue;
      if (db != current_db_) out_.command({"SELECT", std::to_string(current_db_)});
      out_.command({"EXEC"});
      DECANT_TRY(redis_->send(out_.data()));
      std::string first_error;
      for (size_t i = 0; i < out_.commands(); ++i) {
        Result<RedisReply> reply = redis_->reply();
        if (!reply) return reply.take_status();
        const redisReply* r = reply->get();
        if (is_error(r) && first_error.empty()) first_error = reply_bytes(r);
        for (size_t e = 0; r->type == REDIS_REPLY_ARRAY && e < r->elements; ++e)
          if (is_error(r->element[e]) && first_error.empty()) first_error = reply_bytes(r->element[e]);
      }
      if (!first_error.empty()) return Status::target("restoring the keys of the failed batch: " + first_error);
    }
    return Status::ok();
  }

  // A refusal that comes from the server's state, not from the record: out of memory, a
  // read-only replica, a failed background save.
  static Status refusal(const std::string& message, std::string_view reply) {
    for (std::string_view state : {"OOM ", "READONLY ", "MISCONF ", "NOREPLICAS "})
      if (reply.starts_with(state)) return Status::target_refuses_writes(message);
    return Status::target(message);
  }

  // Reads MULTI's, every QUEUED and EXEC's replies of the oldest batch in flight, and fails on
  // the first command that failed, naming its key.
  Status read_in_flight() {
    InFlight batch = std::move(in_flight_.front());
    in_flight_.pop_front();
    auto key_of = [&](size_t command) -> std::string {
      auto after = std::upper_bound(batch.first_command_of.begin(), batch.first_command_of.end(), command,
                                    [](size_t c, const auto& entry) { return c < entry.first; });
      return after == batch.first_command_of.begin() ? "?" : std::prev(after)->second;
    };
    std::string first_error, first_reply;
    for (size_t i = 0; i + 1 < batch.commands; ++i) {
      Result<RedisReply> queued = redis_->reply();
      if (!queued) return queued.take_status();
      if (is_error(queued->get()) && first_error.empty()) {
        first_reply = reply_bytes(queued->get());
        first_error = "key " + describe_key(key_of(i)) + ": " + first_reply;
      }
    }
    Result<RedisReply> exec = redis_->reply();
    if (!exec) return exec.take_status();
    if (!first_error.empty()) return refusal(first_error + " (the batch was not executed)", first_reply);
    const redisReply* results = exec->get();
    if (results->type != REDIS_REPLY_ARRAY)
      return refusal("EXEC: " + (is_error(results) ? std::string(reply_bytes(results)) : "the batch was aborted"),
                     reply_bytes(results));
    read_saves(batch, results);
    for (size_t i = 0; i < results->elements; ++i) {
      if (!is_error(results->element[i])) continue;
      std::string message = "key " + describe_key(key_of(i + 1)) + ": " + std::string(reply_bytes(results->element[i]));
      if (message.find("DUMP payload") != std::string::npos && !restore_versions_.empty())
        message += " (" + restore_versions_ + "; dump archives restore into the same Redis version)";
      return refusal(message + (in_batch_ ? "" : " (the other commands of its batch were applied: Redis does not roll back)"),
                     reply_bytes(results->element[i]));
    }
    return Status::ok();
  }

  static constexpr const char* kCheckpointKey = "_decant:checkpoint";
  const Checkpoint* checkpoint_ = nullptr;
  std::unique_ptr<RedisConnection> redis_;
  RedisLocation location_;
  std::string location_text_;
  Settings settings_;
  SinkOptions options_;
  int current_db_ = -1;

  std::unordered_map<std::string, std::unique_ptr<StreamState>> streams_;
  StreamState* last_stream_ = nullptr;

  RespBuffer batch_;                  // commands of the records in the current batch
  std::vector<Segment> segments_;
  std::vector<BatchKey> keys_;
  std::unordered_map<std::string, size_t> checked_;  // page-0 keys of this batch under error/skip
  size_t batch_records_ = 0;
  uint64_t batch_number_ = 1;
  RespBuffer out_;                    // what goes on the wire
  std::deque<InFlight> in_flight_;

  std::string bytes_;
  Value scratch_key_, scratch_value_;
  bool rdb_note_ = false;
  std::string restore_versions_;

  // What the import did so far, for its report (an aborted isolated batch takes its share back).
  struct Counts {
    int64_t keys_written = 0;
    int64_t records_written = 0;
    int64_t skipped_existing = 0;
    int64_t skipped_expired = 0;
    int64_t empty_rows = 0;
    // Dry run only: keys --conflict replace would overwrite, conflicts under --conflict error
    // (the first few named in conflicts_), the bytes of the commands it would send.
    int64_t replaced_existing = 0;
    int64_t conflict_count = 0;
    int64_t dry_run_bytes = 0;
  };
  Counts counts_;
  std::vector<std::string> conflicts_;

  // Isolated batches (--max-errors). Redis cannot roll back, so before a batch first writes a
  // key, the same MULTI/EXEC reads the key's DUMP and expiry; abort_batch restores them.
  struct Saved {
    int db = 0;
    std::string key;
    bool known = false;    // the EXEC that read it ran (an aborted EXEC changed nothing)
    bool existed = false;
    std::string dump;
    int64_t expire_at = 0;  // ms since the epoch, 0 for none
  };
  struct Position {  // what a stream's writes change, as at begin_batch
    StreamState* stream;
    int64_t records;
    StreamState::Open open;
    std::string open_key, open_type;
    int64_t next_page;
  };
  bool in_batch_ = false;
  Counts counts_at_batch_;
  std::vector<Position> positions_at_batch_;
  std::vector<Saved> saved_;
  std::unordered_set<std::string> saved_names_;  // "db key" of saved_
  bool connection_lost_ = false;                 // a reply could not be read: nothing can be undone
};

}  // namespace

void register_redis_sink(SinkRegistry& registry) {
  SinkBackend backend{
      .scheme = "redis",
      .summary = "Redis server (redis://[[user]:password@]host[:port][/db]; password also from REDISCLI_AUTH)",
      .capabilities = "pipelined MULTI/EXEC batches that do NOT roll back: a failed import leaves what earlier "
                      "batches wrote (--max-errors undoes a failed batch by restoring its keys' DUMPs); expiry "
                      "restored (expired keys skipped); tables as JSON strings or hashes; merge adds to keys of "
                      "the same type",
      .txn_modes = {TxnMode::kBatch},
      .conflict_policies = {ConflictPolicy::kError, ConflictPolicy::kSkip, ConflictPolicy::kReplace,
                            ConflictPolicy::kMerge},
      .dry_run = true,
      .isolates_batches = true,
      .resumable = true,
      .options =
          {
              {"rename-prefix", BackendOption::Type::kList,
               "Redis: write keys starting with OLD as starting with NEW, OLD=NEW (repeatable)"},
              {"flush", BackendOption::Type::kInt,
               "Redis: empty database N first (FLUSHDB); N must be the URI's database"},
              {"redis-row", BackendOption::Type::kString,
               "Redis: a table row becomes a JSON string (json, the default) or a hash (hash)"},
          },
      .open = RedisSink::open,
  };
  backend.capabilities += "; --layout lightrag: LightRAG's own KV and doc-status keys (SPEC 11.5.4)";
  backend.options.push_back(lightrag::layout_option());
  for (BackendOption& option : lightrag::import_options()) backend.options.push_back(std::move(option));
  registry.add(std::move(backend));
}

}  // namespace decant
