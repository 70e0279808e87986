// SQLite export: every ordinary table becomes a stream, read inside one read transaction so all
// streams come from the same snapshot. Values keep the storage class SQLite holds for each cell,
// whatever the column's declared type says (SQLite is dynamically typed).
#include <algorithm>
#include <cctype>

#include "export/source.h"
#include "backends/sqlite_client.h"
#include "format/uri.h"

namespace decant {
namespace {

std::string table_frame(const std::string& table) { return "table \"" + table + "\""; }

bool contains(const std::string& haystack, const char* needle) {
  return haystack.find(needle) != std::string::npos;
}

// The logical type for a declared column type, by SQLite's affinity rules, applied in their
// documented order (https://sqlite.org/datatype3.html#determination_of_column_affinity).
std::string logical_type(const std::string& declared, bool strict) {
  std::string upper = declared;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (contains(upper, "INT")) return "int64";
  if (contains(upper, "CHAR") || contains(upper, "CLOB") || contains(upper, "TEXT")) return "text";
  // Only a STRICT table guarantees that a BLOB column holds nothing but blobs.
  if (strict && upper == "BLOB") return "bytes";
  if (upper.empty() || contains(upper, "BLOB")) return "any";
  if (contains(upper, "REAL") || contains(upper, "FLOA") || contains(upper, "DOUB")) return "float64";
  // NUMERIC affinity stores whatever storage class fits each value: no single logical type.
  return "any";
}

// Reads the cell `column` of the current row into `value`, keeping its exact storage class.
Status read_cell(sqlite3* db, sqlite3_stmt* statement, int column, Value& value) {
  switch (sqlite3_column_type(statement, column)) {
    case SQLITE_INTEGER:
      value.kind = Kind::kInt64;
      value.integer = sqlite3_column_int64(statement, column);
      return Status::ok();
    case SQLITE_FLOAT:
      value.kind = Kind::kFloat64;
      value.real = sqlite3_column_double(statement, column);
      return Status::ok();
    case SQLITE_TEXT: {
      std::string_view text = sqlite_column_text(statement, column);
      if (text.empty() && sqlite3_errcode(db) == SQLITE_NOMEM) return Status::source("out of memory");
      value.kind = is_valid_utf8(text) ? Kind::kText : Kind::kRawText;
      value.text.assign(text.data(), text.size());
      return Status::ok();
    }
    case SQLITE_BLOB: {
      const void* blob = sqlite3_column_blob(statement, column);
      size_t size = static_cast<size_t>(sqlite3_column_bytes(statement, column));
      if (!blob && sqlite3_errcode(db) == SQLITE_NOMEM) return Status::source("out of memory");
      // A zero-length blob comes back as a null pointer but is still a blob, not NULL.
      value.kind = Kind::kBytes;
      value.subtype = 0;
      value.text.assign(blob ? static_cast<const char*>(blob) : "", size);
      return Status::ok();
    }
    default:
      value.kind = Kind::kNull;
      return Status::ok();
  }
}

class SqliteSource final : public Source {
 public:
  static Result<std::unique_ptr<Source>> open(const std::string& uri, const SourceOptions& options) {
    nlohmann::json tables;
    if (options.settings.is_object() && options.settings.contains("tables")) tables = options.settings["tables"];
    bool tables_ok = tables.is_null() || (tables.is_array() && std::all_of(tables.begin(), tables.end(),
                                          [](const nlohmann::json& t) { return t.is_string(); }));
    if (!tables_ok) return Status::usage("sqlite: setting \"tables\" must be an array of table names");

    std::string path = uri_path(uri);
    if (path.empty()) return Status::usage("sqlite: no database path in \"" + uri + "\"");
    // Read-only: a missing file is an error rather than a new empty database.
    Result<SqliteDb> db = sqlite_open(path, SQLITE_OPEN_READONLY, Side::kSource);
    if (!db) return db.take_status();
    sqlite3_busy_timeout(db->get(), 5000);
    // BEGIN alone takes no lock; the first read starts the snapshot every later read shares.
    // That read also rejects a file that is not a database before any stream is listed.
    Status started = sqlite_exec(db->get(), "BEGIN; SELECT count(*) FROM sqlite_schema;", Side::kSource);
    if (!started) return std::move(started).context("reading SQLite database \"" + path + "\"");
    return std::unique_ptr<Source>(new SqliteSource(std::move(db.value()), path, tables));
  }

