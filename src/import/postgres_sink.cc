// PostgreSQL import. Every stream becomes a table, created with the types, defaults, enums,
// domains and sequences the stream describes when it is missing, and loaded with text COPY
// (each column's own input function parses the values). Constraints and indexes of a table this
// import created are built after its data; foreign keys after all tables, as they may point at
// tables that come later. DDL is transactional in PostgreSQL, so a rollback leaves the database
// as it was, created tables included. Conflict policies other than error COPY into a temporary
// table first and move the rows with one INSERT ... ON CONFLICT per batch.
//
// With --jobs N, tables load side by side on N connections ("lanes"), each with a thread that
// runs its statements in order; this thread reads the archive and turns records into COPY text
// for them (SPEC 11.2.3).
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "backends/postgres_client.h"
#include "backends/postgres_types.h"
#include "export/source.h"
#include "format/digest.h"
#include "format/uri.h"
#include "format/value_codec.h"
#include "import/layout_sinks.h"
#include "import/sink.h"
#include "layouts/lightrag.h"

namespace decant {
namespace {

// The comment that marks a column holding archive encodings of values of any kind: the
// PostgreSQL source decodes such a column back into the original values (SPEC 11.2).
constexpr const char* kEncodedMarker = "decant:any";
// Rows are handed to libpq in chunks of about this size.
constexpr size_t kCopyChunk = 1 << 18;

std::string table_frame(const std::string& name) { return "table \"" + name + "\""; }

std::string option_text(const nlohmann::json& options, const char* key) {
  if (!options.is_object()) return "";
  auto found = options.find(key);
  return found != options.end() && found->is_string() ? found->get<std::string>() : "";
}

const nlohmann::json& option_array(const nlohmann::json& options, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  if (!options.is_object()) return kEmpty;
  auto found = options.find(key);
  return found != options.end() && found->is_array() ? *found : kEmpty;
}

std::string member_text(const nlohmann::json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : "";
}

// The PostgreSQL type for a logical column type of a stream from another backend (SPEC 11.2).
// Key and indexed columns need equality, which json lacks: they get jsonb and text instead.
std::string pg_type_for(const std::string& logical, bool key_column, bool& encoded) {
  encoded = false;
  static const std::unordered_map<std::string, std::string> kTypes = {
      {"bool", "boolean"}, {"int32", "integer"}, {"int64", "bigint"}, {"float32", "real"},
      {"float64", "double precision"}, {"decimal", "numeric"}, {"text", "text"}, {"bytes", "bytea"},
      {"date", "date"}, {"time", "time"}, {"timetz", "timetz"}, {"timestamp", "timestamp"},
      {"timestamptz", "timestamptz"}, {"interval", "interval"}, {"uuid", "uuid"}, {"vector", "vector"},
      {"halfvec", "halfvec"}};
  if (logical == "json") return key_column ? "jsonb" : "json";
  auto found = kTypes.find(logical);
  if (found != kTypes.end()) return found->second;
  if (logical.rfind("array<", 0) == 0 && logical.back() == '>') {
    auto element = kTypes.find(logical.substr(6, logical.size() - 7));
    if (element != kTypes.end()) return element->second + "[]";
  }
  encoded = true;
  return key_column ? "text" : "json";
}

// --staged: a staging table loaded and waiting for its promotion.
struct StagedTable {
  std::string stream;
  std::string schema, table, final_table;   // table: the staging table's name
  std::string staged_qualified, final_qualified;
  std::vector<std::string> columns;         // the stream's, in its order
  int64_t records = 0;
  Digest written;
  nlohmann::json sequences;
};

struct Lane;

// With --jobs, lanes commit independently and keep no checkpoint, so a retry could not continue
// where the failure struck: a transient failure there is reported as final.
Status not_retried(Status status) {
  if (status || !status.is_transient()) return status;
  return Status::error(status.side(), status.message() + " (not retried: with --jobs no checkpoint says where to continue)");
}

// One stream being loaded.
struct Target {
  StreamInfo info;
  std::string frame;
  std::string schema, table, qualified;
  bool created = false;           // this import created the table
  bool same_location = false;     // a PostgreSQL stream going to the table it came from
  bool verbatim_indexes = false;  // the source's index definitions fit this table
  std::string index_table;        // --staged: the table as those definitions name it, "schema.table"
  // --staged: the table the staging table replaces when promoted.
  std::string final_table, final_qualified;
  Digest written;                 // --staged: of the records as written, over the stream's columns
  std::vector<PgTargetColumn> columns;  // in stream column order
  std::unordered_map<std::string, size_t> column_of;
  std::vector<std::string> key;   // conflict target
  std::string stage;              // temporary table for skip / replace / merge; empty: COPY direct
  std::string copy_sql;
  std::vector<bool> noted_json;
  std::vector<const Value*> slots;
  int64_t records = 0;
  Lane* lane = nullptr;           // the connection that loads it
};

// One connection and its transaction. The sink's importing thread decides what each lane does
// and keeps its counts and buffer; the lane's own thread, when it has one, runs the statements,
// in the order given. Without a thread a lane runs them at once.
struct Lane {
  static constexpr size_t kQueueDepth = 8;  // COPY chunks: bounds memory per lane

  explicit Lane(PgConn c) : conn(std::move(c)) {}
  ~Lane() { stop(); }

  // The importing thread's side.
  int open_streams = 0;            // streams begun on this lane and not yet ended
  int64_t batch_rows = 0;          // since this lane's transaction began (TxnMode::kBatch)
  int64_t batch_bytes = 0;
  std::string buffer;              // COPY rows of `buffered` not yet handed over
  std::shared_ptr<Target> buffered;

  // The running side: only the statements a lane runs touch these.
  PgConn conn;
  PgTypeCache types;
  bool in_transaction = false;
  std::shared_ptr<Target> copying;  // the stream whose COPY is open
  std::vector<std::string> foreign_keys;  // to add once every table has loaded

  // `alarm` is raised on this lane's first failure, for the importing thread to stop soon.
  void start(std::atomic<bool>* alarm) {
    alarm_ = alarm;
    thread = std::thread([this] { work(); });
  }

  bool threaded() const { return thread.joinable(); }

  Status first_failure() {
    std::lock_guard<std::mutex> lock(mutex);
    return failure;
  }

  // Runs `task` now, or queues it on the lane's thread; then returns the lane's first failure
  // so far (a queued task's own failure shows in a later call).
  Status run(std::function<Status()> task) {
    if (!thread.joinable()) return task();
    std::unique_lock<std::mutex> lock(mutex);
    space.wait(lock, [&] { return queue.size() < kQueueDepth || !failure; });
    if (!failure) return failure;
    queue.push_back(std::move(task));
    ready.notify_one();
    return Status::ok();
  }

  // Waits until every queued task has run; returns the first failure.
  Status drain() {
    if (!thread.joinable()) return Status::ok();
    std::unique_lock<std::mutex> lock(mutex);
    idle.wait(lock, [&] { return queue.empty() && !busy; });
    return failure;
  }

  bool is_idle() {
    std::lock_guard<std::mutex> lock(mutex);
    return queue.empty() && !busy;
  }

 private:
  // After a failure the rest of the queue is dropped: the sink rolls the lane back.
  void work() {
    for (;;) {
      std::function<Status()> task;
      {
        std::unique_lock<std::mutex> lock(mutex);
        ready.wait(lock, [&] { return !queue.empty() || stopping; });
        if (queue.empty()) return;
        task = std::move(queue.front());
        queue.pop_front();
        busy = true;
      }
      bool failed;
      {
        std::lock_guard<std::mutex> lock(mutex);
        failed = !failure;
      }
      Status status = failed ? Status::ok() : task();
      std::lock_guard<std::mutex> lock(mutex);
      busy = false;
      if (!status && failure) {
        failure = not_retried(std::move(status));
        alarm_->store(true, std::memory_order_relaxed);
      }
      space.notify_all();
      if (queue.empty()) idle.notify_all();
    }
  }

