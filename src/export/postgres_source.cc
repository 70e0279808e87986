// PostgreSQL export: every ordinary table of the chosen schemas becomes a stream, read with
// binary COPY inside one REPEATABLE READ transaction. Its snapshot is exported, so that with
// --jobs N the other workers read the very same snapshot on their own connections. The schema
// goes into each stream line: columns with their declared types, keys, constraints, indexes,
// the enums and domains the columns use, and the sequences they own with their values.
#include <algorithm>
#include <map>

#include "backends/postgres_client.h"
#include "backends/postgres_types.h"
#include "export/layout_sources.h"
#include "export/source.h"
#include "format/uri.h"
#include "layouts/lightrag.h"

namespace decant {
namespace {

// A column comment that marks a json column holding archive encodings of values of any kind
// (written by the PostgreSQL sink for columns of type "any", SPEC 11.2).
constexpr const char* kEncodedMarker = "decant:any";

std::string table_frame(const std::string& name) { return "table \"" + name + "\""; }

// How one table is read.
struct TablePlan {
  std::string copy_sql;
  std::vector<std::string> columns;
  std::vector<PgColumnDecoder> decoders;
};

// What all workers of one export share: where to connect, the snapshot, the plans.
struct Shared {
  std::string uri;
  std::string snapshot_id;
  std::map<std::string, TablePlan> plans;  // by stream name as streams() returned it
};

nlohmann::json parse_json_cell(std::string_view text) {
  if (text.empty()) return nlohmann::json::array();
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json::array() : j;
}

std::vector<std::string> string_list(const nlohmann::json& setting) {
  std::vector<std::string> out;
  if (setting.is_array())
    for (const auto& item : setting)
      if (item.is_string()) out.push_back(item.get<std::string>());
  if (setting.is_string()) out.push_back(setting.get<std::string>());
  return out;
}

class PostgresSource final : public Source {
 public:
  static Result<std::unique_ptr<Source>> open(const std::string& uri, const SourceOptions& options) {
    Result<bool> layout = lightrag::wants_lightrag_layout(options.settings);
    if (!layout) return layout.take_status();
    if (*layout) return open_lightrag_postgres_source(uri, options);
    if (options.settings.is_object() && options.settings.contains("embedding-model"))
      return Status::usage("--embedding-model needs --layout lightrag");
    const nlohmann::json& s = options.settings;
    auto source = std::unique_ptr<PostgresSource>(new PostgresSource());
    source->shared_ = std::make_shared<Shared>();
    source->shared_->uri = uri;
    if (s.is_object()) {
      source->schemas_ = string_list(s.value("schema", nlohmann::json()));
      source->tables_ = string_list(s.value("table", nlohmann::json()));
      if (s.contains("jobs")) {
        if (!s["jobs"].is_number_integer() || s["jobs"].get<int64_t>() < 1 || s["jobs"].get<int64_t>() > 64)
          return Status::usage("postgres: --jobs must be between 1 and 64");
        source->jobs_ = static_cast<int>(s["jobs"].get<int64_t>());
      }
      source->strip_schema_ = s.value("strip-schema", false);
    }
    Result<PgConn> conn = pg_connect(uri, Side::kSource);
    if (!conn) return conn.take_status();
    source->conn_ = std::move(conn.value());
    PGconn* c = source->conn_.get();
    DECANT_TRY(pg_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", Side::kSource));
    Result<PgResult> snap = pg_query(c,
        "SELECT pg_export_snapshot(), CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
        " ELSE pg_current_wal_lsn() END::text, current_setting('server_version'), current_database()",
        Side::kSource);
    if (!snap) return snap.take_status().context("starting the snapshot");
    source->shared_->snapshot_id = pg_cell(snap->get(), 0, 0);
    source->lsn_ = pg_cell(snap->get(), 0, 1);
    source->server_version_ = pg_cell(snap->get(), 0, 2);
    source->database_ = pg_cell(snap->get(), 0, 3);
    return std::unique_ptr<Source>(std::move(source));
  }

  SourceDescription describe() const override {
    SourceDescription d;
    d.backend = "postgres";
    d.location = redact_uri(shared_->uri);
    d.snapshot = {{"kind", "pg_snapshot"}, {"isolation", "repeatable read"},
                  {"snapshot", shared_->snapshot_id}, {"lsn", lsn_}};
    d.details = {{"server_version", server_version_}, {"database", database_}};
    return d;
  }

  Result<std::vector<StreamInfo>> streams() override {
    PGconn* c = conn_.get();
    Result<PgResult> tables = pg_query(c,
        "SELECT c.oid, n.nspname, c.relname, c.relpersistence, c.reltuples::bigint"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'"
        "   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass"
        "                   AND d.objid = c.oid AND d.deptype = 'e')"
        " ORDER BY n.nspname, c.relname",
        Side::kSource);
    if (!tables) return tables.take_status().context("listing tables");
    std::vector<StreamInfo> streams;
    std::vector<bool> table_found(tables_.size(), false), schema_found(schemas_.size(), false);
    std::map<std::string, std::string> names;  // stream name -> qualified table, for clashes
    for (int row = 0; row < PQntuples(tables->get()); ++row) {
      std::string oid(pg_cell(tables->get(), row, 0));
      std::string schema(pg_cell(tables->get(), row, 1)), table(pg_cell(tables->get(), row, 2));
      if (!schemas_.empty()) {
        auto it = std::find(schemas_.begin(), schemas_.end(), schema);
        if (it == schemas_.end()) continue;
        schema_found[size_t(it - schemas_.begin())] = true;
      }
      if (!tables_.empty()) {
        bool wanted = false;
        for (size_t i = 0; i < tables_.size(); ++i)
          if (tables_[i] == schema + "." + table || tables_[i] == table) wanted = table_found[i] = true;
        if (!wanted) continue;
      }
      StreamInfo stream;
      stream.name = strip_schema_ ? table : schema + "." + table;
      auto [clash, fresh] = names.emplace(stream.name, schema + "." + table);
      if (!fresh)
        return Status::usage("postgres: --strip-schema: tables " + clash->second + " and " + schema + "." + table +
                             " would both be stream \"" + stream.name + "\"");
      stream.kind = "table";
      int64_t estimate = std::stoll(std::string(pg_cell(tables->get(), row, 4)));
      stream.estimated_rows = estimate < 0 ? -1 : estimate;
      stream.options = {{"source_backend", "postgres"}, {"schema", schema}, {"table", table},
                        {"unlogged", pg_cell(tables->get(), row, 3) == "u"}};
      Status described = describe_table(oid, stream);
      if (!described) return std::move(described).context(table_frame(schema + "." + table));
      streams.push_back(std::move(stream));
    }
    for (size_t i = 0; i < tables_.size(); ++i)
      if (!table_found[i]) return Status::usage("postgres: no table \"" + tables_[i] + "\" to export");
    for (size_t i = 0; i < schemas_.size(); ++i)
      if (!schema_found[i]) return Status::usage("postgres: no tables in schema \"" + schemas_[i] + "\"");
    return streams;
  }

  Status read(const StreamInfo& stream, const RecordFn& emit) override {
    auto found = shared_->plans.find(stream.name);
    if (found == shared_->plans.end()) return Status::internal(table_frame(stream.name) + ": not described");
    const TablePlan& plan = found->second;
    Record record;
    auto on_tuple = [&](const std::vector<PgBinaryCopyReader::Field>& fields) -> Status {
      if (fields.size() != plan.columns.size()) return Status::source("COPY returned an unexpected number of columns");
      record.clear_keep_capacity();
      for (size_t i = 0; i < fields.size(); ++i) {
        Value& value = record.add(plan.columns[i]);
        if (!fields[i].data) continue;  // NULL
        Status decoded = pg_decode_binary(plan.decoders[i], {fields[i].data, size_t(fields[i].length)}, value);
        if (!decoded) return std::move(decoded).context("column \"" + plan.columns[i] + "\"");
      }
      return emit(record);
    };
    Status copied = pg_copy_out_binary(conn_.get(), plan.copy_sql, on_tuple);
    if (!copied && copied.side() == Side::kSource) return std::move(copied).context(table_frame(stream.name));
    return copied;
  }

  int parallel_reads() const override { return jobs_; }

  Result<std::unique_ptr<Source>> open_worker() override {
    Result<PgConn> conn = pg_connect(shared_->uri, Side::kSource);
    if (!conn) return conn.take_status();
    DECANT_TRY(pg_exec(conn->get(), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", Side::kSource));
    Status imported = pg_exec(conn->get(), "SET TRANSACTION SNAPSHOT " + pg_quote_literal(shared_->snapshot_id),
                              Side::kSource);
    if (!imported) return std::move(imported).context("sharing the snapshot with a worker");
    auto worker = std::unique_ptr<PostgresSource>(new PostgresSource());
    worker->conn_ = std::move(conn.value());
    worker->shared_ = shared_;
    worker->lsn_ = lsn_;
    worker->server_version_ = server_version_;
    worker->database_ = database_;
    return std::unique_ptr<Source>(std::move(worker));
  }

 private:
  PostgresSource() = default;

  Status describe_table(const std::string& oid, StreamInfo& stream) {
    PGconn* c = conn_.get();
    Result<PgResult> columns = pg_query(c,
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.atttypid, a.attnotnull,"
        "       pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated,"
        "       col_description(a.attrelid, a.attnum)"
        " FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
        " WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        Side::kSource, {oid});
    if (!columns) return columns.take_status();
    TablePlan plan;
    std::string select;
    nlohmann::json identity = nlohmann::json::object(), generated = nlohmann::json::array();
    nlohmann::json types = nlohmann::json::array();
    for (int row = 0; row < PQntuples(columns->get()); ++row) {
      Column column;
      column.name = pg_cell(columns->get(), row, 0);
      column.source_type = pg_cell(columns->get(), row, 1);
      uint32_t type_oid = static_cast<uint32_t>(std::stoul(std::string(pg_cell(columns->get(), row, 2))));
      column.nullable = pg_cell(columns->get(), row, 3) != "t";
      std::string_view identity_kind = pg_cell(columns->get(), row, 5);
      std::string_view generated_kind = pg_cell(columns->get(), row, 6);
      if (!generated_kind.empty()) {
        // Computed by the server: left out of records and recreated from its expression.
        generated.push_back({{"name", column.name}, {"type", column.source_type},
                             {"expression", std::string(pg_cell(columns->get(), row, 4))}});
        continue;
      }
      if (!pg_is_null(columns->get(), row, 4)) column.default_expr = pg_cell(columns->get(), row, 4);
      if (!identity_kind.empty()) identity[column.name] = identity_kind == "a" ? "always" : "by default";
      Result<std::shared_ptr<const PgType>> type = types_.resolve(c, type_oid, Side::kSource);
      if (!type) return type.take_status().context("column \"" + column.name + "\"");
      bool encoded = pg_cell(columns->get(), row, 7) == kEncodedMarker &&
                     ((*type)->base == PgBase::kJson || (*type)->base == PgBase::kText);
      column.type = encoded ? "any" : pg_logical_type(**type);
      DECANT_TRY(collect_type_definitions(**type, types));
      PgColumnDecoder decoder = pg_decoder_for(**type, encoded);
      select += (select.empty() ? "" : ", ") + pg_select_expression(decoder, column.name);
      plan.columns.push_back(column.name);
      plan.decoders.push_back(std::move(decoder));
      stream.columns.push_back(std::move(column));
    }
    std::string qualified = pg_qualified(stream.options["schema"].get<std::string>(),
                                         stream.options["table"].get<std::string>());
    // An empty select list is allowed: COPY then sends zero-column rows.
    plan.copy_sql = "COPY (SELECT " + select + " FROM ONLY " + qualified + ") TO STDOUT (FORMAT binary)";
    if (!identity.empty()) stream.options["identity"] = identity;
    if (!generated.empty()) stream.options["generated_columns"] = generated;
    if (!types.empty()) stream.options["types"] = types;
    DECANT_TRY(describe_constraints(oid, stream));
    DECANT_TRY(describe_indexes(oid, stream));
    DECANT_TRY(describe_sequences(oid, stream));
    shared_->plans[stream.name] = std::move(plan);
    return Status::ok();
  }

  // Enum and domain definitions a column's type needs, the ones they build on first.
  Status collect_type_definitions(const PgType& type, nlohmann::json& types) {
    if (type.base == PgBase::kArray && type.element && type.typtype != 'd')
      return collect_type_definitions(*type.element, types);
    if (type.typtype != 'e' && type.typtype != 'd') return Status::ok();
    for (const auto& t : types)
      if (t.value("oid", 0u) == type.oid) return Status::ok();
    PGconn* c = conn_.get();
    Result<PgResult> row = pg_query(c,
        "SELECT n.nspname, t.typname, t.typbasetype, format_type(t.typbasetype, t.typtypmod), t.typnotnull,"
        "       t.typdefault,"
        "       (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid)::text,"
        "       (SELECT json_agg(pg_get_constraintdef(k.oid) ORDER BY k.conname) FROM pg_constraint k"
        "         WHERE k.contypid = t.oid)::text"
        " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid = $1",
        Side::kSource, {std::to_string(type.oid)});
    if (!row) return row.take_status();
    nlohmann::json definition = {{"oid", type.oid}, {"schema", std::string(pg_cell(row->get(), 0, 0))},
                                 {"name", std::string(pg_cell(row->get(), 0, 1))}};
    if (type.typtype == 'e') {
      definition["kind"] = "enum";
      definition["labels"] = parse_json_cell(pg_cell(row->get(), 0, 6));
    } else {
      uint32_t base = static_cast<uint32_t>(std::stoul(std::string(pg_cell(row->get(), 0, 2))));
      Result<std::shared_ptr<const PgType>> over = types_.resolve(c, base, Side::kSource);
      if (!over) return over.take_status();
      DECANT_TRY(collect_type_definitions(**over, types));
      definition["kind"] = "domain";
      definition["base"] = std::string(pg_cell(row->get(), 0, 3));
      definition["not_null"] = pg_cell(row->get(), 0, 4) == "t";
      definition["default"] = pg_is_null(row->get(), 0, 5) ? nlohmann::json() : nlohmann::json(std::string(pg_cell(row->get(), 0, 5)));
      definition["checks"] = parse_json_cell(pg_cell(row->get(), 0, 7));
    }
    types.push_back(std::move(definition));
    return Status::ok();
  }

  Status describe_constraints(const std::string& oid, StreamInfo& stream) {
    Result<PgResult> rows = pg_query(conn_.get(),
        "SELECT k.conname, k.contype, pg_get_constraintdef(k.oid),"
        "       (SELECT json_agg(a.attname ORDER BY u.o) FROM unnest(k.conkey) WITH ORDINALITY u(n, o)"
        "          JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n)::text,"
        "       CASE WHEN k.conindid <> 0 THEN pg_get_indexdef(k.conindid) END"
        " FROM pg_constraint k WHERE k.conrelid = $1 AND k.contype IN ('p', 'u', 'c', 'f', 'x')"
        " ORDER BY k.contype <> 'p', k.conname",
        Side::kSource, {oid});
    if (!rows) return rows.take_status();
    nlohmann::json constraints = nlohmann::json::array();
    for (int row = 0; row < PQntuples(rows->get()); ++row) {
      std::string name(pg_cell(rows->get(), row, 0));
      char type = pg_cell(rows->get(), row, 1)[0];
      nlohmann::json columns = parse_json_cell(pg_cell(rows->get(), row, 3));
      static const std::map<char, const char*> kTypes = {
          {'p', "primary key"}, {'u', "unique"}, {'c', "check"}, {'f', "foreign key"}, {'x', "exclusion"}};
      constraints.push_back({{"name", name}, {"type", kTypes.at(type)},
                             {"definition", std::string(pg_cell(rows->get(), row, 2))}});
      if (type == 'p') stream.key = columns.get<std::vector<std::string>>();
      if (type == 'u') {
        Index index;
        index.name = name;
        index.columns = columns.get<std::vector<std::string>>();
        index.unique = true;
        index.definition = pg_cell(rows->get(), row, 4);
        stream.indexes.push_back(std::move(index));
      }
    }
    if (!constraints.empty()) stream.options["constraints"] = constraints;
    return Status::ok();
  }

  // Indexes other than those behind constraints (which the constraints recreate).
  Status describe_indexes(const std::string& oid, StreamInfo& stream) {
    Result<PgResult> rows = pg_query(conn_.get(),
        "SELECT ic.relname, i.indisunique, pg_get_indexdef(i.indexrelid),"
        "       (SELECT json_agg(a.attname ORDER BY u.o) FROM unnest(i.indkey::int2[]) WITH ORDINALITY u(n, o)"
        "          LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = u.n"
        "         WHERE u.o <= i.indnkeyatts)::text,"
        "       i.indpred IS NOT NULL OR i.indexprs IS NOT NULL"
        " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
        " WHERE i.indrelid = $1 AND NOT EXISTS (SELECT 1 FROM pg_constraint k"
        "       WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid)"
        " ORDER BY ic.relname",
        Side::kSource, {oid});
    if (!rows) return rows.take_status();
    for (int row = 0; row < PQntuples(rows->get()); ++row) {
      Index index;
      index.name = pg_cell(rows->get(), row, 0);
      index.unique = pg_cell(rows->get(), row, 1) == "t";
      index.definition = pg_cell(rows->get(), row, 2);
      // Expression and partial indexes: only the definition describes them faithfully.
      if (pg_cell(rows->get(), row, 4) != "t")
        for (const auto& c : parse_json_cell(pg_cell(rows->get(), row, 3)))
          if (c.is_string()) index.columns.push_back(c.get<std::string>());
      stream.indexes.push_back(std::move(index));
    }
    return Status::ok();
  }

  // Sequences owned by the table's columns (serial and identity columns) with their state.
  Status describe_sequences(const std::string& oid, StreamInfo& stream) {
    PGconn* c = conn_.get();
    Result<PgResult> rows = pg_query(c,
        "SELECT n.nspname, s.relname, a.attname, format_type(q.seqtypid, NULL), q.seqstart::text,"
        "       q.seqincrement::text, q.seqmin::text, q.seqmax::text, q.seqcache::text, q.seqcycle, d.deptype"
        " FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
        " JOIN pg_namespace n ON n.oid = s.relnamespace JOIN pg_sequence q ON q.seqrelid = s.oid"
        " JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
        " WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass"
        "   AND d.refobjid = $1 AND d.deptype IN ('a', 'i') ORDER BY s.relname",
        Side::kSource, {oid});
    if (!rows) return rows.take_status();
    nlohmann::json sequences = nlohmann::json::array();
    for (int row = 0; row < PQntuples(rows->get()); ++row) {
      std::string schema(pg_cell(rows->get(), row, 0)), name(pg_cell(rows->get(), row, 1));
      Result<PgResult> state = pg_query(c, "SELECT last_value::text, is_called FROM " + pg_qualified(schema, name),
                                        Side::kSource);
      if (!state) return state.take_status().context("sequence \"" + schema + "." + name + "\"");
      sequences.push_back({{"schema", schema}, {"name", name}, {"column", std::string(pg_cell(rows->get(), row, 2))},
                           {"identity", pg_cell(rows->get(), row, 10) == "i"},
                           {"type", std::string(pg_cell(rows->get(), row, 3))},
                           {"start", std::string(pg_cell(rows->get(), row, 4))},
                           {"increment", std::string(pg_cell(rows->get(), row, 5))},
                           {"min", std::string(pg_cell(rows->get(), row, 6))},
                           {"max", std::string(pg_cell(rows->get(), row, 7))},
                           {"cache", std::string(pg_cell(rows->get(), row, 8))},
                           {"cycle", pg_cell(rows->get(), row, 9) == "t"},
                           {"last_value", std::string(pg_cell(state->get(), 0, 0))},
                           {"is_called", pg_cell(state->get(), 0, 1) == "t"}});
    }
    if (!sequences.empty()) stream.options["sequences"] = sequences;
    return Status::ok();
  }

  PgConn conn_;
  std::shared_ptr<Shared> shared_;
  PgTypeCache types_;
  std::vector<std::string> schemas_;  // --schema: only these; empty means every user schema
  std::vector<std::string> tables_;   // --table: schema.table or table; empty means all
  int jobs_ = 1;
  bool strip_schema_ = false;
  std::string lsn_, server_version_, database_;
};

}  // namespace

void register_postgres_source(SourceRegistry& registry) {
  SourceBackend backend{
      .scheme = "postgres",
      .summary = "PostgreSQL (postgres://user@host:port/db or postgresql://; PG* variables and ~/.pgpass apply)",
      .capabilities = "one REPEATABLE READ snapshot, exported and shared by --jobs N parallel readers; "
                      "binary COPY; schema, constraints, indexes, enums, domains and sequences captured",
      .options = {{"schema", BackendOption::Type::kList, "Export only the tables of this schema (repeatable)"},
                  {"table", BackendOption::Type::kList, "Export only this table, SCHEMA.TABLE or TABLE (repeatable)"},
                  {"jobs", BackendOption::Type::kInt, "Read N tables at once, all from one snapshot"},
                  {"strip-schema", BackendOption::Type::kFlag,
                   "Name streams by table alone, without the schema (refused when two schemas share a name)"}},
      .open = PostgresSource::open,
  };
  backend.capabilities += "; --layout lightrag: LightRAG's LIGHTRAG_* tables (SPEC 11.5.4)";
  backend.options.push_back(lightrag::layout_option());
  for (BackendOption& option : lightrag::export_options()) backend.options.push_back(std::move(option));
  backend.options.push_back(lightrag::embedding_model_option());
  registry.add(std::move(backend));
}

}  // namespace decant