  SourceDescription describe() const override {
    SourceDescription description;
    description.backend = "sqlite";
    description.location = redact_uri(path_);
    description.snapshot = {{"kind", "sqlite_txn"}};
    description.details = {{"sqlite_version", sqlite3_libversion()}};
    return description;
  }

  Result<std::vector<StreamInfo>> streams() override {
    // pragma_table_list tells ordinary tables from virtual and shadow ones (e.g. FTS internals),
    // which are recreated by their module rather than loaded row by row.
    Result<SqliteStatement> list = sqlite_prepare(db_.get(),
        "SELECT s.name, s.sql, l.type, l.wr, l.strict FROM sqlite_schema AS s"
        " JOIN pragma_table_list AS l ON l.schema = 'main' AND l.name = s.name"
        " WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY s.rowid",
        Side::kSource);
    if (!list) return list.take_status();

    std::vector<StreamInfo> streams;
    std::vector<bool> requested_found(requested_tables_.size(), false);
    int rc;
    while ((rc = sqlite3_step(list->get())) == SQLITE_ROW) {
      std::string name(sqlite_column_text(list->get(), 0));
      std::string create_sql(sqlite_column_text(list->get(), 1));
      std::string type(sqlite_column_text(list->get(), 2));
      bool without_rowid = sqlite3_column_int(list->get(), 3) != 0;
      bool strict = sqlite3_column_int(list->get(), 4) != 0;

      if (!requested_tables_.empty()) {
        bool wanted = false;
        for (size_t i = 0; i < requested_tables_.size(); ++i) {
          // Table names are case-insensitive in SQLite.
          if (sqlite3_stricmp(requested_tables_[i].c_str(), name.c_str()) == 0) wanted = requested_found[i] = true;
        }
        if (!wanted) continue;
        if (type != "table")
          return Status::usage(table_frame(name) + " is a " + type + " table; only ordinary tables can be exported");
      } else if (type != "table") {
        continue;
      }

      Result<StreamInfo> stream = describe_table(name, create_sql, without_rowid, strict);
      if (!stream) return stream.take_status().context(table_frame(name));
      streams.push_back(std::move(stream.value()));
    }
    if (rc != SQLITE_DONE) return Status::source(sqlite3_errmsg(db_.get())).context("listing tables");

    for (size_t i = 0; i < requested_tables_.size(); ++i)
      if (!requested_found[i])
        return Status::usage("no table named \"" + requested_tables_[i] + "\" in \"" + path_ + "\"");
    return streams;
  }

  Status read(const StreamInfo& stream, const RecordFn& emit) override {
    Result<SqliteStatement> select = sqlite_prepare(db_.get(), select_sql(stream), Side::kSource);
    if (!select) return select.take_status().context(table_frame(stream.name));
    sqlite3_stmt* statement = select->get();
    int columns = sqlite3_column_count(statement);

    Record record;  // refilled for every row so the loop does not allocate once warmed up
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      record.clear_keep_capacity();
      for (int i = 0; i < columns; ++i) {
        Value& value = record.add(stream.columns[i].name);
        Status read = read_cell(db_.get(), statement, i, value);
        if (!read) return std::move(read).context(table_frame(stream.name));
      }
      DECANT_TRY(emit(record));
    }
    if (rc != SQLITE_DONE) return Status::source(sqlite3_errmsg(db_.get())).context(table_frame(stream.name));
    return Status::ok();
  }

