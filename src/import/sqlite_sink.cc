// SQLite import. DDL and data share SQLite's transactions, so a rollback restores the file as it
// was, tables created or dropped included; a file the import itself created is removed again.

#include <charconv>
#include <filesystem>
#include <type_traits>
#include <unordered_map>

#include "backends/sqlite_client.h"
#include "format/uri.h"
#include "format/value_codec.h"
#include "import/sink.h"

namespace decant {
namespace {

std::string table_frame(const std::string& table) { return "table \"" + table + "\""; }

// What the archive's own DDL (create_sql, index definitions) may do: an archive is untrusted,
// and sqlite3_exec runs every statement of a text, so "CREATE TABLE t(x); DROP TABLE other" or
// an ATTACH would otherwise run in the target. SQLite's authorizer sees each action while the
// statements are prepared; everything but creating this one table or an index on it is denied.
struct DdlGuard {
  std::string table;
  std::string denied;  // the first action refused, for the message

  static int authorize(void* self, int action, const char* a, const char* b, const char* database, const char*) {
    auto* guard = static_cast<DdlGuard*>(self);
    auto is = [](const char* text, const std::string& name) { return text && sqlite3_stricmp(text, name.c_str()) == 0; };
    bool main = database && std::string_view(database) == "main";
    bool allowed = false;
    switch (action) {
      case SQLITE_CREATE_TABLE: allowed = main && is(a, guard->table); break;
      case SQLITE_CREATE_INDEX: allowed = main && is(b, guard->table); break;
      // Bookkeeping SQLite does for CREATE itself, and reading the table an index is built on.
      case SQLITE_INSERT:
      case SQLITE_UPDATE: allowed = main && is(a, "sqlite_master"); break;
      case SQLITE_READ: allowed = main && (is(a, "sqlite_master") || is(a, guard->table)); break;
      case SQLITE_REINDEX: allowed = main; break;
      case SQLITE_FUNCTION: allowed = true; break;  // index expressions; only deterministic ones pass
      default: break;
    }
    if (!allowed && guard->denied.empty())
      guard->denied = "action " + std::to_string(action) + (a ? std::string(" on \"") + a + "\"" : std::string());
    return allowed ? SQLITE_OK : SQLITE_DENY;
  }
};

// Runs DDL that came from the archive, refusing anything beyond creating `table` or its indexes.
Status exec_archive_ddl(sqlite3* db, const std::string& sql, const std::string& table, const std::string& what) {
  DdlGuard guard{table, ""};
  sqlite3_set_authorizer(db, &DdlGuard::authorize, &guard);
  Status status = sqlite_exec(db, sql, Side::kTarget);
  sqlite3_set_authorizer(db, nullptr, nullptr);
  if (status || guard.denied.empty()) return status;
  return Status::target("refusing the archive's " + what + " for " + table_frame(table) +
                        ": it does more than create that table and its indexes (" + guard.denied + ")");
}

// The declared type for a logical type from a non-SQLite source. The affinity it gives must not
// rewrite values: decimals stay TEXT because NUMERIC affinity would turn "1.50" into 1.5.
const char* declared_type(const std::string& logical) {
  if (logical == "bool" || logical == "int32" || logical == "int64") return "INTEGER";
  if (logical == "float32" || logical == "float64") return "REAL";
  if (logical == "bytes") return "BLOB";
  if (logical == "decimal" || logical == "text" || logical == "date" || logical == "time" ||
      logical == "timetz" || logical == "timestamp" || logical == "timestamptz" ||
      logical == "uuid" || logical == "json" || logical == "interval")
    return "TEXT";
  return "";  // "any" and composites: no declared type, so values keep their storage class
}

// A short rendering of a value for error messages (keys of a conflicting record).
std::string describe_value(const Value& value) {
  constexpr size_t kMaxShown = 64;
  switch (value.kind) {
    case Kind::kNull: return "NULL";
    case Kind::kBool: return value.boolean ? "true" : "false";
    case Kind::kInt64:
    case Kind::kInt32: return std::to_string(value.integer);
    case Kind::kFloat64: {
      char buffer[32];
      auto end = std::to_chars(buffer, buffer + sizeof buffer, value.real).ptr;
      return std::string(buffer, end);
    }
    case Kind::kBytes: {
      static const char kHex[] = "0123456789abcdef";
      std::string hex = "x'";
      for (size_t i = 0; i < value.text.size() && i < kMaxShown / 2; ++i) {
        hex += kHex[static_cast<unsigned char>(value.text[i]) >> 4];
        hex += kHex[static_cast<unsigned char>(value.text[i]) & 15];
      }
      return hex + (value.text.size() > kMaxShown / 2 ? "...'" : "'");
    }
    default:
      if (is_printed_text(value.kind))
        return "'" + value.text.substr(0, kMaxShown) + (value.text.size() > kMaxShown ? "...'" : "'");
      return std::string("<") + kind_name(value.kind) + ">";
  }
}

// A member of stream.options, or `fallback` when it is missing or of another JSON type: options
// may have been edited along with the archive, and must not throw.
template <typename T>
T option(const StreamInfo& stream, const char* key, T fallback) {
  if (!stream.options.is_object()) return fallback;
  auto found = stream.options.find(key);
  if (found == stream.options.end()) return fallback;
  if constexpr (std::is_same_v<T, bool>) {
    return found->is_boolean() ? found->template get<bool>() : fallback;
  } else {
    return found->is_string() ? found->template get<std::string>() : fallback;
  }
}

// One stream being loaded: its INSERT statement and where each field goes.
struct Target {
  StreamInfo info;
  std::string frame;                                   // error context, e.g. table "Album"
  SqliteStatement insert;
  std::unordered_map<std::string, int> parameter_of;  // field name -> 1-based parameter
  int64_t records = 0;            // written so far, for "record N" in errors
  int64_t records_at_batch = 0;   // at begin_batch, restored by abort_batch
  // Per parameter: the JSON text bound for a value SQLite cannot hold natively (it must live
  // until the row is stepped), and whether the user has been told about that column.
  std::vector<std::string> json_text;
  std::vector<bool> noted_json;
  // For the plan a dry run prints: whether the table was there, and its rows before the load.
  bool existed = false;
  int64_t rows_before = 0;
  std::string first_conflict;  // a dry run's first key conflict, in full
};

// SQLite's type affinity of a declared column type (https://sqlite.org/datatype3.html, 3.1).
char affinity(std::string declared) {
  for (char& c : declared) c = char(std::toupper(static_cast<unsigned char>(c)));
  auto has = [&](const char* part) { return declared.find(part) != std::string::npos; };
  if (has("INT")) return 'I';
  if (has("CHAR") || has("CLOB") || has("TEXT")) return 'T';
  if (declared.empty() || has("BLOB")) return 'B';
  if (has("REAL") || has("FLOA") || has("DOUB")) return 'R';
  return 'N';
}

class SqliteSink final : public Sink {
 public:
  static Result<std::unique_ptr<Sink>> open(const std::string& uri, const SinkOptions& options) {
    if (options.conflict == ConflictPolicy::kMerge)
      return Status::usage("sqlite: conflict policy \"merge\" is not supported (use error, skip or replace)");
    std::string path = uri_path(uri);
    // SQLite would take "" as a private temporary database: the import would vanish.
    if (path.empty()) return Status::usage("sqlite: no database path in \"" + uri + "\"");
    // Only a plain file path names what rollback may remove; ":memory:" and "file:" URIs do not.
    std::error_code ignored;
    bool creates_file = path != ":memory:" && path.rfind("file:", 0) != 0 && !std::filesystem::exists(path, ignored);
    // A dry run checks everything inside a transaction that it then rolls back; against a file
    // that does not exist yet it uses an empty in-memory database, so no file is even created.
    std::string open_path = options.dry_run && creates_file ? ":memory:" : path;
    if (options.dry_run) creates_file = false;

    Result<SqliteDb> db = sqlite_open(open_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, Side::kTarget);
    if (!db) return db.take_status();
    std::unique_ptr<SqliteSink> sink(new SqliteSink(std::move(db.value()), path, options, creates_file));
    sqlite3_busy_timeout(sink->db_.get(), 5000);
    // A large page cache keeps a big transaction from spilling dirty pages into the file before
    // COMMIT. The journal mode stays as it is, so ROLLBACK really restores the file. Foreign keys
    // are off because streams arrive in archive order, not in dependency order. Reading the
    // schema rejects a file that is not a database now rather than mid-import.
    Status setup = sqlite_exec(sink->db_.get(),
                               "PRAGMA cache_size = -262144; PRAGMA foreign_keys = OFF;"
                               " SELECT count(*) FROM sqlite_schema;",
                               Side::kTarget);
    if (!setup) return std::move(setup).context("SQLite database \"" + path + "\"");
    Result<int64_t> pages = sink->pragma_number("page_count");
    if (!pages) return pages.take_status().context("SQLite database \"" + path + "\"");
    sink->initial_pages_ = *pages;
    return std::unique_ptr<Sink>(std::move(sink));
  }