  void stop() {
    if (!thread.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
      queue.clear();
    }
    ready.notify_one();
    thread.join();
  }

  std::thread thread;
  std::mutex mutex;
  std::condition_variable ready, space, idle;
  std::deque<std::function<Status()>> queue;
  bool busy = false, stopping = false;
  Status failure;
  std::atomic<bool>* alarm_ = nullptr;
};

class PostgresSink final : public Sink {
 public:
  static Result<std::unique_ptr<Sink>> open(const std::string& uri, const SinkOptions& options) {
    Result<bool> layout = lightrag::wants_lightrag_layout(options.settings);
    if (!layout) return layout.take_status();
    if (*layout) return open_lightrag_postgres_sink(uri, options);
    if (options.settings.is_object() && options.settings.contains("embedding-model"))
      return Status::usage("--embedding-model needs --layout lightrag");
    bool staged = options.settings.is_object() && options.settings.value("staged", false);
    if (staged && (options.drop || options.truncate))
      return Status::usage("postgres: --staged replaces whole tables; --drop and --truncate do not apply");
    if (staged && options.conflict != ConflictPolicy::kError)
      return Status::usage("postgres: --staged loads into empty tables; --conflict must be error");
    int jobs = 1;
    if (options.settings.is_object() && options.settings.contains("jobs")) {
      const nlohmann::json& given = options.settings["jobs"];
      if (!given.is_number_integer() || given.get<int64_t>() < 1 || given.get<int64_t>() > 64)
        return Status::usage("postgres: --jobs must be between 1 and 64");
      jobs = static_cast<int>(given.get<int64_t>());
    }
    // One transaction lives on one connection: loading on several needs a transaction each.
    if (jobs > 1 && options.txn == TxnMode::kSingle)
      return Status::usage("postgres: --jobs loads tables on several connections, which one transaction cannot span; "
                           "use --txn stream or --txn batch, or --jobs 1");
    if (jobs > 1 && staged)
      return Status::usage("postgres: --staged promotes every table in one transaction, on one connection; it needs --jobs 1");
    Result<PgConn> conn = pg_connect(uri, Side::kTarget);
    if (!conn) return jobs > 1 ? not_retried(conn.take_status()) : conn.take_status();
    auto sink = std::unique_ptr<PostgresSink>(new PostgresSink(uri, options));
    sink->staged_ = staged;
    sink->main_ = std::make_unique<Lane>(std::move(conn.value()));
    DECANT_TRY(sink->set_search_path(*sink->main_));
    for (int i = 0; jobs > 1 && i < jobs; ++i) {
      Result<PgConn> more = pg_connect(uri, Side::kTarget);
      if (!more) return not_retried(more.take_status());
      sink->lanes_.push_back(std::make_unique<Lane>(std::move(more.value())));
      DECANT_TRY(sink->set_search_path(*sink->lanes_.back()));
      sink->lanes_.back()->start(&sink->alarm_);
    }
    if (jobs > 1) {
      // Notes now come from the lanes' threads as well.
      sink->options_.note = [note = options.note, mutex = std::make_shared<std::mutex>()](const std::string& message) {
        std::lock_guard<std::mutex> lock(*mutex);
        note(message);
      };
    }
    return std::unique_ptr<Sink>(std::move(sink));
  }

  ~PostgresSink() override {
    if (!committed_) rollback();
  }

  Status begin() override {
    // Stream and batch modes commit as they go, which a dry run must not.
    if (options_.dry_run && options_.txn != TxnMode::kSingle)
      return Status::usage("postgres: --dry-run needs --txn single");
    // With lanes, what this connection makes for them is committed at once, for them to see.
    return lanes_.empty() ? ensure_transaction(*main_) : Status::ok();
  }

  Status begin_stream(const StreamInfo& stream) override {
    std::string frame = table_frame(stream.name);
    if (targets_.count(stream.name)) return Status::internal(frame + ": stream began twice");
    auto target = std::make_shared<Target>();
    target->info = stream;
    target->frame = frame;
    locate(*target);
    Result<Lane*> lane = choose_lane(*target);
    if (!lane) return not_retried(lane.take_status().context(frame));
    target->lane = *lane;
    DECANT_TRY(hand_over(**lane));
    // Synchronous: writing needs the columns it finds.
    Status prepared = (*lane)->run([this, target, l = *lane]() -> Status {
      DECANT_TRY(end_copy(*l));
      DECANT_TRY(ensure_transaction(*l));
      return prepare(*l, *target).context(target->frame);
    });
    if (prepared) prepared = (*lane)->drain();
    if (!prepared) return prepared;
    ++(*lane)->open_streams;
    targets_.emplace(stream.name, std::move(target));
    return Status::ok();
  }

  Status write(const std::string& stream, const Record& record) override {
    auto found = targets_.find(stream);
    if (found == targets_.end()) return Status::internal(table_frame(stream) + ": record for a stream that has not begun");
    Target& target = *found->second;
    Lane& lane = *target.lane;
    if (alarm_.load(std::memory_order_relaxed)) return lane_failure();
    ++target.records;
    if (lane.buffered != found->second) {
      DECANT_TRY(hand_over(lane));
      lane.buffered = found->second;
    }
    std::fill(target.slots.begin(), target.slots.end(), nullptr);
    for (size_t i = 0; i < record.size(); ++i) {
      const Field& field = record[i];
      size_t column = i;
      if (i >= target.columns.size() || target.columns[i].name != field.name) {
        auto it = target.column_of.find(field.name);
        if (it == target.column_of.end())
          return Status::target(target.frame + ": record " + std::to_string(target.records) + " has field \"" +
                                field.name + "\", which is not a column of the stream");
        column = it->second;
      }
      target.slots[column] = &field.value;
    }
    static const Value kNull;
    std::string& buffer = lane.buffer;
    size_t before = buffer.size();
    for (size_t i = 0; i < target.columns.size(); ++i) {
      if (i) buffer += '\t';
      bool as_json = false;
      Status appended = pg_append_copy_text(target.slots[i] ? *target.slots[i] : kNull, target.columns[i], buffer, as_json);
      if (!appended)
        return std::move(appended).context(target.frame + ": record " + std::to_string(target.records) + ", column \"" +
                                           target.columns[i].name + "\"");
      if (as_json && !target.noted_json[i]) {
        target.noted_json[i] = true;
        options_.note(target.frame + " column \"" + target.columns[i].name + "\": " +
                      kind_name(target.slots[i]->kind) +
                      " values are stored as their archive encoding (JSON text), as the column has no type for them");
      }
    }
    buffer += '\n';
    if (staged_) {
      normalised_.clear_keep_capacity();
      for (size_t i = 0; i < target.columns.size(); ++i)
        normalised_.add(target.columns[i].name) = target.slots[i] ? *target.slots[i] : Value();
      add_to_digest(normalised_, target.written);
    }
    ++lane.batch_rows;
    lane.batch_bytes += static_cast<int64_t>(buffer.size() - before);
    if (buffer.size() >= kCopyChunk) DECANT_TRY(hand_over(lane));
    if (options_.txn == TxnMode::kBatch &&
        (lane.batch_rows >= options_.batch_rows || lane.batch_bytes >= options_.batch_bytes)) {
      DECANT_TRY(hand_over(lane));
      DECANT_TRY(commit_lane(lane));
    }
    return Status::ok();
  }