 private:
  SqliteSource(SqliteDb db, std::string path, const nlohmann::json& tables)
      : db_(std::move(db)), path_(std::move(path)) {
    if (tables.is_array())
      for (const nlohmann::json& t : tables) requested_tables_.push_back(t.get<std::string>());
  }

  Result<StreamInfo> describe_table(const std::string& name, const std::string& create_sql,
                                    bool without_rowid, bool strict) {
    StreamInfo stream;
    stream.name = name;
    stream.kind = "table";
    stream.options = {{"source_backend", "sqlite"}, {"source_table", name}, {"create_sql", create_sql},
                      {"without_rowid", without_rowid}, {"strict", strict}};
    DECANT_TRY(describe_columns(stream, strict));
    DECANT_TRY(describe_indexes(stream));

    Result<SqliteStatement> count = sqlite_prepare(db_.get(), "SELECT count(*) FROM " + sqlite_quote(name),
                                                   Side::kSource);
    if (!count) return count.take_status();
    if (sqlite3_step(count->get()) != SQLITE_ROW) return Status::source(sqlite3_errmsg(db_.get()));
    stream.estimated_rows = sqlite3_column_int64(count->get(), 0);
    return stream;
  }

  Status describe_columns(StreamInfo& stream, bool strict) {
    Result<SqliteStatement> info = sqlite_prepare(db_.get(),
        "SELECT name, type, \"notnull\", dflt_value, pk, hidden FROM pragma_table_xinfo(?1, 'main') ORDER BY cid",
        Side::kSource);
    if (!info) return info.take_status();
    sqlite3_bind_text(info->get(), 1, stream.name.data(), static_cast<int>(stream.name.size()), SQLITE_STATIC);

    std::vector<std::pair<int, std::string>> key_by_position;
    nlohmann::json generated = nlohmann::json::array();
    int rc;
    while ((rc = sqlite3_step(info->get())) == SQLITE_ROW) {
      Column column;
      column.name = sqlite_column_text(info->get(), 0);
      column.source_type = sqlite_column_text(info->get(), 1);
      column.type = logical_type(column.source_type, strict);
      column.nullable = sqlite3_column_int(info->get(), 2) == 0;
      column.default_expr = sqlite_column_text(info->get(), 3);
      int key_position = sqlite3_column_int(info->get(), 4);
      int hidden = sqlite3_column_int(info->get(), 5);
      // hidden 2 and 3 are generated columns: their values are computed, so they are not
      // exported; create_sql recreates them. (1 marks virtual-table hidden columns.)
      if (hidden == 2 || hidden == 3) generated.push_back(column.name);
      if (hidden != 0) continue;
      if (key_position > 0) key_by_position.emplace_back(key_position, column.name);
      stream.columns.push_back(std::move(column));
    }
    if (rc != SQLITE_DONE) return Status::source(sqlite3_errmsg(db_.get()));

    std::sort(key_by_position.begin(), key_by_position.end());
    for (auto& [position, column] : key_by_position) stream.key.push_back(std::move(column));
    if (!generated.empty()) stream.options["generated_columns"] = std::move(generated);
    return Status::ok();
  }