  ~SqliteSink() override {
    if (!committed_) rollback();
  }

  Status begin() override {
    // Stream and batch modes commit as they go, which a dry run must not.
    if (options_.dry_run && options_.txn != TxnMode::kSingle)
      return Status::usage("sqlite: --dry-run needs --txn single");
    if (options_.txn == TxnMode::kStream) return Status::ok();  // each stream opens its own
    return ensure_transaction();
  }

  Status begin_stream(const StreamInfo& stream) override {
    std::string frame = table_frame(stream.name);
    if (targets_.count(stream.name)) return Status::internal(frame + ": stream began twice");
    if (stream.columns.empty())
      return Status::target(frame + ": the stream has no columns; a SQLite table needs at least one");
    DECANT_TRY(ensure_transaction());

    Target target;
    if (options_.dry_run) DECANT_TRY(plan_table(stream, target).context(frame));
    Status prepared = prepare_table(stream);
    if (!prepared) return std::move(prepared).context(frame);
    if (options_.dry_run && target.existed) {
      Result<int64_t> rows = count_rows(stream.name);
      if (!rows) return rows.take_status().context(frame);
      target.rows_before = *rows;
    }

    target.info = stream;
    target.frame = frame;
    std::string sql = insert_sql(stream);
    Result<SqliteStatement> insert = sqlite_prepare(db_.get(), sql, Side::kTarget, /*persistent=*/true);
    if (!insert) return insert.take_status().context(frame);
    target.insert = std::move(insert.value());
    for (size_t i = 0; i < stream.columns.size(); ++i)
      target.parameter_of.emplace(stream.columns[i].name, static_cast<int>(i) + 1);
    target.json_text.resize(stream.columns.size());
    target.noted_json.resize(stream.columns.size());
    targets_.emplace(stream.name, std::move(target));
    return Status::ok();
  }