  Status end_stream(const std::string& stream) override {
    auto found = targets_.find(stream);
    if (found == targets_.end()) return Status::internal(table_frame(stream) + ": stream ended but never began");
    std::shared_ptr<Target> target = found->second;
    Lane& lane = *target->lane;
    DECANT_TRY(hand_over(lane));
    DECANT_TRY(lane.run([this, target, &lane]() -> Status {
      DECANT_TRY(end_copy(lane));
      DECANT_TRY(ensure_transaction(lane));
      return finish_table(lane, *target).context(target->frame);
    }));
    if (options_.dry_run)
      options_.note("dry run: would load " + std::to_string(target->records) + " records into " + target->qualified);
    if (staged_) {
      StagedTable staged{target->info.name, target->schema, target->table, target->final_table, target->qualified,
                         target->final_qualified, {}, target->records, target->written,
                         option_array(target->info.options, "sequences")};
      for (const PgTargetColumn& column : target->columns) staged.columns.push_back(column.name);
      staged_tables_.push_back(std::move(staged));
    }
    targets_.erase(found);
    // One connection has one transaction, so streams that interleave on it share it: stream
    // mode commits a lane once none of its streams is open.
    if (--lane.open_streams == 0 && options_.txn != TxnMode::kSingle) return commit_lane(lane);
    return Status::ok();
  }

  Status commit() override { return lanes_.empty() ? commit_all() : not_retried(commit_all()); }

  bool needs_columns() const override { return true; }

  // A staged import starts over anyway: its staging tables go when it fails.
  void track(const Checkpoint* checkpoint) override { checkpoint_ = lanes_.empty() && !staged_ ? checkpoint : nullptr; }

  Result<std::optional<Checkpoint>> stored_checkpoint() override {
    // Lanes commit independently: no one line of the archive says where all of them stand.
    if (!lanes_.empty()) return Status::usage("postgres: --resume needs --jobs 1 (parallel lanes keep no checkpoint)");
    Result<bool> exists = table_exists(*main_, kCheckpointTable);
    if (!exists) return exists.take_status();
    if (!*exists) return std::optional<Checkpoint>();
    Result<PgResult> read = pg_query(main_->conn.get(),
        std::string("SELECT archive_id, line, records, pending::text FROM ") + kCheckpointTable, Side::kTarget);
    if (!read) return read.take_status().context("reading the checkpoint");
    if (PQntuples(read->get()) != 1) return std::optional<Checkpoint>();
    PGresult* row = read->get();
    Checkpoint found{std::string(pg_cell(row, 0, 0)), std::stoll(std::string(pg_cell(row, 0, 1))),
                     std::stoll(std::string(pg_cell(row, 0, 2)))};
    // What the interrupted run had yet to do at the end: build the constraints of the tables
    // it created, and add the foreign keys it collected. Assigned, not appended: the CLI reads
    // the checkpoint once to choose where to seek and the import driver again.
    nlohmann::json pending = nlohmann::json::parse(pg_cell(row, 0, 3), nullptr, false);
    created_.clear();
    main_->foreign_keys.clear();
    if (pending.is_object()) {
      for (const auto& table : option_array(pending, "created"))
        if (table.is_string()) created_.insert(table.get<std::string>());
      for (const auto& key : option_array(pending, "foreign_keys"))
        if (key.is_string()) main_->foreign_keys.push_back(key.get<std::string>());
    }
    return std::optional<Checkpoint>(found);
  }

  void rollback() override {
    std::vector<Lane*> all{main_.get()};
    for (auto& lane : lanes_) all.push_back(lane.get());
    for (Lane* lane : all) {
      // What a lane was given still runs: the tables that ended before the failure finish
      // (and, in stream mode, commit); the open ones are undone below.
      (void)lane->drain();
      if (lane->copying) {
        PQputCopyEnd(lane->conn.get(), "import rolled back");
        while (PGresult* raw = PQgetResult(lane->conn.get())) PQclear(raw);
        lane->copying = nullptr;
      }
      lane->buffer.clear();
      lane->buffered = nullptr;
      if (lane->in_transaction) {
        PQclear(PQexec(lane->conn.get(), "ROLLBACK"));
        lane->in_transaction = false;
      }
    }
    targets_.clear();
    // Staging tables that stream or batch transactions committed before the failure: nothing
    // was promoted, so they go.
    if (staged_ && !committed_)
      for (const std::string& table : staging_names_)
        PQclear(PQexec(main_->conn.get(), ("DROP TABLE IF EXISTS " + table).c_str()));
    staging_names_.clear();
  }

 private:
  PostgresSink(std::string uri, const SinkOptions& options) : uri_(std::move(uri)), options_(options) {}

  // One commit of everything, on the first connection.
  Status commit_all() {
    if (!targets_.empty())
      return Status::internal(table_frame(targets_.begin()->first) + ": commit before the stream ended");
    if (staged_ && !options_.dry_run) return promote_staged();
    for (auto& lane : lanes_) {
      DECANT_TRY(lane->drain());
      main_->foreign_keys.insert(main_->foreign_keys.end(), lane->foreign_keys.begin(), lane->foreign_keys.end());
      lane->foreign_keys.clear();
    }
    DECANT_TRY(ensure_transaction(*main_));
    DECANT_TRY(create_foreign_keys(*main_));
    if (options_.dry_run) {
      for (const StagedTable& t : staged_tables_)
        options_.note("dry run: would promote " + t.staged_qualified + " to " + t.final_qualified +
                      " after checking its count and digest");
      rollback();
      committed_ = true;
      return Status::ok();
    }
    // The import is complete: its checkpoint goes in the same transaction as the last of it.
    DECANT_TRY(exec(*main_, std::string("DROP TABLE IF EXISTS ") + kCheckpointTable));
    DECANT_TRY(commit_transaction(*main_, /*final=*/true));
    committed_ = true;
    return Status::ok();
  }

  // Types named without a schema (vector, halfvec) are found where extensions usually live.
  static Status set_search_path(Lane& lane) {
    return pg_exec(lane.conn.get(), "SET search_path = pg_catalog, public", Side::kTarget);
  }

  // The lane that loads a table. Without --jobs, the one connection. With it: a table already
  // loading stays on its lane; tables that existing foreign keys tie to others all go to the
  // first lane, in archive order, so that no lane waits for rows or locks another holds; the
  // rest go to the lane with the fewest open streams, an idle one first.
  Result<Lane*> choose_lane(const Target& target) {
    if (lanes_.empty()) return main_.get();
    auto bound = lane_of_.find(target.qualified);
    if (bound != lane_of_.end()) return bound->second;
    Result<PgResult> linked = pg_query(main_->conn.get(),
        "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f'"
        " AND (conrelid = to_regclass($1) OR confrelid = to_regclass($1)))",
        Side::kTarget, {target.qualified});
    if (!linked) return linked.take_status();
    Lane* chosen = lanes_.front().get();
    if (pg_cell(linked->get(), 0, 0) != "t") {
      bool chosen_idle = chosen->is_idle();
      for (auto& lane : lanes_) {
        bool idle = lane->is_idle();
        if (lane->open_streams < chosen->open_streams ||
            (lane->open_streams == chosen->open_streams && idle && !chosen_idle)) {
          chosen = lane.get();
          chosen_idle = idle;
        }
      }
    }
    // Schemas and types several tables may need are made here, on one connection, and
    // committed: two lanes making the same one would collide.
    Result<bool> exists = table_exists(*main_, target.qualified);
    if (!exists) return exists.take_status();
    if (!*exists || options_.drop) {
      DECANT_TRY(exec(*main_, "CREATE SCHEMA IF NOT EXISTS " + pg_quote_ident(target.schema)));
      if (option_text(target.info.options, "source_backend") == "postgres") DECANT_TRY(create_types(*main_, target.info));
    }
    lane_of_.emplace(target.qualified, chosen);
    return chosen;
  }

