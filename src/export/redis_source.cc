// Redis export (format/SPEC.md 11.3): SCAN the keyspace in batches and read each batch with a
// few pipelined rounds: type, expiry and string length of every key; then the lengths of the
// collections; then the values of all small keys at once. A key too large for one record is
// read alone, in pages (GETRANGE, LRANGE, ZRANGE and XRANGE ranges, HSCAN and SSCAN through a
// bounded merge sort), so memory stays bounded whatever a key holds.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <unordered_set>

#include "backends/redis_client.h"
#include "export/layout_sources.h"
#include "export/source.h"
#include "format/uri.h"
#include "layouts/lightrag.h"

namespace decant {
namespace {

constexpr size_t kScanCount = 1000;              // SCAN COUNT, and keys per batch
constexpr size_t kPageMembers = 1000;            // members (entries) per page
constexpr size_t kPageBytes = size_t{1} << 20;   // a collection page closes once it holds this much
constexpr size_t kStringPageBytes = size_t{16} << 20;
constexpr size_t kInlineBytes = size_t{16} << 10;  // of every string read in the first round
constexpr size_t kRoundBytes = size_t{16} << 20;  // values fetched in one pipelined round, estimated
constexpr size_t kMemberEstimate = 64;           // bytes assumed per member of a small collection
constexpr size_t kSortBufferBytes = size_t{16} << 20;
constexpr size_t kRangesInFlight = 8;            // LRANGE / ZRANGE pages requested ahead
constexpr size_t kDumpBatch = 100;               // DUMP payloads in flight
constexpr size_t kMaxPrefixes = 10000;

enum class KeyType { kNone, kString, kHash, kList, kSet, kZset, kStream, kOther };

KeyType key_type(std::string_view name) {
  if (name == "string") return KeyType::kString;
  if (name == "hash") return KeyType::kHash;
  if (name == "list") return KeyType::kList;
  if (name == "set") return KeyType::kSet;
  if (name == "zset") return KeyType::kZset;
  if (name == "stream") return KeyType::kStream;
  if (name == "none") return KeyType::kNone;
  return KeyType::kOther;
}

const char* type_name(KeyType type) {
  switch (type) {
    case KeyType::kString: return "string";
    case KeyType::kHash: return "hash";
    case KeyType::kList: return "list";
    case KeyType::kSet: return "set";
    case KeyType::kZset: return "zset";
    case KeyType::kStream: return "stream";
    default: return "?";
  }
}

const char* length_command(KeyType type) {
  switch (type) {
    case KeyType::kHash: return "HLEN";
    case KeyType::kList: return "LLEN";
    case KeyType::kSet: return "SCARD";
    case KeyType::kZset: return "ZCARD";
    case KeyType::kStream: return "XLEN";
    default: return "STRLEN";
  }
}

bool parse_int64(std::string_view text, int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// A zset score (Redis prints "inf", "-inf" or a %.17g number) as the value SPEC 11.3.2 asks for.
bool score_value(std::string_view text, Value& out) {
  double score;
  if (text == "inf" || text == "+inf") {
    score = INFINITY;
  } else if (text == "-inf") {
    score = -INFINITY;
  } else {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), score);
    if (ec != std::errc() || end != text.data() + text.size()) return false;
  }
  constexpr double kMaxExact = 9007199254740991.0;  // 2^53 - 1
  if (std::isfinite(score) && std::trunc(score) == score && std::fabs(score) <= kMaxExact &&
      !(score == 0 && std::signbit(score))) {
    out.kind = Kind::kInt64;
    out.integer = static_cast<int64_t>(score);
  } else {
    out.kind = Kind::kFloat64;
    out.real = score;
  }
  return true;
}

// Sorts (field, value) byte-string pairs by field with bounded memory: pairs collect in a buffer
// that is sorted and written to a temporary file as a run whenever it fills; draining merges
// the runs. Equal fields come out once.
class MemberSorter {
 public:
  ~MemberSorter() {
    if (fd_ >= 0) ::close(fd_);
  }

  Status add(std::string_view field, std::string_view value) {
    all_fields_utf8_ = all_fields_utf8_ && is_valid_utf8(field);
    entries_.push_back({arena_.size(), static_cast<uint32_t>(field.size()), static_cast<uint32_t>(value.size())});
    arena_.append(field.data(), field.size());
    arena_.append(value.data(), value.size());
    if (arena_.size() + entries_.size() * sizeof(Entry) >= kSortBufferBytes) return spill();
    return Status::ok();
  }

  bool all_fields_utf8() const { return all_fields_utf8_; }

  Status drain(const std::function<Status(std::string_view, std::string_view)>& fn) {
    std::string last;
    bool any = false;
    auto deliver = [&](std::string_view field, std::string_view value) -> Status {
      if (any && field == last) return Status::ok();  // HSCAN / SSCAN may return a member twice
      any = true;
      last.assign(field.data(), field.size());
      return fn(field, value);
    };
    if (runs_.empty()) {
      sort_buffer();
      for (const Entry& e : entries_) DECANT_TRY(deliver(field_of(e), value_of(e)));
      return Status::ok();
    }
    DECANT_TRY(spill());
    return merge(deliver);
  }

 private:
  struct Entry {
    size_t offset;
    uint32_t field_size;
    uint32_t value_size;
  };
  struct Run {
    off_t begin, end;
  };
  // One run being merged: a window of the temporary file and the pair at its head.
  struct RunReader {
    off_t position, end;
    std::string buffer;
    size_t used = 0;
    std::string field, value;
  };

  std::string_view field_of(const Entry& e) const { return {arena_.data() + e.offset, e.field_size}; }
  std::string_view value_of(const Entry& e) const { return {arena_.data() + e.offset + e.field_size, e.value_size}; }

  void sort_buffer() {
    std::sort(entries_.begin(), entries_.end(),
              [this](const Entry& a, const Entry& b) { return field_of(a) < field_of(b); });
  }

  Status open_file() {
    const char* dir = std::getenv("TMPDIR");
    std::string path = std::string(dir && *dir ? dir : "/tmp") + "/decant-redis-sort-XXXXXX";
    fd_ = ::mkstemp(path.data());
    if (fd_ < 0) return Status::source("cannot create a temporary file in " + path.substr(0, path.rfind('/')) + ": " +
                                       std::strerror(errno));
    ::unlink(path.c_str());  // the file lives only as long as the descriptor
    return Status::ok();
  }