  Status write(const std::string& stream, const Record& record) override {
    Target* target = find_target(stream);
    if (!target) return Status::internal(table_frame(stream) + ": record for a stream that has not begun");
    sqlite3_stmt* insert = target->insert.get();
    ++target->records;

    // Bound text and blobs point into `record` (SQLITE_STATIC); they are cleared before returning.
    struct ClearBindings {
      sqlite3_stmt* statement;
      ~ClearBindings() {
        sqlite3_reset(statement);
        sqlite3_clear_bindings(statement);  // fields a record lacks are then NULL next time
      }
    } clear{insert};

    const std::vector<Column>& columns = target->info.columns;
    for (size_t i = 0; i < record.size(); ++i) {
      const Field& field = record[i];
      int parameter;
      if (i < columns.size() && columns[i].name == field.name) {
        parameter = static_cast<int>(i) + 1;  // the usual case: fields in column order
      } else {
        auto found = target->parameter_of.find(field.name);
        if (found == target->parameter_of.end())
          return Status::target(target->frame + ": record " + std::to_string(target->records) +
                                " has field \"" + field.name + "\", which is not a column of the stream");
        parameter = found->second;
      }
      Status bound = bind(*target, parameter, field);
      if (!bound) return std::move(bound).context(target->frame);
    }

    int rc = sqlite3_step(insert);
    // A dry run counts every key conflict (end_stream reports them) rather than stop at the
    // first; inside an isolated batch (--max-errors) a conflict is a reject as in a real run.
    if (options_.dry_run && !in_savepoint_ && (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)) {
      if (target->first_conflict.empty())
        target->first_conflict = "record " + std::to_string(target->records) + describe_key(target->info, record) +
                                 ": " + sqlite3_errmsg(db_.get());
      return Status::ok();
    }
    if (rc != SQLITE_DONE) {
      std::string message = target->frame + ": record " + std::to_string(target->records);
      if ((rc & 0xff) == SQLITE_CONSTRAINT) message += describe_key(target->info, record);
      return sqlite_failure(db_.get(), Side::kTarget, message);
    }

    if (options_.txn == TxnMode::kBatch) {
      ++batch_rows_;
      for (const Field& field : record) batch_bytes_ += static_cast<int64_t>(field.value.text.size()) + 8;
      // Inside an isolated batch the commit waits for end_batch: it would release the savepoint.
      if (!in_savepoint_) return commit_full_batch();
    }
    return Status::ok();
  }

  Status begin_batch() override {
    DECANT_TRY(ensure_transaction());
    DECANT_TRY(sqlite_exec(db_.get(), "SAVEPOINT decant_batch", Side::kTarget));
    in_savepoint_ = true;
    for (auto& [name, target] : targets_) target.records_at_batch = target.records;
    return Status::ok();
  }

  Status end_batch() override {
    in_savepoint_ = false;
    DECANT_TRY(sqlite_exec(db_.get(), "RELEASE decant_batch", Side::kTarget));
    return options_.txn == TxnMode::kBatch ? commit_full_batch() : Status::ok();
  }