  // The failure of a lane, which stops the import as soon as the importing thread sees it.
  Status lane_failure() {
    for (auto& lane : lanes_)
      if (Status failed = lane->first_failure(); !failed) return failed;
    return Status::internal("a lane raised its alarm without a failure");
  }

  // Hands the lane's buffered COPY rows to the lane.
  Status hand_over(Lane& lane) {
    if (lane.buffer.empty()) return Status::ok();
    std::shared_ptr<Target> target = lane.buffered;
    auto copy = [this, &lane, target](const std::string& rows) -> Status {
      if (lane.copying != target) {
        DECANT_TRY(end_copy(lane));
        DECANT_TRY(ensure_transaction(lane));
        DECANT_TRY(start_copy(lane, target));
      }
      return send(lane, rows);
    };
    // A lane of its own thread takes the rows along; otherwise they go now and the buffer
    // keeps its capacity for the next ones.
    Status status = lane.threaded() ? lane.run([copy, rows = std::move(lane.buffer)] { return copy(rows); })
                                    : copy(lane.buffer);
    lane.buffer.clear();
    return status;
  }

  // Commits what the lane was given so far.
  Status commit_lane(Lane& lane) {
    lane.batch_rows = 0;
    lane.batch_bytes = 0;
    return lane.run([this, &lane]() -> Status {
      DECANT_TRY(end_copy(lane));
      return commit_transaction(lane);
    });
  }

  Status ensure_transaction(Lane& lane) {
    if (lane.in_transaction) return Status::ok();
    DECANT_TRY(pg_exec(lane.conn.get(), "BEGIN", Side::kTarget));
    lane.in_transaction = true;
    return Status::ok();
  }

  // Every commit but the last carries the driver's checkpoint, so that --resume continues
  // exactly after what this commit made durable.
  Status commit_transaction(Lane& lane, bool final = false) {
    if (!lane.in_transaction) return Status::ok();
    if (checkpoint_ && !final && !options_.dry_run) DECANT_TRY(store_checkpoint(lane));
    DECANT_TRY(pg_exec(lane.conn.get(), "COMMIT", Side::kTarget));
    lane.in_transaction = false;
    return Status::ok();
  }

  Status store_checkpoint(Lane& lane) {
    nlohmann::json pending = {{"created", nlohmann::json::array()}, {"foreign_keys", lane.foreign_keys}};
    for (const std::string& table : created_) pending["created"].push_back(table);
    DECANT_TRY(exec(lane, std::string("CREATE TABLE IF NOT EXISTS ") + kCheckpointTable +
                              " (archive_id text NOT NULL, line bigint NOT NULL, records bigint NOT NULL, pending jsonb"
                              " NOT NULL); DELETE FROM " + kCheckpointTable));
    Result<PgResult> stored = pg_query(lane.conn.get(),
        std::string("INSERT INTO ") + kCheckpointTable + " VALUES ($1, $2, $3, $4)", Side::kTarget,
        {checkpoint_->archive_id, std::to_string(checkpoint_->line), std::to_string(checkpoint_->records), pending.dump()});
    if (!stored) return stored.take_status().context("writing the checkpoint");
    return Status::ok();
  }

  static Status exec(Lane& lane, const std::string& sql) { return pg_exec(lane.conn.get(), sql, Side::kTarget); }

  static const std::string& final_name(const Target& target) {
    return target.final_qualified.empty() ? target.qualified : target.final_qualified;
  }

  // The stream name's schema and table: a PostgreSQL stream keeps its own while it has the name
  // it was exported under; otherwise "schema.table" splits at the first dot, and a name without
  // one goes to schema public.
  static void locate(Target& target) {
    const StreamInfo& s = target.info;
    std::string schema = option_text(s.options, "schema"), table = option_text(s.options, "table");
    if (option_text(s.options, "source_backend") == "postgres" && !schema.empty() && s.name == schema + "." + table) {
      target.schema = schema;
      target.table = table;
      target.same_location = true;
      target.verbatim_indexes = true;
    } else if (size_t dot = s.name.find('.'); dot != std::string::npos && dot > 0 && dot + 1 < s.name.size()) {
      target.schema = s.name.substr(0, dot);
      target.table = s.name.substr(dot + 1);
    } else {
      target.schema = "public";
      target.table = s.name;
    }
    target.qualified = pg_qualified(target.schema, target.table);
  }

  Status prepare(Lane& lane, Target& target) {
    const StreamInfo& stream = target.info;
    if (stream.columns.empty()) return Status::target("the stream has no columns; a PostgreSQL table needs at least one");
    if (staged_) DECANT_TRY(stage(lane, target));
    if (options_.drop) DECANT_TRY(drop_table(lane, target));
    Result<PgResult> existing = loadable_columns(lane, target.qualified);
    if (!existing) return existing.take_status();
    if (PQntuples(existing->get()) == 0) {
      Result<bool> is_table = table_exists(lane, target.qualified);
      if (!is_table) return is_table.take_status();
      if (*is_table) return Status::target("the existing table has no columns the stream could fill");
      DECANT_TRY(create_table(lane, target));
      target.created = true;
      if (checkpoint_) created_.insert(target.qualified);
      existing = loadable_columns(lane, target.qualified);
      if (!existing) return existing.take_status();
    } else if (created_.count(target.qualified)) {
      target.created = true;  // by the run this one resumes, which had not yet finished it
    } else if (options_.truncate) {
      DECANT_TRY(exec(lane, "TRUNCATE " + target.qualified));
    }
    std::unordered_map<std::string, int> row_of;
    for (int row = 0; row < PQntuples(existing->get()); ++row) row_of.emplace(pg_cell(existing->get(), row, 0), row);
    std::string list;
    for (const Column& column : stream.columns) {
      auto found = row_of.find(column.name);
      if (found == row_of.end()) return Status::target("the existing table has no column \"" + column.name + "\"");
      uint32_t oid = static_cast<uint32_t>(std::stoul(std::string(pg_cell(existing->get(), found->second, 1))));
      Result<std::shared_ptr<const PgType>> type = lane.types.resolve(lane.conn.get(), oid, Side::kTarget);
      if (!type) return type.take_status().context("column \"" + column.name + "\"");
      PgTargetColumn target_column;
      target_column.name = column.name;
      target_column.base = (*type)->base;
      const PgType* inner = type->get();
      while (inner->base == PgBase::kArray && inner->element) inner = inner->element.get();
      target_column.element_base = inner->base;
      target_column.encoded = pg_cell(existing->get(), found->second, 2) == kEncodedMarker &&
                              (target_column.base == PgBase::kJson || target_column.base == PgBase::kText);
      target.column_of.emplace(column.name, target.columns.size());
      target.columns.push_back(std::move(target_column));
      list += (list.empty() ? "" : ", ") + pg_quote_ident(column.name);
    }
    target.noted_json.assign(target.columns.size(), false);
    target.slots.assign(target.columns.size(), nullptr);
    if (options_.conflict == ConflictPolicy::kError) {
      target.copy_sql = "COPY " + target.qualified + " (" + list + ") FROM STDIN";
      return Status::ok();
    }
    DECANT_TRY(conflict_key(lane, target));
    target.stage = pg_quote_ident("decant_stage_" + std::to_string(++stage_count_));
    target.copy_sql = "COPY " + target.stage + " (" + list + ") FROM STDIN";
    // The ordinal keeps the last of several records with one key (replace and merge), as a
    // single INSERT ... ON CONFLICT DO UPDATE may not touch a row twice.
    return exec(lane, "CREATE TEMPORARY TABLE " + target.stage + " (LIKE " + target.qualified + ");" +
                " ALTER TABLE " + target.stage + " ADD COLUMN " + pg_quote_ident("decant ordinal") +
                " bigint GENERATED ALWAYS AS IDENTITY");
  }