  // Only indexes made by CREATE INDEX: the ones behind PRIMARY KEY and UNIQUE constraints come
  // back with the CREATE TABLE statement.
  Status describe_indexes(StreamInfo& stream) {
    Result<SqliteStatement> list = sqlite_prepare(db_.get(),
        "SELECT s.name, s.sql, l.\"unique\", l.partial FROM pragma_index_list(?1, 'main') AS l"
        " JOIN sqlite_schema AS s ON s.type = 'index' AND s.name = l.name"
        " WHERE l.origin = 'c' ORDER BY s.rowid",
        Side::kSource);
    if (!list) return list.take_status();
    sqlite3_bind_text(list->get(), 1, stream.name.data(), static_cast<int>(stream.name.size()), SQLITE_STATIC);
    Result<SqliteStatement> columns = sqlite_prepare(db_.get(),
        "SELECT name FROM pragma_index_xinfo(?1, 'main') WHERE key = 1 ORDER BY seqno", Side::kSource);
    if (!columns) return columns.take_status();

    int rc;
    while ((rc = sqlite3_step(list->get())) == SQLITE_ROW) {
      Index index;
      index.name = sqlite_column_text(list->get(), 0);
      index.definition = sqlite_column_text(list->get(), 1);
      index.unique = sqlite3_column_int(list->get(), 2) != 0;
      bool partial = sqlite3_column_int(list->get(), 3) != 0;

      sqlite3_reset(columns->get());
      sqlite3_bind_text(columns->get(), 1, index.name.data(), static_cast<int>(index.name.size()), SQLITE_STATIC);
      bool on_expression = false;
      int column_rc;
      while ((column_rc = sqlite3_step(columns->get())) == SQLITE_ROW) {
        // An expression (or rowid) key has no column name.
        if (sqlite3_column_type(columns->get(), 0) == SQLITE_NULL) on_expression = true;
        index.columns.emplace_back(sqlite_column_text(columns->get(), 0));
      }
      if (column_rc != SQLITE_DONE) return Status::source(sqlite3_errmsg(db_.get())).context("index \"" + index.name + "\"");
      // A column list alone would misdescribe these; their definition is the only faithful form.
      if (on_expression || partial) index.columns.clear();
      stream.indexes.push_back(std::move(index));
    }
    if (rc != SQLITE_DONE) return Status::source(sqlite3_errmsg(db_.get()));
    return Status::ok();
  }

  // Rows in a deterministic order that follows the storage order: rowid, or the primary key of
  // a WITHOUT ROWID table (whose b-tree is keyed by it).
  static std::string select_sql(const StreamInfo& stream) {
    std::string sql = "SELECT ";
    for (size_t i = 0; i < stream.columns.size(); ++i)
      sql += (i ? ", " : "") + sqlite_quote(stream.columns[i].name);
    sql += " FROM " + sqlite_quote(stream.name);

    std::vector<std::string> order;
    if (stream.options.value("without_rowid", false)) {
      order = stream.key;
    } else {
      // A column may be named like a rowid alias and hide it; any one still free will do.
      auto is_taken = [&](const char* alias) {
        auto same = [&](const std::string& name) { return sqlite3_stricmp(name.c_str(), alias) == 0; };
        const nlohmann::json& generated = stream.options.value("generated_columns", nlohmann::json::array());
        return std::any_of(stream.columns.begin(), stream.columns.end(), [&](const Column& c) { return same(c.name); }) ||
               std::any_of(generated.begin(), generated.end(), [&](const nlohmann::json& g) { return same(g.get<std::string>()); });
      };
      for (const char* alias : {"rowid", "_rowid_", "oid"}) {
        if (!is_taken(alias)) {
          order.emplace_back(alias);
          break;
        }
      }
    }
    // Quoting keeps a rowid alias meaning the rowid: "rowid" is an identifier, not a keyword.
    for (size_t i = 0; i < order.size(); ++i) sql += (i ? ", " : " ORDER BY ") + sqlite_quote(order[i]);
    return sql;
  }

  SqliteDb db_;
  std::string path_;
  std::vector<std::string> requested_tables_;  // settings["tables"]; empty means every table
};

}  // namespace

void register_sqlite_source(SourceRegistry& registry) {
  registry.add(SourceBackend{
      .scheme = "sqlite",
      .summary = "SQLite database file (sqlite:path, sqlite://path or a bare path)",
      .capabilities = "one read transaction gives every table the same snapshot; tables are read one at a time",
      .options = {},
      .open = SqliteSource::open,
  });
}

}  // namespace decant