  Status spill() {
    if (entries_.empty()) return Status::ok();
    if (fd_ < 0) DECANT_TRY(open_file());
    sort_buffer();
    std::string out;
    Run run{file_size_, file_size_};
    auto write_out = [&]() -> Status {
      size_t done = 0;
      while (done < out.size()) {
        ssize_t n = ::pwrite(fd_, out.data() + done, out.size() - done, file_size_);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Status::source(std::string("writing the temporary sort file: ") + std::strerror(errno));
        done += static_cast<size_t>(n);
        file_size_ += n;
      }
      out.clear();
      return Status::ok();
    };
    for (const Entry& e : entries_) {
      uint32_t sizes[2] = {e.field_size, e.value_size};
      out.append(reinterpret_cast<const char*>(sizes), sizeof sizes);
      out.append(arena_.data() + e.offset, size_t{e.field_size} + e.value_size);
      if (out.size() >= (size_t{1} << 20)) DECANT_TRY(write_out());
    }
    DECANT_TRY(write_out());
    run.end = file_size_;
    runs_.push_back(run);
    entries_.clear();
    arena_.clear();
    arena_.shrink_to_fit();
    return Status::ok();
  }

  Status fill(RunReader& r, size_t need) {
    if (r.buffer.size() - r.used >= need) return Status::ok();
    r.buffer.erase(0, r.used);
    r.used = 0;
    size_t want = std::max(need, size_t{64} << 10);
    size_t have = r.buffer.size();
    r.buffer.resize(std::max(have, want));
    while (have < need) {
      size_t room = std::min<size_t>(r.buffer.size() - have, static_cast<size_t>(r.end - r.position));
      if (room == 0) return Status::source("the temporary sort file is shorter than written");
      ssize_t n = ::pread(fd_, r.buffer.data() + have, room, r.position);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Status::source(std::string("reading the temporary sort file: ") + std::strerror(errno));
      have += static_cast<size_t>(n);
      r.position += n;
    }
    r.buffer.resize(have);
    return Status::ok();
  }

  // Loads the run's next pair into field/value; false at the end of the run.
  Result<bool> advance(RunReader& r) {
    if (r.used == r.buffer.size() && r.position == r.end) return false;
    DECANT_TRY(fill(r, 8));
    uint32_t sizes[2];
    std::memcpy(sizes, r.buffer.data() + r.used, sizeof sizes);
    r.used += sizeof sizes;
    DECANT_TRY(fill(r, size_t{sizes[0]} + sizes[1]));
    r.field.assign(r.buffer.data() + r.used, sizes[0]);
    r.value.assign(r.buffer.data() + r.used + sizes[0], sizes[1]);
    r.used += size_t{sizes[0]} + sizes[1];
    return true;
  }

  Status merge(const std::function<Status(std::string_view, std::string_view)>& deliver) {
    std::vector<RunReader> readers(runs_.size());
    auto later = [&](size_t a, size_t b) { return readers[a].field > readers[b].field; };
    std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heads(later);
    for (size_t i = 0; i < runs_.size(); ++i) {
      readers[i].position = runs_[i].begin;
      readers[i].end = runs_[i].end;
      Result<bool> got = advance(readers[i]);
      if (!got) return got.take_status();
      if (*got) heads.push(i);
    }
    while (!heads.empty()) {
      size_t i = heads.top();
      heads.pop();
      DECANT_TRY(deliver(readers[i].field, readers[i].value));
      Result<bool> got = advance(readers[i]);
      if (!got) return got.take_status();
      if (*got) heads.push(i);
    }
    return Status::ok();
  }

  std::string arena_;
  std::vector<Entry> entries_;
  std::vector<Run> runs_;
  int fd_ = -1;
  off_t file_size_ = 0;
  bool all_fields_utf8_ = true;
};

// What the first round tells about a key.
struct KeyInfo {
  std::string name;
  KeyType type = KeyType::kNone;
  std::optional<int64_t> expire_at;
  int64_t length = 0;  // bytes of a string, members of a collection
  bool gone = false;   // deleted while the batch was being read
};

// Builds the records of one key, page by page, and hands each to `emit`.
class PageWriter {
 public:
  PageWriter(const KeyInfo& key, Record& record, const Source::RecordFn& emit)
      : key_(key), record_(record), emit_(emit) {}

  // hash: `pairs` chooses [field,value] pairs over a document (a field name is not UTF-8).
  void set_pairs(bool pairs) { pairs_ = pairs; }