  // DROP TABLE; when other objects depend on the table (foreign keys of other tables, views),
  // DROP ... CASCADE, which drops those constraints and views, and a note naming them. The
  // foreign keys of tables in the archive come back with those tables.
  Status drop_table(Lane& lane, const Target& target) {
    DECANT_TRY(exec(lane, "SAVEPOINT decant_drop"));
    PgResult dropped(PQexec(lane.conn.get(), ("DROP TABLE IF EXISTS " + target.qualified).c_str()));
    if (dropped && PQresultStatus(dropped.get()) == PGRES_COMMAND_OK) return exec(lane, "RELEASE SAVEPOINT decant_drop");
    const char* state = dropped ? PQresultErrorField(dropped.get(), PG_DIAG_SQLSTATE) : nullptr;
    if (!state || std::string_view(state) != "2BP01")  // dependent_objects_still_exist
      return pg_failure(lane.conn.get(), dropped.get(), Side::kTarget);
    const char* described = PQresultErrorField(dropped.get(), PG_DIAG_MESSAGE_DETAIL);
    std::string detail = described ? described : "(not described)";
    std::replace(detail.begin(), detail.end(), '\n', ';');
    DECANT_TRY(exec(lane, "ROLLBACK TO SAVEPOINT decant_drop; DROP TABLE " + target.qualified + " CASCADE"));
    options_.note(target.frame + ": --drop also dropped what depended on it: " +
detail);
    return Status::ok();
  }

  static std::string replaced_name(const std::string& table) { return "_decant_replaced_" + table; }

  // --staged: the stream loads into a staging table beside its final one, a copy of the
  // existing table's definition (LIKE ... INCLUDING ALL) or one made from the stream.
  Status stage(Lane& lane, Target& target) {
    std::string staging = "_decant_staged_" + target.table;
    if (replaced_name(target.table).size() > 63)
      return Status::usage("--staged: the name \"" + target.table + "\" is too long for its staging and kept names");
    std::string replaced = pg_qualified(target.schema, replaced_name(target.table));
    Result<bool> left = table_exists(lane, replaced);
    if (!left) return left.take_status();
    if (*left)
      return Status::target(replaced + ", kept by an earlier staged import, is still there; drop it first (DROP TABLE " +
                            replaced + ")");
    target.final_table = target.table;
    target.final_qualified = target.qualified;
    target.table = staging;
    target.qualified = pg_qualified(target.schema, staging);
    if (target.verbatim_indexes) {
      // The definitions name the final table, as PostgreSQL prints it; they are pointed at
      // the staging table instead.
      Result<PgResult> printed = pg_query(lane.conn.get(), "SELECT format('%I.%I', $1::text, $2::text)", Side::kTarget,
                                          {target.schema, target.final_table});
      if (!printed) return printed.take_status();
      target.index_table = pg_cell(printed->get(), 0, 0);
    }
    DECANT_TRY(exec(lane, "DROP TABLE IF EXISTS " + target.qualified));
    staging_names_.push_back(target.qualified);
    Result<bool> live = table_exists(lane, target.final_qualified);
    if (!live) return live.take_status();
    if (*live) {
      if (options_.dry_run)
        options_.note("dry run: would stage " + target.final_qualified + " in " + target.qualified + " and replace it");
      return exec(lane, "CREATE TABLE " + target.qualified + " (LIKE " + target.final_qualified + " INCLUDING ALL)");
    }
    return Status::ok();
  }

  static void add_to_digest(const Record& record, Digest& digest) {
    thread_local std::string canonical;
    canonical.clear();
    encode_record(record, canonical);
    digest.add(hash_record_bytes(canonical));
  }

  // Reads a staging table back, as an export would, and compares its records (over the
  // stream's columns) with those written to it.
  Status verify_staged(const StagedTable& t) {
    SourceOptions settings;
    settings.settings = {{"table", nlohmann::json::array({t.schema + "." + t.table})}};
    const SourceBackend* backend = builtin_sources().find(uri_);
    if (!backend) return Status::internal("no PostgreSQL source");
    Result<std::unique_ptr<Source>> source = backend->open(uri_, settings);
    if (!source) return Status::target(source.status().message());
    Result<std::vector<StreamInfo>> streams = (*source)->streams();
    if (!streams || streams->size() != 1)
      return Status::target("cannot read back " + t.staged_qualified + (streams ? "" : ": " + streams.status().message()));
    Digest digest;
    int64_t count = 0;
    Record normalised;
    Status read = (*source)->read(streams->front(), [&](const Record& record) -> Status {
      normalised.clear_keep_capacity();
      for (const std::string& column : t.columns) {
        const Value* value = record.find(column);
        normalised.add(column) = value ? *value : Value();
      }
      add_to_digest(normalised, digest);
      ++count;
      return Status::ok();
    });
    if (!read) return Status::target(read.message());
    if (count != t.records || !(digest == t.written))
      return Status::target(t.staged_qualified + " holds " + std::to_string(count) + " records with digest " + digest.hex() +
                            ", but " + std::to_string(t.records) + " with digest " + t.written.hex() +
                            " were written; nothing was promoted");
    return Status::ok();
  }