  Status abort_batch() override {
    in_savepoint_ = false;
    for (auto& [name, target] : targets_) target.records = target.records_at_batch;
    return sqlite_exec(db_.get(), "ROLLBACK TO decant_batch; RELEASE decant_batch", Side::kTarget);
  }

  Status end_stream(const std::string& stream) override {
    auto found = targets_.find(stream);
    if (found == targets_.end()) return Status::internal(table_frame(stream) + ": stream ended but never began");
    // Indexes after the data: one sorted build is much faster than updating them row by row.
    Status indexed = create_indexes(found->second.info);
    if (!indexed) return std::move(indexed).context(found->second.frame);
    if (options_.dry_run) DECANT_TRY(note_plan(found->second));
    targets_.erase(found);
    last_target_ = nullptr;
    // SQLite has one transaction per connection, so streams that interleave share it: stream
    // mode commits once no stream is open.
    if (options_.txn == TxnMode::kStream && targets_.empty()) return commit_transaction();
    return Status::ok();
  }

  Status commit() override {
    if (!targets_.empty())
      return Status::internal(table_frame(targets_.begin()->first) + ": commit before the stream ended");
    if (!db_) return Status::internal("the SQLite sink was rolled back");
    if (options_.dry_run) {
      Status space = check_space();
      rollback();
      committed_ = true;
      return space;
    }
    // The import is complete: its checkpoint goes in the same transaction as the last records.
    DECANT_TRY(ensure_transaction());
    DECANT_TRY(sqlite_exec(db_.get(), std::string("DROP TABLE IF EXISTS ") + kCheckpointTable, Side::kTarget));
    DECANT_TRY(commit_transaction(/*final=*/true));
    committed_ = true;
    return Status::ok();
  }

  void track(const Checkpoint* checkpoint) override { checkpoint_ = checkpoint; }

  Result<std::optional<Checkpoint>> stored_checkpoint() override {
    Result<std::vector<std::string>> columns = existing_columns(kCheckpointTable);
    if (!columns) return columns.take_status();
    if (columns->empty()) return std::optional<Checkpoint>();
    Result<SqliteStatement> read = sqlite_prepare(
        db_.get(), std::string("SELECT archive_id, line, records FROM ") + kCheckpointTable, Side::kTarget);
    if (!read) return read.take_status();
    if (sqlite3_step(read->get()) != SQLITE_ROW) return std::optional<Checkpoint>();
    return std::optional<Checkpoint>(Checkpoint{std::string(sqlite_column_text(read->get(), 0)), sqlite3_column_int64(read->get(), 1),
                                                sqlite3_column_int64(read->get(), 2)});
  }

  bool needs_columns() const override { return true; }

  void rollback() override {
    in_savepoint_ = false;
    targets_.clear();  // finalizes the statements before the connection may close
    last_target_ = nullptr;
    if (in_transaction_ && db_) {
      sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
      in_transaction_ = false;
    }
    // The file did not exist before and nothing reached it: leave no empty database behind.
    if (creates_file_ && !committed_any_ && db_) {
      db_.reset();
      std::error_code ignored;
      std::filesystem::remove(path_, ignored);
      std::filesystem::remove(path_ + "-journal", ignored);
    }
  }

 private:
  SqliteSink(SqliteDb db, std::string path, const SinkOptions& options, bool creates_file)
      : db_(std::move(db)), path_(std::move(path)), options_(options), creates_file_(creates_file) {}

  // Declared types, defaults and STRICT are SQLite's own only when the stream came from SQLite;
  // another backend's types and default expressions need not even parse here.
  static bool from_sqlite(const StreamInfo& stream) {
    return option(stream, "source_backend", std::string()) == "sqlite";
  }
  // create_sql and index definitions name the source table, so they fit only when the stream
  // still has that name.
  static bool same_sqlite_table(const StreamInfo& stream) {
    return from_sqlite(stream) && option(stream, "source_table", std::string()) == stream.name;
  }

  Status ensure_transaction() {
    if (!db_) return Status::internal("the SQLite sink was rolled back");
    if (in_transaction_) return Status::ok();
    // IMMEDIATE takes the write lock now, so a competing writer fails the import at its start.
    DECANT_TRY(sqlite_exec(db_.get(), "BEGIN IMMEDIATE", Side::kTarget));
    in_transaction_ = true;
    batch_rows_ = 0;
    batch_bytes_ = 0;
    return Status::ok();
  }