  Status add_string(std::string_view bytes) {
    set_byte_string(page_, bytes);
    return emit_page();
  }
  Status add_field(std::string_view field, std::string_view value) {
    if (pairs_) {
      Value& pair = next_item();
      pair.kind = Kind::kArray;
      pair.items.resize(2);
      set_byte_string(pair.items[0], field);
      set_byte_string(pair.items[1], value);
    } else {
      if (page_.kind != Kind::kDocument) page_.kind = Kind::kDocument;
      page_.fields.emplace_back();
      page_.fields.back().name.assign(field.data(), field.size());
      set_byte_string(page_.fields.back().value, value);
    }
    return counted(field.size() + value.size());
  }
  Status add_element(std::string_view element) {
    set_byte_string(next_item(), element);
    return counted(element.size());
  }
  Status add_scored(std::string_view member, std::string_view score) {
    Value& pair = next_item();
    pair.kind = Kind::kArray;
    pair.items.resize(2);
    set_byte_string(pair.items[0], member);
    if (!score_value(score, pair.items[1]))
      return Status::source("key " + describe_key(key_.name) + ": unexpected score \"" + std::string(score) + "\"");
    return counted(member.size() + score.size());
  }
  // One XRANGE entry: [id, [field, value, ...]].
  Status add_entry(const redisReply* entry) {
    if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 || entry->element[1]->type != REDIS_REPLY_ARRAY)
      return Status::source("key " + describe_key(key_.name) + ": unexpected XRANGE reply");
    const redisReply* fields = entry->element[1];
    Value& item = entries().items.emplace_back();
    item.kind = Kind::kDocument;
    item.fields.resize(2);
    item.fields[0].name = "id";
    set_byte_string(item.fields[0].value, reply_bytes(entry->element[0]));
    item.fields[1].name = "fields";
    Value& out = item.fields[1].value;
    size_t bytes = entry->element[0]->len;
    bool as_document = true;
    std::unordered_set<std::string_view> names;
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
      std::string_view name = reply_bytes(fields->element[i]);
      as_document = as_document && is_valid_utf8(name) && names.insert(name).second;
    }
    out.kind = as_document ? Kind::kDocument : Kind::kArray;
    for (size_t i = 0; i + 1 < fields->elements; i += 2) {
      std::string_view name = reply_bytes(fields->element[i]), value = reply_bytes(fields->element[i + 1]);
      bytes += name.size() + value.size();
      if (as_document) {
        Field& f = out.fields.emplace_back();
        f.name.assign(name.data(), name.size());
        set_byte_string(f.value, value);
      } else {
        Value& pair = out.items.emplace_back();
        pair.kind = Kind::kArray;
        pair.items.resize(2);
        set_byte_string(pair.items[0], name);
        set_byte_string(pair.items[1], value);
      }
    }
    ++members_;
    bytes_ += bytes;
    if (members_ >= kPageMembers || bytes_ >= kPageBytes) return emit_page();
    return Status::ok();
  }
  // The stream's last page: its entries so far plus the stream's own state.
  Status finish_stream(Value meta) {
    Value& page = entries_page();
    for (Field& f : meta.fields) page.fields.push_back(std::move(f));
    return emit_page();
  }
  // Emits what is left. A collection that emptied while it was read has no record at all.
  Status finish() { return members_ > 0 ? emit_page() : Status::ok(); }

 private:
  Value& next_item() {
    if (page_.kind != Kind::kArray) page_.kind = Kind::kArray;
    return page_.items.emplace_back();
  }
  Value& entries_page() {
    if (page_.kind != Kind::kDocument || page_.fields.empty()) {
      page_.kind = Kind::kDocument;
      page_.fields.resize(1);
      page_.fields[0].name = "entries";
      page_.fields[0].value.kind = Kind::kArray;
    }
    return page_;
  }
  Value& entries() { return entries_page().fields[0].value; }

  Status counted(size_t bytes) {
    ++members_;
    bytes_ += bytes;
    if (members_ >= kPageMembers || bytes_ >= kPageBytes) return emit_page();
    return Status::ok();
  }

  Status emit_page() {
    record_.clear_keep_capacity();
    set_byte_string(record_.add(redis_field::kKey), key_.name);
    record_.add(redis_field::kType) = Value::of_text(type_name(key_.type));
    std::swap(record_.add(redis_field::kValue), page_);
    Value& expire = record_.add(redis_field::kExpireAt);
    if (key_.expire_at) expire = Value::of_int(*key_.expire_at);
    record_.add(redis_field::kPage) = Value::of_int(pages_++);
    page_.clear();
    members_ = 0;
    bytes_ = 0;
    return emit_(record_);
  }

  const KeyInfo& key_;
  Record& record_;
  const Source::RecordFn& emit_;
  Value page_;
  bool pairs_ = false;
  size_t members_ = 0;
  size_t bytes_ = 0;
  int64_t pages_ = 0;
};

struct Settings {
  std::string split;                 // --split-prefix
  std::vector<std::string> match;    // --match
  bool dump = false;                 // --redis-dump
};

Result<Settings> read_settings(const nlohmann::json& settings) {
  Settings s;
  if (!settings.is_object()) return s;
  if (settings.contains("split-prefix")) {
    if (!settings["split-prefix"].is_string() || settings["split-prefix"].get<std::string>().empty())
      return Status::usage("--split-prefix needs a non-empty separator");
    s.split = settings["split-prefix"].get<std::string>();
  }
  if (settings.contains("match")) {
    if (!settings["match"].is_array()) return Status::usage("--match expects patterns");
    for (const auto& m : settings["match"]) {
      if (!m.is_string()) return Status::usage("--match expects patterns");
      s.match.push_back(m.get<std::string>());
    }
  }
  s.dump = settings.value("redis-dump", false);
  return s;
}

class RedisSource final : public Source {
 public:
  static Result<std::unique_ptr<Source>> open(const std::string& uri, const SourceOptions& options) {
    Result<bool> layout = lightrag::wants_lightrag_layout(options.settings);
    if (!layout) return layout.take_status();
    if (*layout) return open_lightrag_redis_source(uri, options);
    Result<Settings> settings = read_settings(options.settings);
    if (!settings) return settings.take_status();
    Result<RedisLocation> location = parse_redis_uri(uri);
    if (!location) return location.take_status();
    Result<std::unique_ptr<RedisConnection>> connection = RedisConnection::open(*location, Side::kSource);
    if (!connection) return connection.take_status();
    return std::unique_ptr<Source>(
        new RedisSource(std::move(connection.value()), *location, redact_uri(uri), std::move(settings.value())));
  }

  SourceDescription describe() const override {
    SourceDescription d;
    d.backend = "redis";
    d.location = location_text_;
    d.snapshot = nullptr;  // Redis has none: SCAN sees each key as it is when reached
    d.details = {{"redis_version", redis_->version()}, {"mode", settings_.dump ? "dump" : "values"}};
    if (settings_.dump) d.details["rdb_version"] = rdb_version_ ? nlohmann::json(*rdb_version_) : nlohmann::json();
    return d;
  }