  // --staged, after every stream has loaded: each staging table checked against what was
  // written, then all promoted in one transaction, the tables they replace kept under
  // _decant_replaced_NAME.
  Status promote_staged() {
    Lane& lane = *main_;
    DECANT_TRY(commit_transaction(lane));
    for (const StagedTable& t : staged_tables_) {
      Status verified = verify_staged(t);
      if (!verified) return std::move(verified).context(table_frame(t.stream));
    }
    DECANT_TRY(ensure_transaction(lane));
    // A table outside the import that references a replaced table would follow it to its
    // kept name: refused, as the promoted table would lose those references.
    std::vector<std::string> replaced_oids;
    for (const StagedTable& t : staged_tables_) {
      Result<PgResult> oid = pg_query(lane.conn.get(), "SELECT to_regclass($1)::oid", Side::kTarget, {t.final_qualified});
      if (!oid) return oid.take_status();
      if (!pg_is_null(oid->get(), 0, 0)) replaced_oids.emplace_back(pg_cell(oid->get(), 0, 0));
    }
    for (const StagedTable& t : staged_tables_) {
      Result<PgResult> refs = pg_query(lane.conn.get(),
          "SELECT k.conname, k.conrelid::regclass::text, k.conrelid::oid FROM pg_constraint k"
          " WHERE k.contype = 'f' AND k.confrelid = to_regclass($1) AND k.conrelid <> k.confrelid",
          Side::kTarget, {t.final_qualified});
      if (!refs) return refs.take_status();
      for (int row = 0; row < PQntuples(refs->get()); ++row) {
        std::string from(pg_cell(refs->get(), row, 2));
        if (std::find(replaced_oids.begin(), replaced_oids.end(), from) == replaced_oids.end())
          return Status::target(table_frame(t.stream) + ": foreign key \"" + std::string(pg_cell(refs->get(), row, 0)) +
                                "\" of " + std::string(pg_cell(refs->get(), row, 1)) +
                                ", which this import does not replace, references it; nothing was promoted");
      }
    }
    // The foreign keys of a replaced table go to the table that replaces it. They are read
    // before the renames, so the tables they reference by name are then the promoted ones.
    for (const StagedTable& t : staged_tables_) {
      Result<PgResult> keys = pg_query(lane.conn.get(),
          "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = to_regclass($1) AND contype = 'f'"
          " ORDER BY conname",
          Side::kTarget, {t.final_qualified});
      if (!keys) return keys.take_status();
      for (int row = 0; row < PQntuples(keys->get()); ++row)
        lane.foreign_keys.push_back("ALTER TABLE " + t.final_qualified + " ADD CONSTRAINT " +
                                pg_quote_ident(pg_cell(keys->get(), row, 0)) + " " + std::string(pg_cell(keys->get(), row, 1)));
    }
    // What undoes the promotion, printed for the user: the kept tables back in their places.
    std::string undo_sequences, undo_drops, undo_renames;
    for (const StagedTable& t : staged_tables_) {
      Result<bool> live = table_exists(lane, t.final_qualified);
      if (!live) return live.take_status();
      std::string replaced = pg_qualified(t.schema, replaced_name(t.final_table));
      if (*live) {
        DECANT_TRY(exec(lane, "ALTER TABLE " + t.final_qualified + " RENAME TO " + pg_quote_ident(replaced_name(t.final_table))));
        // Sequences the replaced table owns and the staged copy's defaults use move with them.
        Result<PgResult> owned = pg_query(lane.conn.get(),
            "SELECT format('%I.%I', n.nspname, s.relname), a.attname FROM pg_depend d"
            " JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' JOIN pg_namespace n ON n.oid = s.relnamespace"
            " JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
            " WHERE d.classid = 'pg_class'::regclass AND d.refobjid = to_regclass($1) AND d.deptype = 'a'",
            Side::kTarget, {replaced});
        if (!owned) return owned.take_status();
        for (int row = 0; row < PQntuples(owned->get()); ++row) {
          std::string column(pg_cell(owned->get(), row, 1));
          if (std::find(t.columns.begin(), t.columns.end(), column) == t.columns.end()) continue;
          std::string sequence(pg_cell(owned->get(), row, 0));
          DECANT_TRY(exec(lane, "ALTER SEQUENCE " + sequence + " OWNED BY " + t.staged_qualified + "." + pg_quote_ident(column)));
          undo_sequences += " ALTER SEQUENCE " + sequence + " OWNED BY " + replaced + "." + pg_quote_ident(column) + ";";
        }
        undo_renames += " ALTER TABLE " + replaced + " RENAME TO " + pg_quote_ident(t.final_table) + ";";
      }
      undo_drops += (undo_drops.empty() ? "" : ", ") + t.final_qualified;
      DECANT_TRY(exec(lane, "ALTER TABLE " + t.staged_qualified + " RENAME TO " + pg_quote_ident(t.final_table)));
      DECANT_TRY(set_sequences(lane, t.final_qualified, t.sequences));
      options_.note("promoted " + t.final_qualified + " (" + std::to_string(t.records) + " records, count and digest checked)" +
                    (*live ? "; the table it replaced is kept as " + replaced + " until dropped" : ""));
    }
    DECANT_TRY(create_foreign_keys(lane));
    DECANT_TRY(commit_transaction(lane));
    committed_ = true;
    if (!undo_drops.empty())
      options_.note("to undo this import, run: BEGIN;" + undo_sequences + " DROP TABLE " + undo_drops + ";" + undo_renames +
                    " COMMIT;");
    return Status::ok();
  }

  // Name, type and comment of each column of `qualified` that COPY can fill; none when there is
  // no such table.
  Result<PgResult> loadable_columns(Lane& lane, const std::string& qualified) {
    return pg_query(lane.conn.get(),
        "SELECT a.attname, a.atttypid, col_description(a.attrelid, a.attnum) FROM pg_attribute a"
        " WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''",
        Side::kTarget, {qualified});
  }

  Result<bool> table_exists(Lane& lane, const std::string& qualified) {
    Result<PgResult> found = pg_query(lane.conn.get(), "SELECT to_regclass($1) IS NOT NULL", Side::kTarget, {qualified});
    if (!found) return found.take_status();
    return pg_cell(found->get(), 0, 0) == "t";
  }

  // The columns ON CONFLICT names: the stream's key, else the table's primary key.
  Status conflict_key(Lane& lane, Target& target) {
    target.key = target.info.key;
    if (target.key.empty()) {
      Result<PgResult> pk = pg_query(lane.conn.get(),
          "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
          " WHERE i.indrelid = to_regclass($1) AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)",
          Side::kTarget, {target.qualified});
      if (!pk) return pk.take_status();
      for (int row = 0; row < PQntuples(pk->get()); ++row) target.key.emplace_back(pg_cell(pk->get(), row, 0));
    }
    if (target.key.empty() && options_.conflict != ConflictPolicy::kSkip)
      return Status::usage(std::string("--conflict ") + conflict_policy_name(options_.conflict) +
                           " needs a key, and neither the stream nor the table has one");
    return Status::ok();
  }