  // TxnMode::kBatch: commits once the transaction holds a batch's worth of rows or bytes.
  Status commit_full_batch() {
    if (batch_rows_ < options_.batch_rows && batch_bytes_ < options_.batch_bytes) return Status::ok();
    DECANT_TRY(commit_transaction());
    return ensure_transaction();
  }

  // Every commit but the last carries the driver's checkpoint, so that --resume continues
  // exactly after what this commit made durable.
  Status commit_transaction(bool final = false) {
    if (!in_transaction_) return Status::ok();
    if (checkpoint_ && !final) DECANT_TRY(store_checkpoint());
    DECANT_TRY(sqlite_exec(db_.get(), "COMMIT", Side::kTarget));
    in_transaction_ = false;
    committed_any_ = true;
    return Status::ok();
  }

  Status store_checkpoint() {
    DECANT_TRY(sqlite_exec(db_.get(),
                           std::string("CREATE TABLE IF NOT EXISTS ") + kCheckpointTable +
                               " (archive_id TEXT NOT NULL, line INTEGER NOT NULL, records INTEGER NOT NULL);"
                               " DELETE FROM " + kCheckpointTable,
                           Side::kTarget));
    Result<SqliteStatement> insert = sqlite_prepare(
        db_.get(), std::string("INSERT INTO ") + kCheckpointTable + " VALUES (?1, ?2, ?3)", Side::kTarget);
    if (!insert) return insert.take_status();
    const std::string& id = checkpoint_->archive_id;
    sqlite3_bind_text(insert->get(), 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
    sqlite3_bind_int64(insert->get(), 2, checkpoint_->line);
    sqlite3_bind_int64(insert->get(), 3, checkpoint_->records);
    if (sqlite3_step(insert->get()) != SQLITE_DONE)
      return sqlite_failure(db_.get(), Side::kTarget, "writing the checkpoint");
    return Status::ok();
  }

  Target* find_target(const std::string& stream) {
    // Records of one stream usually come in runs; skip the hash lookup for those.
    if (last_target_ && last_target_->info.name == stream) return last_target_;
    auto found = targets_.find(stream);
    last_target_ = found == targets_.end() ? nullptr : &found->second;
    return last_target_;
  }

  // Drops, creates, checks or empties the table, as the options ask.
  Status prepare_table(const StreamInfo& stream) {
    std::string table = sqlite_quote(stream.name);
    if (options_.drop) DECANT_TRY(sqlite_exec(db_.get(), "DROP TABLE IF EXISTS " + table, Side::kTarget));

    Result<std::vector<std::string>> existing = existing_columns(stream.name);
    if (!existing) return existing.take_status();
    if (existing->empty()) {
      std::string create_sql = option(stream, "create_sql", std::string());
      if (same_sqlite_table(stream) && !create_sql.empty())
        return exec_archive_ddl(db_.get(), create_sql, stream.name, "create_sql");
      return sqlite_exec(db_.get(), create_table_sql(stream), Side::kTarget);
    }

    for (const Column& column : stream.columns) {
      bool present = false;
      for (const std::string& name : existing.value())
        present = present || sqlite3_stricmp(name.c_str(), column.name.c_str()) == 0;
      if (!present) return Status::target("the existing table has no column \"" + column.name + "\"");
    }
    if (options_.truncate) DECANT_TRY(sqlite_exec(db_.get(), "DELETE FROM " + table, Side::kTarget));
    return Status::ok();
  }

  // What a dry run says about a table before loading it: whether it exists, what --drop or
  // --truncate would do, and columns whose declared type would convert the archive's values.
  Status plan_table(const StreamInfo& stream, Target& target) {
    Result<SqliteStatement> info =
        sqlite_prepare(db_.get(), "SELECT name, type FROM pragma_table_xinfo(?1, 'main')", Side::kTarget);
    if (!info) return info.take_status();
    sqlite3_bind_text(info->get(), 1, stream.name.data(), static_cast<int>(stream.name.size()), SQLITE_STATIC);
    std::unordered_map<std::string, std::string> declared;
    int rc;
    while ((rc = sqlite3_step(info->get())) == SQLITE_ROW)
      declared.emplace(sqlite_column_text(info->get(), 0), sqlite_column_text(info->get(), 1));
    if (rc != SQLITE_DONE) return sqlite_failure(db_.get(), Side::kTarget, "");
    target.existed = !declared.empty() && !options_.drop;
    std::string frame = "sqlite: dry run: " + table_frame(stream.name);
    if (declared.empty()) return Status::ok();
    if (options_.drop) {
      options_.note(frame + ": exists; would be dropped and created again (--drop)");
      return Status::ok();
    }
    Result<int64_t> rows = count_rows(stream.name);
    if (!rows) return rows.take_status();
    options_.note(frame + ": exists with " + std::to_string(*rows) + " rows" +
                  (options_.truncate && *rows > 0 ? ", which would be deleted (--truncate)" : ""));
    for (const Column& column : stream.columns) {
      auto found = declared.find(column.name);
      if (found == declared.end()) continue;  // prepare_table refuses a missing column
      char a = affinity(found->second);
      bool number = column.type == "int64" || column.type == "float64";
      // Numbers into a TEXT column become text; text into a numeric one becomes a number
      // whenever it looks like one: either way the values would not come back as they were.
      if ((number && a == 'T') || (column.type == "text" && (a == 'I' || a == 'R' || a == 'N')))
        options_.note(frame + " column \"" + column.name + "\": the archive's " + column.type +
                      " values would go into a column declared " + found->second +
                      ", which converts them (type mismatch)");
    }
    return Status::ok();
  }

  // After a stream's rows went in (and will be rolled back): what the load would do.
  Status note_plan(const Target& target) {
    Result<int64_t> rows = count_rows(target.info.name);
    if (!rows) return rows.take_status();
    int64_t added = *rows - target.rows_before;
    std::string what = "sqlite: dry run: " + target.frame + ": would " +
                       (target.existed ? "add " : "create it and insert ") + std::to_string(added) + " rows";
    int64_t existing = target.records - added;
    if (existing > 0 && options_.conflict == ConflictPolicy::kError)
      return Status::target(what.substr(0, what.find(": would")) + ": " + std::to_string(existing) +
                            " records have keys already in the table or twice in the archive: the import would fail "
                            "(--conflict error; use skip or replace); the first, " + target.first_conflict);
    if (existing > 0)
      what += "; " + std::to_string(existing) + " records have keys already in the table (--conflict " +
              conflict_policy_name(options_.conflict) +
              (options_.conflict == ConflictPolicy::kSkip ? ": not written)" : ": they would replace those rows)");
    options_.note(what);
    return Status::ok();
  }

  // A dry run's estimate of the space the import needs (the pages the rolled-back transaction
  // added) against the free space of the database's file system: too little is an error.
  Status check_space() {
    if (path_ == ":memory:" || path_.rfind("file:", 0) == 0) return Status::ok();
    Result<int64_t> pages = pragma_number("page_count");
    if (!pages) return pages.take_status();
    Result<int64_t> page_size = pragma_number("page_size");
    if (!page_size) return page_size.take_status();
    int64_t needed = (*pages - initial_pages_) * *page_size;
    return check_free_space("sqlite", "the database would grow by", std::filesystem::absolute(path_).parent_path(),
                            needed, options_);
  }

  Result<int64_t> pragma_number(const char* name) {
    Result<SqliteStatement> query = sqlite_prepare(db_.get(), std::string("PRAGMA ") + name, Side::kTarget);
    if (!query) return query.take_status();
    if (sqlite3_step(query->get()) != SQLITE_ROW) return sqlite_failure(db_.get(), Side::kTarget, name);
    return int64_t(sqlite3_column_int64(query->get(), 0));
  }

  Result<int64_t> count_rows(const std::string& table) {
    Result<SqliteStatement> query =
        sqlite_prepare(db_.get(), "SELECT count(*) FROM " + sqlite_quote(table), Side::kTarget);
    if (!query) return query.take_status();
    if (sqlite3_step(query->get()) != SQLITE_ROW) return sqlite_failure(db_.get(), Side::kTarget, "counting rows");
    return int64_t(sqlite3_column_int64(query->get(), 0));
  }

  // The columns of an existing table; empty when there is no such table.
  Result<std::vector<std::string>> existing_columns(const std::string& table) {
    Result<SqliteStatement> info =
        sqlite_prepare(db_.get(), "SELECT name FROM pragma_table_xinfo(?1, 'main')", Side::kTarget);
    if (!info) return info.take_status();
    sqlite3_bind_text(info->get(), 1, table.data(), static_cast<int>(table.size()), SQLITE_STATIC);
    std::vector<std::string> columns;
    int rc;
    while ((rc = sqlite3_step(info->get())) == SQLITE_ROW) columns.emplace_back(sqlite_column_text(info->get(), 0));
    if (rc != SQLITE_DONE) return sqlite_failure(db_.get(), Side::kTarget, "");
    return columns;
  }

  // The CREATE TABLE decant writes itself, with every identifier quoted.
  static std::string create_table_sql(const StreamInfo& stream) {
    bool sqlite_types = from_sqlite(stream);

    std::string sql = "CREATE TABLE " + sqlite_quote(stream.name) + " (";
    for (size_t i = 0; i < stream.columns.size(); ++i) {
      const Column& column = stream.columns[i];
      sql += (i ? ", " : "") + sqlite_quote(column.name);
      std::string type = sqlite_types ? column.source_type : declared_type(column.type);
      if (!type.empty()) sql += " " + type;
      if (!column.nullable) sql += " NOT NULL";
      // Parenthesised, since table_xinfo reports an expression default without its parentheses.
      if (sqlite_types && !column.default_expr.empty()) sql += " DEFAULT (" + column.default_expr + ")";
    }
    if (!stream.key.empty()) {
      sql += ", PRIMARY KEY (";
      for (size_t i = 0; i < stream.key.size(); ++i) sql += (i ? ", " : "") + sqlite_quote(stream.key[i]);
      sql += ")";
    }
    sql += ")";

    std::vector<const char*> table_options;
    if (!stream.key.empty() && option(stream, "without_rowid", false)) table_options.push_back("WITHOUT ROWID");
    if (sqlite_types && option(stream, "strict", false)) table_options.push_back("STRICT");
    for (size_t i = 0; i < table_options.size(); ++i) sql += std::string(i ? ", " : " ") + table_options[i];
    return sql;
  }

  std::string insert_sql(const StreamInfo& stream) const {
    std::string columns, parameters;
    for (size_t i = 0; i < stream.columns.size(); ++i) {
      columns += (i ? ", " : "") + sqlite_quote(stream.columns[i].name);
      parameters += (i ? ", ?" : "?") + std::to_string(i + 1);
    }
    std::string verb = options_.conflict == ConflictPolicy::kReplace ? "INSERT OR REPLACE INTO " : "INSERT INTO ";
    std::string sql = verb + sqlite_quote(stream.name) + " (" + columns + ") VALUES (" + parameters + ")";
    // An upsert clause rather than INSERT OR IGNORE: OR IGNORE would also drop rows that break
    // NOT NULL or CHECK constraints, while "skip" is about records whose key is already there.
    if (options_.conflict == ConflictPolicy::kSkip) sql += " ON CONFLICT DO NOTHING";
    return sql;
  }

  Status bind(Target& target, int parameter, const Field& field) {
    sqlite3_stmt* insert = target.insert.get();
    const Value& value = field.value;
    int rc = SQLITE_OK;
    switch (value.kind) {
      case Kind::kNull: rc = sqlite3_bind_null(insert, parameter); break;
      case Kind::kBool: rc = sqlite3_bind_int64(insert, parameter, value.boolean ? 1 : 0); break;
      case Kind::kInt64:
      case Kind::kInt32: rc = sqlite3_bind_int64(insert, parameter, value.integer); break;
      case Kind::kFloat64:
        // SQLite would silently store NaN as NULL.
        if (value.real != value.real) return bind_as_json(target, parameter, field);
        rc = sqlite3_bind_double(insert, parameter, value.real);
        break;
      case Kind::kBytes:
        if (value.subtype != 0) return bind_as_json(target, parameter, field);
        // std::string::data() is never null, so a zero-length value binds as a blob, not NULL.
        rc = sqlite3_bind_blob64(insert, parameter, value.text.data(), value.text.size(), SQLITE_STATIC);
        break;
      // Raw text binds its bytes as TEXT unchanged; the text-carrying kinds are stored as their
      // text, which is how SQLite applications keep dates, decimals and JSON.
      default:
        if (!is_printed_text(value.kind)) return bind_as_json(target, parameter, field);
        rc = sqlite3_bind_text64(insert, parameter, value.text.data(), value.text.size(), SQLITE_STATIC, SQLITE_UTF8);
        break;
    }
    if (rc != SQLITE_OK)
      return Status::target("column \"" + field.name + "\": " + sqlite3_errstr(rc));
    return Status::ok();
  }

  // SPEC 11.0 rule 1: a value SQLite has no storage class for (a document, an array, NaN, an
  // interval, a vector, bytes with a subtype) is stored as TEXT holding its canonical encoding,
  // which decodes to exactly the original value; the user is told once per column.
  Status bind_as_json(Target& target, int parameter, const Field& field) {
    size_t slot = static_cast<size_t>(parameter - 1);
    std::string& text = target.json_text[slot];
    text.clear();
    encode_value(field.value, text);
    if (!target.noted_json[slot]) {
      target.noted_json[slot] = true;
      options_.note(target.frame + " column \"" + field.name + "\": " + kind_name(field.value.kind) +
                    " values are stored as JSON text (their archive encoding), as SQLite has no type for them");
    }
    int rc = sqlite3_bind_text64(target.insert.get(), parameter, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
    if (rc != SQLITE_OK) return Status::target("column \"" + field.name + "\": " + sqlite3_errstr(rc));
    return Status::ok();
  }

  // " (key a=1, b='x')" for a record that broke a constraint, so the user can find it.
  static std::string describe_key(const StreamInfo& stream, const Record& record) {
    if (stream.key.empty()) return "";
    std::string text = " (key ";
    for (size_t i = 0; i < stream.key.size(); ++i) {
      const Value* value = record.find(stream.key[i]);
      text += (i ? ", " : "") + stream.key[i] + "=" + (value ? describe_value(*value) : "NULL");
    }
    return text + ")";
  }

  Status create_indexes(const StreamInfo& stream) {
    bool verbatim = same_sqlite_table(stream);
    for (size_t i = 0; i < stream.indexes.size(); ++i) {
      const Index& index = stream.indexes[i];
      std::string name = index.name.empty() ? stream.name + "_idx" + std::to_string(i + 1) : index.name;
      std::string sql;
      if (verbatim && !index.definition.empty()) {
        sql = index.definition;
      } else {
        // Without columns (expression or partial indexes) only the source's own definition
        // describes the index, and it does not fit here.
        if (index.columns.empty()) continue;
        sql = std::string("CREATE ") + (index.unique ? "UNIQUE " : "") + "INDEX " + sqlite_quote(name) +
              " ON " + sqlite_quote(stream.name) + " (";
        for (size_t c = 0; c < index.columns.size(); ++c) sql += (c ? ", " : "") + sqlite_quote(index.columns[c]);
        sql += ")";
      }
      Result<bool> exists = index_exists(name, stream.name);
      if (!exists) return exists.take_status();
      if (exists.value()) continue;  // loading into a table that already has it
      Status created = verbatim && !index.definition.empty()
                           ? exec_archive_ddl(db_.get(), sql, stream.name, "index definition")
                           : sqlite_exec(db_.get(), sql, Side::kTarget);
      if (!created) return std::move(created).context("index \"" + name + "\"");
    }
    return Status::ok();
  }

  // Whether `table` already has an index called `name`. One of that name on another table is
  // not reported, so creating ours fails with SQLite's "already exists" message.
  Result<bool> index_exists(const std::string& name, const std::string& table) {
    Result<SqliteStatement> query = sqlite_prepare(db_.get(),
        "SELECT 1 FROM sqlite_schema WHERE type = 'index' AND name = ?1 COLLATE NOCASE"
        " AND tbl_name = ?2 COLLATE NOCASE",
        Side::kTarget);
    if (!query) return query.take_status();
    sqlite3_bind_text(query->get(), 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
    sqlite3_bind_text(query->get(), 2, table.data(), static_cast<int>(table.size()), SQLITE_STATIC);
    int rc = sqlite3_step(query->get());
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sqlite_failure(db_.get(), Side::kTarget, "");
    return rc == SQLITE_ROW;
  }

  SqliteDb db_;  // null once a rollback removed the file the import had created
  std::string path_;
  SinkOptions options_;
  bool creates_file_;             // the file did not exist before this sink opened it
  bool in_transaction_ = false;
  bool committed_any_ = false;    // some transaction reached the file (stream and batch modes)
  bool committed_ = false;        // commit() succeeded: the import is complete
  int64_t initial_pages_ = 0;     // the database's size in pages when the sink opened it
  // The table where an import in stream or batch mode keeps its checkpoint until it completes.
  static constexpr const char* kCheckpointTable = "_decant_checkpoint";
  const Checkpoint* checkpoint_ = nullptr;
  bool in_savepoint_ = false;     // between begin_batch and end_batch / abort_batch
  int64_t batch_rows_ = 0;        // since the current transaction began (TxnMode::kBatch)
  int64_t batch_bytes_ = 0;
  std::unordered_map<std::string, Target> targets_;  // streams begun and not yet ended
  Target* last_target_ = nullptr;
};

}  // namespace

void register_sqlite_sink(SinkRegistry& registry) {
  registry.add(SinkBackend{
      .scheme = "sqlite",
      .summary = "SQLite database file (sqlite:path, sqlite://path or a bare path); created if missing",
      .capabilities = "DDL and data are transactional: rollback restores the file (a file the import "
                      "created is removed); conflicts error/skip/replace",
      .txn_modes = {TxnMode::kSingle, TxnMode::kStream, TxnMode::kBatch},
      .conflict_policies = {ConflictPolicy::kError, ConflictPolicy::kSkip, ConflictPolicy::kReplace},
      .dry_run = true,
      .isolates_batches = true,
      .resumable = true,
      .options = {},
      .open = SqliteSink::open,
  });
}

}  // namespace decant