  Result<std::vector<StreamInfo>> streams() override {
    std::vector<int> dbs;
    if (location_.db >= 0) {
      dbs.push_back(location_.db);
    } else {
      Result<std::map<int, int64_t>> listed = keyspace();
      if (!listed) return listed.take_status();
      for (const auto& [db, expires] : *listed) dbs.push_back(db);
    }
    std::vector<StreamInfo> streams;
    for (int db : dbs) {
      DECANT_TRY(redis_->select(db));
      if (settings_.dump && !rdb_version_) DECANT_TRY(probe_rdb_version());
      if (settings_.split.empty()) {
        int64_t estimate = -1;
        if (settings_.match.empty()) {
          Result<RedisReply> size = redis_->call({"DBSIZE"});
          if (!size) return size.take_status();
          estimate = (*size)->integer;
        }
        streams.push_back(stream_info(db, std::nullopt, estimate));
        continue;
      }
      // One pass over the database finds the prefixes; each becomes a stream of its own.
      std::map<std::string, int64_t> prefixes;
      int64_t unprefixed = 0;
      Status scanned = scan_keys(db_plan(std::nullopt, false), [&](std::vector<std::string>& keys) -> Status {
        for (const std::string& key : keys) {
          std::optional<std::string> prefix = prefix_of(key);
          if (!prefix) {
            ++unprefixed;
          } else if (++prefixes[*prefix] == 1 && prefixes.size() > kMaxPrefixes) {
            return Status::usage("--split-prefix " + settings_.split + " finds more than " +
                                 std::to_string(kMaxPrefixes) + " prefixes in database " + std::to_string(db) +
                                 "; choose another separator or --match");
          }
        }
        return Status::ok();
      });
      DECANT_TRY(std::move(scanned).context("database " + std::to_string(db)));
      if (unprefixed > 0) streams.push_back(stream_info(db, std::nullopt, unprefixed));
      for (const auto& [prefix, count] : prefixes) streams.push_back(stream_info(db, prefix, count));
    }
    return streams;
  }

  Status read(const StreamInfo& stream, const RecordFn& emit) override {
    int db = stream.options.value("redis_db", 0);
    std::optional<std::string> prefix;
    if (stream.options.contains("prefix")) prefix = stream.options["prefix"].get<std::string>();
    DECANT_TRY(redis_->select(db));
    // Expiries are read only where some key has one, which saves a command per key elsewhere.
    Result<std::map<int, int64_t>> dbs = keyspace();
    if (!dbs) return dbs.take_status();
    expiring_ = dbs->count(db) && dbs->at(db) > 0;
    // While the server works on a batch's first round, decant encodes the strings of the batch
    // before it, so the two overlap. Nothing else may be sent until those replies are read.
    std::optional<Batch> pending;
    Status scanned = scan_keys(db_plan(prefix, !settings_.split.empty()), [&](std::vector<std::string>& keys) -> Status {
      if (settings_.dump) {
        for (size_t i = 0; i < keys.size(); i += kDumpBatch)
          DECANT_TRY(read_dumps(keys, i, std::min(keys.size(), i + kDumpBatch), emit));
        return Status::ok();
      }
      if (pending) DECANT_TRY(finish_batch(*pending, emit));
      Batch next;
      DECANT_TRY(send_first(keys, next));
      if (pending) DECANT_TRY(emit_inline(*pending, emit));
      DECANT_TRY(read_first(next));
      pending = std::move(next);
      return Status::ok();
    });
    DECANT_TRY(std::move(scanned));
    if (!pending) return Status::ok();
    DECANT_TRY(finish_batch(*pending, emit));
    return emit_inline(*pending, emit);
  }

 private:
  RedisSource(std::unique_ptr<RedisConnection> redis, RedisLocation location, std::string location_text,
              Settings settings)
      : redis_(std::move(redis)),
        location_(std::move(location)),
        location_text_(std::move(location_text)),
        settings_(std::move(settings)) {}

  // Which SCAN passes a stream needs, and which keys of a pass belong to it.
  struct ScanPlan {
    std::vector<std::string> patterns;  // one SCAN per pattern; empty: one SCAN of everything
    std::function<bool(const std::string& key, size_t pass)> keep;
  };

  ScanPlan db_plan(const std::optional<std::string>& prefix, bool split) const {
    ScanPlan plan;
    const std::vector<std::string>& match = settings_.match;
    if (prefix) {
      // The server filters by the prefix; --match patterns are checked here.
      plan.patterns = {redis_glob_escape(*prefix + settings_.split) + "*"};
      plan.keep = [&match](const std::string& key, size_t) {
        return match.empty() ||
               std::any_of(match.begin(), match.end(), [&](const std::string& m) { return redis_glob_match(m, key); });
      };
      return plan;
    }
    plan.patterns = match;
    plan.keep = [this, &match, split](const std::string& key, size_t pass) {
      // A key that an earlier pattern matched was exported by that pass.
      for (size_t i = 0; i < pass && i < match.size(); ++i)
        if (redis_glob_match(match[i], key)) return false;
      return !split || !prefix_of(key);
    };
    return plan;
  }

  // The key's stream prefix under --split-prefix, or none for the database's own stream.
  std::optional<std::string> prefix_of(const std::string& key) const {
    size_t at = key.find(settings_.split);
    if (at == std::string::npos) return std::nullopt;
    std::string prefix = key.substr(0, at);
    if (!is_valid_utf8(prefix)) return std::nullopt;
    return prefix;
  }

  StreamInfo stream_info(int db, const std::optional<std::string>& prefix, int64_t estimate) const {
    StreamInfo s;
    s.name = "db" + std::to_string(db) + (prefix ? "/" + *prefix : "");
    s.kind = "keyspace";
    s.columns = redis_keyspace_columns(settings_.dump);
    s.key = settings_.dump ? std::vector<std::string>{redis_field::kKey}
                           : std::vector<std::string>{redis_field::kKey, redis_field::kPage};
    s.options = {{"source_backend", "redis"}, {"redis_db", db}, {"mode", settings_.dump ? "dump" : "values"}};
    if (!settings_.split.empty()) s.options["split_prefix"] = settings_.split;
    if (prefix) s.options["prefix"] = *prefix;
    if (settings_.dump) s.options["rdb_version"] = rdb_version_ ? nlohmann::json(*rdb_version_) : nlohmann::json();
    s.estimated_rows = estimate;
    return s;
  }

  // The databases that hold keys and how many of their keys have an expiry, from INFO
  // keyspace ("db3:keys=5,expires=2,avg_ttl=0").
  Result<std::map<int, int64_t>> keyspace() {
    Result<RedisReply> info = redis_->call({"INFO", "keyspace"});
    if (!info) return info.take_status();
    std::map<int, int64_t> dbs;
    std::string_view text = reply_bytes(info->get());
    for (size_t at = text.find("\ndb"); at != std::string_view::npos; at = text.find("\ndb", at + 1)) {
      int db = -1;
      const char* start = text.data() + at + 3;
      const char* stop = text.data() + text.size();
      auto [end, ec] = std::from_chars(start, stop, db);
      if (ec != std::errc() || end == stop || *end != ':') continue;
      std::string_view line(end, static_cast<size_t>(stop - end));
      line = line.substr(0, line.find('\n'));
      size_t expires_at = line.find("expires=");
      int64_t expires = 1;  // unknown: assume some
      if (expires_at != std::string_view::npos)
        std::from_chars(line.data() + expires_at + 8, line.data() + line.size(), expires);
      dbs[db] = expires;
    }
    return dbs;
  }