  Status create_table(Lane& lane, Target& target) {
    const StreamInfo& stream = target.info;
    bool native = option_text(stream.options, "source_backend") == "postgres";
    if (options_.dry_run) options_.note("dry run: would create table " + target.qualified);
    DECANT_TRY(exec(lane, "CREATE SCHEMA IF NOT EXISTS " + pg_quote_ident(target.schema)));
    if (native) DECANT_TRY(create_types(lane, stream));
    const nlohmann::json& identity =
        stream.options.is_object() && stream.options.contains("identity") && stream.options["identity"].is_object()
            ? stream.options["identity"]
            : nlohmann::json::object();
    // Sequences named in column defaults exist before the table; only a table in its own place
    // keeps such defaults, elsewhere they would name another table's sequence.
    if (native && target.same_location) {
      for (const auto& sequence : option_array(stream.options, "sequences")) {
        if (!sequence.is_object() || sequence.value("identity", false)) continue;
        DECANT_TRY(exec(lane, "CREATE SEQUENCE IF NOT EXISTS " +
                        pg_qualified(member_text(sequence, "schema"), member_text(sequence, "name")) + " AS " +
                        member_text(sequence, "type") + " INCREMENT BY " + member_text(sequence, "increment") +
                        " MINVALUE " + member_text(sequence, "min") + " MAXVALUE " + member_text(sequence, "max") +
                        " START WITH " + member_text(sequence, "start") + " CACHE " + member_text(sequence, "cache") +
                        (sequence.value("cycle", false) ? " CYCLE" : " NO CYCLE")));
      }
    }
    std::string sql = "CREATE TABLE " + target.qualified + " (";
    std::vector<std::string> comments;
    for (size_t i = 0; i < stream.columns.size(); ++i) {
      const Column& column = stream.columns[i];
      // Key and indexed columns need equality and ordering, which json lacks.
      bool key_column = std::find(stream.key.begin(), stream.key.end(), column.name) != stream.key.end();
      for (const Index& index : stream.indexes)
        key_column = key_column || std::find(index.columns.begin(), index.columns.end(), column.name) != index.columns.end();
      bool encoded = false;
      std::string type = native && !column.source_type.empty() ? column.source_type
                                                               : pg_type_for(column.type, key_column, encoded);
      if (native && column.type == "any") encoded = true;
      sql += (i ? ", " : "") + pg_quote_ident(column.name) + " " + type;
      if (!column.nullable) sql += " NOT NULL";
      if (native && identity.contains(column.name)) {
        sql += identity[column.name] == "always" ? " GENERATED ALWAYS AS IDENTITY" : " GENERATED BY DEFAULT AS IDENTITY";
      } else if (native && !column.default_expr.empty() &&
                 (target.same_location || column.default_expr.find("nextval(") == std::string::npos)) {
        sql += " DEFAULT " + column.default_expr;
      }
      if (encoded) comments.push_back(pg_quote_ident(column.name));
    }
    if (native)
      for (const auto& generated : option_array(stream.options, "generated_columns"))
        if (generated.is_object())
          sql += ", " + pg_quote_ident(member_text(generated, "name")) + " " + member_text(generated, "type") +
                 " GENERATED ALWAYS AS (" + member_text(generated, "expression") + ") STORED";
    // ON CONFLICT needs the key's unique index before the data arrives.
    if (options_.conflict != ConflictPolicy::kError && !stream.key.empty()) {
      sql += ", PRIMARY KEY (";
      for (size_t i = 0; i < stream.key.size(); ++i) sql += (i ? ", " : "") + pg_quote_ident(stream.key[i]);
      sql += ")";
    }
    sql += ")";
    if (native && stream.options.value("unlogged", false)) sql.insert(6, " UNLOGGED");
    DECANT_TRY(exec(lane, sql));
    for (const std::string& column : comments)
      DECANT_TRY(exec(lane, "COMMENT ON COLUMN " + target.qualified + "." + column + " IS " + pg_quote_literal(kEncodedMarker)));
    if (native && target.same_location)
      for (const auto& sequence : option_array(stream.options, "sequences"))
        if (sequence.is_object() && !sequence.value("identity", false))
          DECANT_TRY(exec(lane, "ALTER SEQUENCE " + pg_qualified(member_text(sequence, "schema"), member_text(sequence, "name")) +
                          " OWNED BY " + target.qualified + "." + pg_quote_ident(member_text(sequence, "column"))));
    return Status::ok();
  }

  // The enums and domains the stream's columns use, when the target lacks them.
  Status create_types(Lane& lane, const StreamInfo& stream) {
    for (const auto& type : option_array(stream.options, "types")) {
      if (!type.is_object()) continue;
      std::string schema = member_text(type, "schema"), name = member_text(type, "name");
      std::string qualified = pg_qualified(schema, name);
      Result<PgResult> found = pg_query(lane.conn.get(), "SELECT to_regtype($1) IS NOT NULL", Side::kTarget, {qualified});
      if (!found) return found.take_status();
      if (pg_cell(found->get(), 0, 0) == "t") continue;
      DECANT_TRY(exec(lane, "CREATE SCHEMA IF NOT EXISTS " + pg_quote_ident(schema)));
      std::string sql;
      if (member_text(type, "kind") == "enum") {
        sql = "CREATE TYPE " + qualified + " AS ENUM (";
        bool first = true;
        for (const auto& label : type.value("labels", nlohmann::json::array()))
          if (label.is_string()) {
            sql += (first ? "" : ", ") + pg_quote_literal(label.get<std::string>());
            first = false;
          }
        sql += ")";
      } else if (member_text(type, "kind") == "domain") {
        sql = "CREATE DOMAIN " + qualified + " AS " + member_text(type, "base");
        if (type.contains("default") && type["default"].is_string()) sql += " DEFAULT " + type["default"].get<std::string>();
        if (type.value("not_null", false)) sql += " NOT NULL";
        for (const auto& check : type.value("checks", nlohmann::json::array()))
          if (check.is_string()) sql += " " + check.get<std::string>();
      } else {
        continue;
      }
      Status created = exec(lane, sql);
      if (!created) return std::move(created).context("type " + qualified);
    }
    return Status::ok();
  }

  static Status start_copy(Lane& lane, const std::shared_ptr<Target>& target) {
    PgResult started(PQexec(lane.conn.get(), target->copy_sql.c_str()));
    if (!started || PQresultStatus(started.get()) != PGRES_COPY_IN)
      return pg_failure(lane.conn.get(), started.get(), Side::kTarget).context(target->frame);
    lane.copying = target;
    return Status::ok();
  }

  static Status send(Lane& lane, const std::string& rows) {
    if (PQputCopyData(lane.conn.get(), rows.data(), static_cast<int>(rows.size())) != 1)
      return pg_failure(lane.conn.get(), nullptr, Side::kTarget).context(lane.copying->frame);
    return Status::ok();
  }

  // Ends the lane's COPY in progress, if any, and moves staged rows into their table.
  Status end_copy(Lane& lane) {
    if (!lane.copying) return Status::ok();
    std::shared_ptr<Target> copied = std::move(lane.copying);
    Target& target = *copied;
    Status ended = pg_end_copy(lane.conn.get(), Side::kTarget);
    if (!ended) return std::move(ended).context(target.frame);
    if (!target.stage.empty()) {
      Status flushed = flush_stage(lane, target);
      if (!flushed) return std::move(flushed).context(target.frame);
    }
    return Status::ok();
  }

  // One INSERT ... ON CONFLICT from the temporary table, which is then emptied.
  Status flush_stage(Lane& lane, Target& target) {
    std::string list, keys, selected, updates;
    for (const PgTargetColumn& column : target.columns) {
      std::string name = pg_quote_ident(column.name);
      list += (list.empty() ? "" : ", ") + name;
      if (std::find(target.key.begin(), target.key.end(), column.name) == target.key.end())
        updates += (updates.empty() ? "" : ", ") + name + " = EXCLUDED." + name;
    }
    for (const std::string& key : target.key) keys += (keys.empty() ? "" : ", ") + pg_quote_ident(key);
    std::string sql = "INSERT INTO " + target.qualified + " AS t (" + list + ") OVERRIDING SYSTEM VALUE SELECT ";
    if (options_.conflict == ConflictPolicy::kSkip) {
      sql += list + " FROM " + target.stage + " ORDER BY " + pg_quote_ident("decant ordinal") + " ON CONFLICT DO NOTHING";
    } else {
      sql += "DISTINCT ON (" + keys + ") " + list + " FROM " + target.stage + " ORDER BY " + keys + ", " +
             pg_quote_ident("decant ordinal") + " DESC ON CONFLICT (" + keys + ") DO ";
      if (updates.empty()) {
        sql += "NOTHING";
      } else if (options_.conflict == ConflictPolicy::kReplace) {
        // Replace: columns the stream does not have go back to their defaults, as in a fresh row.
        Result<std::string> all = replace_assignments(lane, target, updates);
        if (!all) return all.take_status();
        sql += "UPDATE SET " + *all;
      } else {
        sql += "UPDATE SET " + updates;
      }
    }
    DECANT_TRY(exec(lane, sql));
    return exec(lane, "TRUNCATE " + target.stage);
  }

  // The SET list of a replace: the stream's columns from the new row, every other updatable
  // column of the table reset to its default.
  Result<std::string> replace_assignments(Lane& lane, const Target& target, std::string updates) {
    Result<PgResult> others = pg_query(lane.conn.get(),
        "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0"
        " AND NOT a.attisdropped AND a.attgenerated = '' AND a.attidentity = '' ORDER BY a.attnum",
        Side::kTarget, {target.qualified});
    if (!others) return others.take_status();
    for (int row = 0; row < PQntuples(others->get()); ++row) {
      std::string name(pg_cell(others->get(), row, 0));
      if (target.column_of.count(name)) continue;
      updates += ", " + pg_quote_ident(name) + " = DEFAULT";
    }
    return updates;
  }

  // After the data of a table this import created: its constraints and indexes, then its
  // sequences set to where the source's were.
  Status finish_table(Lane& lane, Target& target) {
    if (!target.stage.empty()) DECANT_TRY(exec(lane, "DROP TABLE IF EXISTS " + target.stage));
    const StreamInfo& stream = target.info;
    bool native = option_text(stream.options, "source_backend") == "postgres";
    if (target.created) {
      std::vector<std::string> constraint_names;
      bool have_key = options_.conflict != ConflictPolicy::kError && !stream.key.empty();
      if (native) {
        for (const auto& constraint : option_array(stream.options, "constraints")) {
          if (!constraint.is_object()) continue;
          std::string type = member_text(constraint, "type"), name = member_text(constraint, "name");
          constraint_names.push_back(name);
          if (type == "primary key" && have_key) continue;
          std::string sql = "ALTER TABLE " + target.qualified + " ADD CONSTRAINT " + pg_quote_ident(name) + " " +
                            member_text(constraint, "definition");
          if (type == "foreign key") {
            // In the table's final name: a staged table has it by the time foreign keys are added.
            if (target.same_location)
              lane.foreign_keys.push_back("ALTER TABLE " + final_name(target) + " ADD CONSTRAINT " + pg_quote_ident(name) +
                                      " " + member_text(constraint, "definition"));
            else options_.note(target.frame + ": foreign key \"" + name + "\" not created, the table has another name than in the source");
            continue;
          }
          Status added = exec(lane, sql);
          if (!added) return std::move(added).context("constraint \"" + name + "\"");
        }
      } else if (!stream.key.empty() && !have_key) {
        std::string sql = "ALTER TABLE " + target.qualified + " ADD PRIMARY KEY (";
        for (size_t i = 0; i < stream.key.size(); ++i) sql += (i ? ", " : "") + pg_quote_ident(stream.key[i]);
        DECANT_TRY(exec(lane, sql + ")"));
      }
      for (size_t i = 0; i < stream.indexes.size(); ++i) {
        const Index& index = stream.indexes[i];
        if (std::find(constraint_names.begin(), constraint_names.end(), index.name) != constraint_names.end()) continue;
        std::string sql;
        if (native && target.verbatim_indexes && !index.definition.empty()) {
          sql = index.definition;
          if (!target.index_table.empty()) {
            std::string from = " ON " + target.index_table + " ";
            size_t at = sql.find(from);
            if (at == std::string::npos) return Status::target("index \"" + index.name + "\": unexpected definition " + sql);
            sql.replace(at, from.size(), " ON " + target.qualified + " ");
          }
        } else {
          // Without columns (expression or partial indexes) only the source's definition
          // describes the index, and it names another table.
          if (index.columns.empty()) continue;
          // PostgreSQL index names are per schema: a generated one avoids clashes with
          // another table's index of the same name (SQLite names are per database too, but
          // decant may put several sources' tables into one schema).
          sql = std::string("CREATE ") + (index.unique ? "UNIQUE " : "") + "INDEX ON " + target.qualified + " (";
          for (size_t c = 0; c < index.columns.size(); ++c) sql += (c ? ", " : "") + pg_quote_ident(index.columns[c]);
          sql += ")";
        }
        Status created = exec(lane, sql);
        if (!created) return std::move(created).context("index \"" + index.name + "\"");
      }
    }
    if (checkpoint_) created_.erase(target.qualified);
    return native ? set_sequences(lane, target.qualified, option_array(stream.options, "sequences")) : Status::ok();
  }

  // Each sequence a column of `qualified` owns, set to where the source's was.
  Status set_sequences(Lane& lane, const std::string& qualified, const nlohmann::json& sequences) {
    for (const auto& sequence : sequences) {
      if (!sequence.is_object()) continue;
      Result<PgResult> set = pg_query(lane.conn.get(),
          "SELECT setval(pg_get_serial_sequence($1, $2), $3::bigint, $4::boolean)", Side::kTarget,
          {qualified, member_text(sequence, "column"), member_text(sequence, "last_value"),
           sequence.value("is_called", false) ? "true" : "false"});
      if (!set) return set.take_status().context("sequence of column \"" + member_text(sequence, "column") + "\"");
    }
    return Status::ok();
  }

  // Foreign keys point at tables that may come later in the archive: they are added last.
  Status create_foreign_keys(Lane& lane) {
    for (const std::string& sql : lane.foreign_keys) DECANT_TRY(exec(lane, sql));
    lane.foreign_keys.clear();
    return Status::ok();
  }

  // The table where an import in stream or batch mode keeps its checkpoint until it completes.
  static constexpr const char* kCheckpointTable = "public._decant_checkpoint";

  std::string uri_;
  SinkOptions options_;
  bool committed_ = false;
  std::atomic<int> stage_count_{0};
  // Without --jobs the only connection; with it the one for what the lanes share (schemas,
  // types, foreign keys), beside the lanes.
  std::unique_ptr<Lane> main_;
  std::atomic<bool> alarm_{false};             // some lane has failed (declared first: lanes use it)
  std::vector<std::unique_ptr<Lane>> lanes_;  // --jobs N
  std::unordered_map<std::string, Lane*> lane_of_;  // by qualified table name
  std::unordered_map<std::string, std::shared_ptr<Target>> targets_;
  const Checkpoint* checkpoint_ = nullptr;
  std::unordered_set<std::string> created_;  // tables created whose constraints are not built yet
  bool staged_ = false;                      // --staged
  std::vector<StagedTable> staged_tables_;   // loaded, not yet promoted
  std::vector<std::string> staging_names_;   // every staging table this import made
  Record normalised_;                        // --staged: scratch for digests
};

}  // namespace

void register_postgres_sink(SinkRegistry& registry) {
  SinkBackend backend{
      .scheme = "postgres",
      .summary = "PostgreSQL (postgres://user@host:port/db or postgresql://; PG* variables and ~/.pgpass apply)",
      .capabilities = "DDL and data are transactional: rollback leaves the database as it was; text COPY, "
                      "indexes and constraints after the data, sequences set; conflicts via a temporary table "
                      "and INSERT ... ON CONFLICT; --jobs N loads tables on N connections (--txn stream or batch)",
      .txn_modes = {TxnMode::kSingle, TxnMode::kStream, TxnMode::kBatch},
      .conflict_policies = {ConflictPolicy::kError, ConflictPolicy::kSkip, ConflictPolicy::kReplace,
                            ConflictPolicy::kMerge},
      .dry_run = true,
      .resumable = true,
      .options = {{"staged", BackendOption::Type::kFlag,
                   "Load into staging tables, check their counts and digests, then swap them in by renaming, all in one "
                   "transaction; the tables they replace are kept as _decant_replaced_NAME"},
                  {"jobs", BackendOption::Type::kInt,
                   "Load N tables at once, each on its own connection (--txn stream or batch)"}},
      .open = PostgresSink::open,
  };
  backend.capabilities += "; --layout lightrag: LightRAG's LIGHTRAG_* tables, one transaction (SPEC 11.5.4)";
  backend.options.push_back(lightrag::layout_option());
  for (BackendOption& option : lightrag::import_options()) backend.options.push_back(std::move(option));
  backend.options.push_back(lightrag::embedding_model_option());
  registry.add(std::move(backend));
}

}  // namespace decant