  // The RDB version that DUMP payloads of this server carry: the 2 bytes before their CRC64.
  Status probe_rdb_version() {
    Result<RedisReply> scan = redis_->call({"SCAN", "0", "COUNT", "100"});
    std::string cursor = "0";
    do {
      if (!scan) return scan.take_status();
      const redisReply* r = scan->get();
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) return Status::source("unexpected SCAN reply");
      for (size_t i = 0; i < r->element[1]->elements; ++i) {
        Result<RedisReply> dump = redis_->call({"DUMP", reply_bytes(r->element[1]->element[i])});
        if (!dump) return dump.take_status();
        std::string_view payload = reply_bytes(dump->get());
        if (payload.size() < 10) continue;  // the key vanished
        const unsigned char* tail = reinterpret_cast<const unsigned char*>(payload.data() + payload.size() - 10);
        rdb_version_ = tail[0] | (tail[1] << 8);
        return Status::ok();
      }
      cursor = std::string(reply_bytes(r->element[0]));
      if (cursor != "0") scan = redis_->call({"SCAN", cursor, "COUNT", "100"});
    } while (cursor != "0");
    return Status::ok();
  }

  Status scan_keys(const ScanPlan& plan, const std::function<Status(std::vector<std::string>&)>& on_batch) {
    std::vector<std::string> batch;
    size_t passes = std::max<size_t>(plan.patterns.size(), 1);
    RespBuffer command;
    for (size_t pass = 0; pass < passes; ++pass) {
      std::string cursor = "0";
      do {
        if (interrupt_requested()) return interrupted_status();
        command.clear();
        if (plan.patterns.empty()) {
          command.command({"SCAN", cursor, "COUNT", std::to_string(kScanCount)});
        } else {
          command.command({"SCAN", cursor, "MATCH", plan.patterns[pass], "COUNT", std::to_string(kScanCount)});
        }
        DECANT_TRY(redis_->send(command.data()));
        Result<RedisReply> reply = redis_->reply();
        if (!reply) return reply.take_status();
        const redisReply* r = reply->get();
        if (is_error(r)) return Status::source("SCAN: " + std::string(reply_bytes(r)));
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[1]->type != REDIS_REPLY_ARRAY)
          return Status::source("unexpected SCAN reply");
        cursor = std::string(reply_bytes(r->element[0]));
        for (size_t i = 0; i < r->element[1]->elements; ++i) {
          std::string key(reply_bytes(r->element[1]->element[i]));
          if (plan.keep(key, pass)) batch.push_back(std::move(key));
        }
        if (batch.size() >= kScanCount) {
          DECANT_TRY(on_batch(batch));
          batch.clear();
        }
      } while (cursor != "0");
    }
    if (!batch.empty()) DECANT_TRY(on_batch(batch));
    return Status::ok();
  }

  // Appends the command that gives the key's absolute expiry in ms.
  void expiry_command(RespBuffer& out, const std::string& key) const {
    out.command({redis_->major_version() >= 7 ? "PEXPIRETIME" : "PTTL", key});
  }
  // Reads its reply: false when the key is gone.
  bool read_expiry(const redisReply* reply, std::optional<int64_t>& expire_at, int64_t sent_at) const {
    if (!reply || reply->type != REDIS_REPLY_INTEGER || reply->integer == -2) return false;
    if (reply->integer == -1) {
      expire_at.reset();
    } else {
      // PTTL is relative (before Redis 7): the request time makes it absolute, to within the
      // round trip.
      expire_at = redis_->major_version() >= 7 ? reply->integer : sent_at + reply->integer;
    }
    return true;
  }

  // Sends the commands in `out` and reads all their replies.
  Result<std::vector<RedisReply>> round_trip(const RespBuffer& out) {
    DECANT_TRY(redis_->send(out.data()));
    return replies(out.commands());
  }

  Result<std::vector<RedisReply>> replies(size_t count) {
    std::vector<RedisReply> out;
    out.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      Result<RedisReply> r = redis_->reply();
      if (!r) return r.take_status();
      out.push_back(std::move(r.value()));
    }
    return out;
  }

  Status unexpected(const KeyInfo& key, const redisReply* reply, const char* what) {
    std::string detail = is_error(reply) ? ": " + std::string(reply_bytes(reply)) : "";
    return Status::source("key " + describe_key(key.name) + ": unexpected " + what + " reply" + detail +
                          " (was the key changed during the export?)");
  }

  // A batch of keys between its first round and its last.
  struct Batch {
    std::vector<KeyInfo> keys;
    std::vector<RedisReply> first;  // round-1 replies: the inline strings' values
    std::vector<size_t> untyped, long_strings;
    size_t per_key = 1;
    int64_t sent_at = 0;
  };

  // Round 1: the first kInlineBytes of every key as if it were a string, which is the whole
  // value of most strings, and its expiry when the database has keys with one. Redis spends
  // about as long on any one command per key as on SCAN itself, so this is the only command
  // most keys get.
  Status send_first(std::vector<std::string>& names, Batch& batch) {
    RespBuffer& out = commands_;
    out.clear();
    const std::string last_inline = std::to_string(kInlineBytes - 1);
    batch.keys.resize(names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      out.command({"GETRANGE", names[i], "0", last_inline});
      if (expiring_) expiry_command(out, names[i]);
      batch.keys[i].name = std::move(names[i]);
    }
    batch.per_key = expiring_ ? 2 : 1;
    batch.sent_at = unix_time_ms();
    return redis_->send(out.data());
  }

  Status read_first(Batch& batch) {
    Result<std::vector<RedisReply>> first = replies(batch.keys.size() * batch.per_key);
    if (!first) return first.take_status();
    batch.first = std::move(first.value());
    size_t per_key = batch.per_key;
    for (size_t i = 0; i < batch.keys.size(); ++i) {
      KeyInfo& key = batch.keys[i];
      if (per_key == 2 && !read_expiry(batch.first[2 * i + 1].get(), key.expire_at, batch.sent_at)) {
        key.gone = true;
        continue;
      }
      const redisReply* head = batch.first[per_key * i].get();
      if (head->type == REDIS_REPLY_STRING && head->len > 0) {
        key.type = KeyType::kString;
        key.length = static_cast<int64_t>(head->len);
        if (head->len == kInlineBytes) batch.long_strings.push_back(i);
      } else {
        batch.untyped.push_back(i);  // another type (WRONGTYPE), an empty string, or gone
      }
    }
    return Status::ok();
  }

  // Strings whose first round held all of them.
  Status emit_inline(Batch& batch, const RecordFn& emit) {
    for (size_t i = 0; i < batch.keys.size(); ++i) {
      const KeyInfo& key = batch.keys[i];
      if (key.gone || key.type != KeyType::kString || key.length == 0 ||
          static_cast<size_t>(key.length) >= kInlineBytes)
        continue;
      PageWriter pages(key, record_, emit);
      DECANT_TRY(pages.add_string(reply_bytes(batch.first[batch.per_key * i].get())));
    }
    batch.first.clear();
    return Status::ok();
  }

  // Every key of the batch but the inline strings: the rounds after the first.
  Status finish_batch(Batch& batch, const RecordFn& emit) {
    RespBuffer& out = commands_;
    std::vector<KeyInfo>& keys = batch.keys;
    const std::vector<size_t>& untyped = batch.untyped;
    const std::vector<size_t>& long_strings = batch.long_strings;
    // Round 2: types of the others, lengths of the strings that may be longer.
    if (!untyped.empty() || !long_strings.empty()) {
      out.clear();
      for (size_t i : untyped) out.command({"TYPE", keys[i].name});
      for (size_t i : long_strings) out.command({"STRLEN", keys[i].name});
      Result<std::vector<RedisReply>> got = round_trip(out);
      if (!got) return got.take_status();
      for (size_t j = 0; j < untyped.size(); ++j) {
        KeyInfo& key = keys[untyped[j]];
        const redisReply* type = (*got)[j].get();
        if (is_error(type)) return Status::source("TYPE: " + std::string(reply_bytes(type)));
        key.type = key_type(reply_bytes(type));
        key.gone = key.type == KeyType::kNone;
        if (key.type == KeyType::kOther)
          return Status::source("key " + describe_key(key.name) + " has type \"" + std::string(reply_bytes(type)) +
                                "\", which decant cannot export (use --redis-dump)");
      }
      for (size_t j = 0; j < long_strings.size(); ++j) {
        const redisReply* length = (*got)[untyped.size() + j].get();
        if (length->type == REDIS_REPLY_INTEGER) keys[long_strings[j]].length = length->integer;
      }
    }

    // Round 3: collection lengths.
    std::vector<size_t> collections;
    for (size_t i : untyped)
      if (!keys[i].gone && keys[i].type != KeyType::kString) collections.push_back(i);
    if (!collections.empty()) {
      out.clear();
      for (size_t i : collections) out.command({length_command(keys[i].type), keys[i].name});
      Result<std::vector<RedisReply>> lengths = round_trip(out);
      if (!lengths) return lengths.take_status();
      for (size_t j = 0; j < collections.size(); ++j) {
        KeyInfo& key = keys[collections[j]];
        const redisReply* r = (*lengths)[j].get();
        if (r->type != REDIS_REPLY_INTEGER) return unexpected(key, r, length_command(key.type));
        key.length = r->integer;
        key.gone = key.length == 0 && key.type != KeyType::kStream;
      }
    }

    // The empty strings (their TYPE said string), and the long ones, read in pages.
    std::vector<size_t> small, large;
    for (size_t i = 0; i < keys.size(); ++i) {
      const KeyInfo& key = keys[i];
      if (key.gone) continue;
      if (key.type == KeyType::kString) {
        if (key.length == 0) {
          PageWriter pages(key, record_, emit);
          DECANT_TRY(pages.add_string(""));
        } else if (static_cast<size_t>(key.length) >= kInlineBytes) {
          large.push_back(i);
        }
        continue;
      }
      (static_cast<size_t>(key.length) <= kPageMembers ? small : large).push_back(i);
    }
    // Round 4 and on: small collections whole, in rounds of bounded size; then large keys
    // one by one.
    size_t begin = 0;
    while (begin < small.size()) {
      size_t end = begin, estimate = 0;
      while (end < small.size() && (end == begin || estimate < kRoundBytes)) {
        estimate += static_cast<size_t>(keys[small[end++]].length) * kMemberEstimate;
      }
      DECANT_TRY(read_small(keys, small, begin, end, emit));
      begin = end;
    }
    for (size_t i : large) DECANT_TRY(read_large(keys[i], emit));
    return Status::ok();
  }

  // Whole values of the collections keys[small[begin..end)]: one command each (three for a
  // stream), in one pipeline.
  Status read_small(const std::vector<KeyInfo>& keys, const std::vector<size_t>& small, size_t begin, size_t end,
                    const RecordFn& emit) {
    RespBuffer& out = commands_;
    out.clear();
    for (size_t j = begin; j < end; ++j) {
      const KeyInfo& key = keys[small[j]];
      switch (key.type) {
        case KeyType::kHash: out.command({"HGETALL", key.name}); break;
        case KeyType::kList: out.command({"LRANGE", key.name, "0", "-1"}); break;
        case KeyType::kSet: out.command({"SMEMBERS", key.name}); break;
        case KeyType::kZset: out.command({"ZRANGE", key.name, "0", "-1", "WITHSCORES"}); break;
        case KeyType::kStream:
          out.command({"XRANGE", key.name, "-", "+"});
          out.command({"XINFO", "STREAM", key.name});
          out.command({"XINFO", "GROUPS", key.name});
          break;
        default: break;
      }
    }
    Result<std::vector<RedisReply>> got = round_trip(out);
    if (!got) return got.take_status();
    size_t next = 0;
    for (size_t j = begin; j < end; ++j) {
      const KeyInfo& key = keys[small[j]];
      PageWriter pages(key, record_, emit);
      const redisReply* r = (*got)[next++].get();
      if (r->type != REDIS_REPLY_ARRAY) return unexpected(key, r, "read");
      if (key.type == KeyType::kStream) {
        const redisReply* info = (*got)[next++].get();
        const redisReply* groups = (*got)[next++].get();
        for (size_t e = 0; e < r->elements; ++e) DECANT_TRY(pages.add_entry(r->element[e]));
        Result<Value> meta = stream_meta(key, info, groups);
        if (!meta) return meta.take_status();
        DECANT_TRY(pages.finish_stream(std::move(meta.value())));
        continue;
      }
      if (r->elements == 0) continue;  // emptied meanwhile: the key is gone
      DECANT_TRY(write_members(key, r, pages));
      DECANT_TRY(pages.finish());
    }
    return Status::ok();
  }

  // The members of a whole-collection reply, in the order SPEC 11.3.2 gives.
  Status write_members(const KeyInfo& key, const redisReply* r, PageWriter& pages) {
    auto bytes = [&](size_t i) { return reply_bytes(r->element[i]); };
    switch (key.type) {
      case KeyType::kList:
        for (size_t i = 0; i < r->elements; ++i) DECANT_TRY(pages.add_element(bytes(i)));
        return Status::ok();
      case KeyType::kZset:
        for (size_t i = 0; i + 1 < r->elements; i += 2) DECANT_TRY(pages.add_scored(bytes(i), bytes(i + 1)));
        return Status::ok();
      case KeyType::kSet:
      case KeyType::kHash: {
        bool hash = key.type == KeyType::kHash;
        size_t step = hash ? 2 : 1;
        std::vector<size_t> order;
        bool utf8 = true;
        for (size_t i = 0; i + step - 1 < r->elements; i += step) {
          order.push_back(i);
          utf8 = utf8 && (!hash || is_valid_utf8(bytes(i)));
        }
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return bytes(a) < bytes(b); });
        pages.set_pairs(!utf8);
        for (size_t i : order) DECANT_TRY(hash ? pages.add_field(bytes(i), bytes(i + 1)) : pages.add_element(bytes(i)));
        return Status::ok();
      }
      default: return Status::internal("write_members: not a collection");
    }
  }

  // last_id, entries_added, max_deleted_id and groups of a stream (SPEC 11.3.2).
  Result<Value> stream_meta(const KeyInfo& key, const redisReply* info, const redisReply* groups) {
    if (info->type != REDIS_REPLY_ARRAY) return unexpected(key, info, "XINFO STREAM");
    if (groups->type != REDIS_REPLY_ARRAY) return unexpected(key, groups, "XINFO GROUPS");
    auto member = [](const redisReply* flat, std::string_view name) -> const redisReply* {
      for (size_t i = 0; i + 1 < flat->elements; i += 2)
        if (reply_bytes(flat->element[i]) == name) return flat->element[i + 1];
      return nullptr;
    };
    auto id_value = [](const redisReply* r) {
      Value v;
      if (r && r->type == REDIS_REPLY_STRING) set_byte_string(v, reply_bytes(r));
      return v;
    };
    auto int_value = [](const redisReply* r) {
      return r && r->type == REDIS_REPLY_INTEGER ? Value::of_int(r->integer) : Value();
    };
    Value meta;
    meta.kind = Kind::kDocument;
    meta.fields.push_back({"last_id", id_value(member(info, "last-generated-id"))});
    meta.fields.push_back({"entries_added", int_value(member(info, "entries-added"))});
    meta.fields.push_back({"max_deleted_id", id_value(member(info, "max-deleted-entry-id"))});
    Value list;
    list.kind = Kind::kArray;
    for (size_t g = 0; g < groups->elements; ++g) {
      const redisReply* group = groups->element[g];
      if (group->type != REDIS_REPLY_ARRAY) return unexpected(key, group, "XINFO GROUPS");
      Value item;
      item.kind = Kind::kDocument;
      Value name;
      set_byte_string(name, reply_bytes(member(group, "name")));
      item.fields.push_back({"name", std::move(name)});
      item.fields.push_back({"last_delivered_id", id_value(member(group, "last-delivered-id"))});
      item.fields.push_back({"entries_read", int_value(member(group, "entries-read"))});
      list.items.push_back(std::move(item));
    }
    meta.fields.push_back({"groups", std::move(list)});
    return meta;
  }

  // A key too large for one record, read in pages.
  Status read_large(const KeyInfo& key, const RecordFn& emit) {
    PageWriter pages(key, record_, emit);
    switch (key.type) {
      case KeyType::kString: {
        for (int64_t offset = 0; offset < key.length; offset += static_cast<int64_t>(kStringPageBytes)) {
          Result<RedisReply> part = redis_->call(
              {"GETRANGE", key.name, std::to_string(offset), std::to_string(offset + kStringPageBytes - 1)});
          if (!part) return part.take_status();
          std::string_view bytes = reply_bytes(part->get());
          if (bytes.empty()) break;  // shortened meanwhile
          DECANT_TRY(pages.add_string(bytes));
        }
        return Status::ok();
      }
      case KeyType::kList:
      case KeyType::kZset: DECANT_TRY(read_ranges(key, pages)); break;
      case KeyType::kHash:
      case KeyType::kSet: DECANT_TRY(read_sorted(key, pages)); break;
      case KeyType::kStream: return read_stream(key, pages);
      default: return Status::internal("read_large: unexpected type");
    }
    return pages.finish();
  }

  // LRANGE / ZRANGE by index, kRangesInFlight pages requested ahead.
  Status read_ranges(const KeyInfo& key, PageWriter& pages) {
    bool zset = key.type == KeyType::kZset;
    int64_t requested = 0;
    size_t in_flight = 0;
    RespBuffer& out = commands_;
    auto request = [&]() -> Status {
      out.clear();
      while (in_flight < kRangesInFlight && requested < key.length) {
        std::string from = std::to_string(requested), to = std::to_string(requested + kPageMembers - 1);
        if (zset) out.command({"ZRANGE", key.name, from, to, "WITHSCORES"});
        else out.command({"LRANGE", key.name, from, to});
        requested += kPageMembers;
        ++in_flight;
      }
      return redis_->send(out.data());
    };
    DECANT_TRY(request());
    while (in_flight > 0) {
      if (interrupt_requested()) return interrupted_status();
      Result<RedisReply> got = redis_->reply();
      if (!got) return got.take_status();
      --in_flight;
      const redisReply* r = got->get();
      if (r->type != REDIS_REPLY_ARRAY) return unexpected(key, r, zset ? "ZRANGE" : "LRANGE");
      DECANT_TRY(write_members(key, r, pages));
      if (in_flight < kRangesInFlight / 2) DECANT_TRY(request());
    }
    return Status::ok();
  }

  // HSCAN / SSCAN the whole key into a MemberSorter, then write it in field order.
  Status read_sorted(const KeyInfo& key, PageWriter& pages) {
    bool hash = key.type == KeyType::kHash;
    MemberSorter sorter;
    std::string cursor = "0";
    do {
      if (interrupt_requested()) return interrupted_status();
      Result<RedisReply> got =
          redis_->call({hash ? "HSCAN" : "SSCAN", key.name, cursor, "COUNT", std::to_string(kPageMembers)});
      if (!got) return got.take_status();
      const redisReply* r = got->get();
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[1]->type != REDIS_REPLY_ARRAY)
        return unexpected(key, r, hash ? "HSCAN" : "SSCAN");
      cursor = std::string(reply_bytes(r->element[0]));
      const redisReply* items = r->element[1];
      for (size_t i = 0; i < items->elements; i += hash ? 2 : 1)
        DECANT_TRY(sorter.add(reply_bytes(items->element[i]),
                              hash && i + 1 < items->elements ? reply_bytes(items->element[i + 1]) : ""));
    } while (cursor != "0");
    pages.set_pairs(hash && !sorter.all_fields_utf8());
    return sorter.drain([&](std::string_view field, std::string_view value) {
      return hash ? pages.add_field(field, value) : pages.add_element(field);
    });
  }

  Status read_stream(const KeyInfo& key, PageWriter& pages) {
    std::string start = "-";
    for (;;) {
      if (interrupt_requested()) return interrupted_status();
      Result<RedisReply> got = redis_->call({"XRANGE", key.name, start, "+", "COUNT", std::to_string(kPageMembers)});
      if (!got) return got.take_status();
      const redisReply* r = got->get();
      if (r->type != REDIS_REPLY_ARRAY) return unexpected(key, r, "XRANGE");
      for (size_t e = 0; e < r->elements; ++e) DECANT_TRY(pages.add_entry(r->element[e]));
      if (r->elements < kPageMembers) break;
      // The next id after the last one read ("(" ranges need Redis 6.2).
      std::string_view last = reply_bytes(r->element[r->elements - 1]->element[0]);
      size_t dash = last.find('-');
      int64_t ms = 0, seq = 0;
      if (dash == std::string_view::npos || !parse_int64(last.substr(0, dash), ms) ||
          !parse_int64(last.substr(dash + 1), seq))
        return Status::source("key " + describe_key(key.name) + ": unexpected stream id " + std::string(last));
      start = seq == INT64_MAX ? std::to_string(ms + 1) + "-0" : std::to_string(ms) + "-" + std::to_string(seq + 1);
    }
    RespBuffer& out = commands_;
    out.clear();
    out.command({"XINFO", "STREAM", key.name});
    out.command({"XINFO", "GROUPS", key.name});
    Result<std::vector<RedisReply>> got = round_trip(out);
    if (!got) return got.take_status();
    Result<Value> meta = stream_meta(key, (*got)[0].get(), (*got)[1].get());
    if (!meta) return meta.take_status();
    return pages.finish_stream(std::move(meta.value()));
  }

  Status read_dumps(const std::vector<std::string>& names, size_t begin, size_t end, const RecordFn& emit) {
    RespBuffer& out = commands_;
    out.clear();
    for (size_t i = begin; i < end; ++i) {
      out.command({"TYPE", names[i]});
      expiry_command(out, names[i]);
      out.command({"DUMP", names[i]});
    }
    int64_t sent_at = unix_time_ms();
    Result<std::vector<RedisReply>> got = round_trip(out);
    if (!got) return got.take_status();
    for (size_t i = begin; i < end; ++i) {
      size_t at = 3 * (i - begin);
      std::optional<int64_t> expire_at;
      const redisReply* dump = (*got)[at + 2].get();
      if (!read_expiry((*got)[at + 1].get(), expire_at, sent_at) || dump->type != REDIS_REPLY_STRING) continue;
      record_.clear_keep_capacity();
      set_byte_string(record_.add(redis_field::kKey), names[i]);
      record_.add(redis_field::kType) = Value::of_text(reply_bytes((*got)[at].get()));
      record_.add(redis_field::kDump) = Value::of_bytes(reply_bytes(dump));
      Value& expire = record_.add(redis_field::kExpireAt);
      if (expire_at) expire = Value::of_int(*expire_at);
      DECANT_TRY(emit(record_));
    }
    return Status::ok();
  }

  std::unique_ptr<RedisConnection> redis_;
  RedisLocation location_;
  std::string location_text_;
  Settings settings_;
  std::optional<int> rdb_version_;
  bool expiring_ = true;  // the database being read has keys with an expiry
  RespBuffer commands_;
  Record record_;
};

}  // namespace

void register_redis_source(SourceRegistry& registry) {
  SourceBackend backend{
      .scheme = "redis",
      .summary = "Redis server (redis://[[user]:password@]host[:port][/db]; password also from REDISCLI_AUTH)",
      .capabilities = "no snapshot: SCAN reads each key as it is when reached; one stream per database "
                      "(or per key prefix); big keys read in pages; pipelined",
      .options =
          {
              {"split-prefix", BackendOption::Type::kString, "Redis: one stream per key prefix ending at SEP"},
              {"match", BackendOption::Type::kList, "Redis: only keys matching this glob pattern (repeatable)"},
              {"redis-dump", BackendOption::Type::kFlag,
               "Redis: carry DUMP payloads (same-version restores, keeps everything)"},
          },
      .open = RedisSource::open,
  };
  backend.capabilities += "; --layout lightrag: LightRAG's own KV and doc-status keys (SPEC 11.5.4)";
  backend.options.push_back(lightrag::layout_option());
  for (BackendOption& option : lightrag::export_options()) backend.options.push_back(std::move(option));
  registry.add(std::move(backend));
}

}  // namespace decant
