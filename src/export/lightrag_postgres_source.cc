// `postgres:// --layout lightrag` export (format/SPEC.md 11.5.4): LightRAG's LIGHTRAG_* tables as
// the logical streams of SPEC 11.5, one per workspace and namespace. Records are what LightRAG's
// own PG storages return for a key (return_value as return, doc_name as file_path, JSONB columns
// as JSON, timestamps as Unix seconds or ISO text), plus the timestamps every table keeps. Vector
// tables are found by pattern, with the dimension of their content_vector column; the graph is
// PGTableGraphStorage's lightrag_graph_nodes / lightrag_graph_edges (LightRAG's AGE graph is not
// read). Everything is read with binary COPY in one REPEATABLE READ snapshot.
#include <algorithm>
#include <charconv>
#include <map>
#include <tuple>

#include "backends/lightrag_json.h"
#include "backends/lightrag_postgres.h"
#include "backends/postgres_client.h"
#include "backends/postgres_types.h"
#include "export/layout_sources.h"
#include "format/uri.h"

namespace decant {
namespace {

using namespace lightrag;

// Python's datetime.isoformat() of a naive-UTC TIMESTAMP read as UTC, as PGDocStatusStorage does:
// microseconds only when there are some.
std::string iso_expression(const std::string& column) {
  return "to_char(" + column + ", 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN extract(microseconds FROM " + column +
         ")::bigint % 1000000 <> 0 THEN to_char(" + column + ", '.US') ELSE '' END || '+00:00'";
}

// The select-list expression giving a member's column as text.
std::string read_expression(const PgField& field) {
  std::string column = field.column;
  if (field.read_null) column = "COALESCE(" + column + ", " + field.read_null + ")";
  switch (field.conv) {
    case PgConv::kEpoch: return "EXTRACT(EPOCH FROM " + column + ")::bigint::text";
    case PgConv::kIso: return iso_expression(column);
    case PgConv::kSepArray: return "array_to_string(" + column + ", '<SEP>')";
    default: return column + "::text";
  }
}

constexpr const char* kGraphNodes = "lightrag_graph_nodes";
constexpr const char* kGraphEdges = "lightrag_graph_edges";

struct StreamPlan {
  const PgTable* table = nullptr;  // nullptr: a graph stream
  Storage storage = Storage::kKv;
  std::string ns;
  std::string relname;        // the table as it is in the catalog
  std::string pg_workspace;   // its workspace column value
  std::vector<const PgField*> fields;  // the members whose columns the table has
  int64_t dimension = -1;              // vectors: of content_vector
};

class LightragPostgresSource final : public Source {
 public:
  LightragPostgresSource(PgConn conn, std::string location, Selection selection, std::string model,
                         std::function<void(const std::string&)> note)
      : conn_(std::move(conn)), location_(std::move(location)), selection_(std::move(selection)),
        model_(std::move(model)), note_(std::move(note)) {}

  Status begin() {
    PGconn* c = conn_.get();
    DECANT_TRY(pg_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", Side::kSource));
    Result<PgResult> info = pg_query(c, "SELECT current_setting('server_version'), current_database()", Side::kSource);
    if (!info) return info.take_status();
    server_version_ = pg_cell(info->get(), 0, 0);
    database_ = pg_cell(info->get(), 0, 1);
    return Status::ok();
  }

  SourceDescription describe() const override {
    SourceDescription d;
    d.backend = "postgres";
    d.location = location_;
    d.snapshot = {{"kind", "pg_snapshot"}, {"isolation", "repeatable read"}};
    d.details = {{"server_version", server_version_}, {"database", database_}, {"layout", "lightrag"}};
    return d;
  }

  Result<std::vector<StreamInfo>> streams() override {
    PGconn* c = conn_.get();
    // LightRAG names its tables unquoted, so PostgreSQL keeps them lower case, in the schema its
    // connection's search_path gives first: public, unless the deployment changed it.
    Result<PgResult> tables = pg_query(c,
        "SELECT c.relname, c.oid,"
        "  (SELECT a.atttypmod FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'content_vector'"
        "     AND NOT a.attisdropped)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname LIKE 'lightrag\\_%' ORDER BY c.relname",
        Side::kSource);
    if (!tables) return tables.take_status().context("listing the LIGHTRAG_* tables");
    // (logical workspace, table index, namespace) -> plan, rows
    std::map<std::tuple<std::string, size_t, std::string>, std::pair<StreamPlan, int64_t>> found;
    const std::vector<PgTable>& maps = postgres_tables();
    for (int row = 0; row < PQntuples(tables->get()); ++row) {
      std::string relname(pg_cell(tables->get(), row, 0));
      std::string oid(pg_cell(tables->get(), row, 1));
      if (relname == kGraphNodes || relname == kGraphEdges) {
        // PGTableGraphStorage: one table for every workspace and graph namespace.
        Storage storage = relname == kGraphNodes ? Storage::kGraphNodes : Storage::kGraphEdges;
        Result<PgResult> counts = pg_query(c,
            "SELECT workspace, namespace, count(*) FROM public." + relname + " GROUP BY 1, 2 ORDER BY 1, 2", Side::kSource);
        if (!counts) return counts.take_status().context("table " + relname);
        for (int w = 0; w < PQntuples(counts->get()); ++w) {
          std::string pg_workspace(pg_cell(counts->get(), w, 0)), ns(pg_cell(counts->get(), w, 1));
          std::string logical = logical_workspace_from_postgres(pg_workspace);
          if (!valid_workspace(logical) || !selection_.keeps_workspace(logical) || !selection_.keeps_namespace(ns)) continue;
          StreamPlan plan;
          plan.storage = storage;
          plan.ns = ns;
          plan.relname = relname;
          plan.pg_workspace = pg_workspace;
          found.emplace(std::make_tuple(logical, maps.size() + (storage == Storage::kGraphEdges ? 1 : 0), ns),
                        std::make_pair(std::move(plan), std::stoll(std::string(pg_cell(counts->get(), w, 2)))));
        }
        continue;
      }
      for (size_t index = 0; index < maps.size(); ++index) {
        const PgTable& map = maps[index];
        std::string base = map.table;
        int64_t dimension = -1;
        if (map.storage == Storage::kVector) {
          // LIGHTRAG_VDB_ENTITY, or LIGHTRAG_VDB_ENTITY_{model}_{dim}d for each embedding model.
          if (relname != base && relname.rfind(base + "_", 0) != 0) continue;
          if (pg_is_null(tables->get(), row, 2)) continue;
          dimension = std::stoll(std::string(pg_cell(tables->get(), row, 2)));
          if (!model_.empty() && relname != base + "_" + postgres_vector_suffix(model_, dimension)) continue;
        } else if (relname != base) {
          continue;
        }
        Result<std::vector<const PgField*>> fields = columns_of(oid, map);
        if (!fields) return fields.take_status().context("table " + relname);
        Result<PgResult> counts = pg_query(c,
            "SELECT workspace, count(*) FROM public." + pg_quote_ident(relname) + " GROUP BY workspace ORDER BY workspace",
            Side::kSource);
        if (!counts) return counts.take_status().context("table " + relname);
        for (int w = 0; w < PQntuples(counts->get()); ++w) {
          if (pg_is_null(counts->get(), w, 0)) continue;
          std::string pg_workspace(pg_cell(counts->get(), w, 0));
          std::string logical = logical_workspace_from_postgres(pg_workspace);
          if (!valid_workspace(logical) || !selection_.keeps_workspace(logical) || !selection_.keeps_namespace(map.ns))
            continue;
          auto key = std::make_tuple(logical, index, std::string(map.ns));
          auto existing = found.find(key);
          if (existing != found.end())
            return Status::usage("postgres: workspace \"" + logical + "\" has " + std::string(map.ns) + " in both " +
                                 existing->second.first.relname + " and " + relname +
                                 " (two embedding models): choose one with --embedding-model NAME");
          StreamPlan plan;
          plan.table = &map;
          plan.storage = map.storage;
          plan.ns = map.ns;
          plan.relname = relname;
          plan.pg_workspace = pg_workspace;
          plan.fields = *fields;
          plan.dimension = dimension;
          found.emplace(key, std::make_pair(std::move(plan), std::stoll(std::string(pg_cell(counts->get(), w, 1)))));
        }
      }
    }
    std::vector<StreamInfo> streams;
    for (auto& [key, entry] : found) {
      StreamPlan& plan = entry.first;
      StreamInfo stream = make_stream(StreamId{std::get<0>(key), plan.ns, plan.storage});
      stream.estimated_rows = entry.second;
      if (plan.dimension > 0) {
        stream.options["lightrag"]["embedding_dim"] = plan.dimension;
        stream.options["lightrag"]["postgres_table"] = plan.relname;
      }
      plans_[stream.name] = std::move(plan);
      streams.push_back(std::move(stream));
    }
    if (selection_.workspace && streams.empty())
      return Status::usage("postgres: no LightRAG rows for workspace \"" + *selection_.workspace + "\" (PostgreSQL workspace \"" +
                           postgres_workspace(*selection_.workspace) + "\")");
    return streams;
  }

  Status read(const StreamInfo& stream, const RecordFn& emit) override {
    auto found = plans_.find(stream.name);
    if (found == plans_.end()) return Status::internal("stream \"" + stream.name + "\" was not listed");
    const StreamPlan& plan = found->second;
    std::string frame = "table " + plan.relname + ", workspace \"" + plan.pg_workspace + "\"";
    if (!plan.table) return read_graph(plan, frame, emit);
    std::string select = "id";
    for (const PgField* field : plan.fields) select += ", " + read_expression(*field);
    if (plan.dimension > 0) select += ", content_vector::text";
    std::string sql = "COPY (SELECT " + select + " FROM public." + pg_quote_ident(plan.relname) +
                      " WHERE workspace = " + pg_quote_literal(plan.pg_workspace) + " ORDER BY id) TO STDOUT (FORMAT binary)";
    bool vector_stream = plan.storage == Storage::kVector;
    bool filtered = plan.table->ns == kLlmCacheNamespace && !selection_.cache.keeps_everything();
    int64_t left_out = 0;
    Record record;
    auto on_tuple = [&](const std::vector<PgBinaryCopyReader::Field>& cells) -> Status {
      if (cells.size() != plan.fields.size() + 1 + (plan.dimension > 0 ? 1 : 0))
        return Status::source("COPY returned an unexpected number of columns");
      if (!cells[0].data) return Status::source(frame + ": a row with a NULL id");
      std::string_view id(cells[0].data, size_t(cells[0].length));
      if (filtered && !selection_.cache.keeps(id)) {
        ++left_out;
        return Status::ok();
      }
      record.clear_keep_capacity();
      record.add("_id") = Value::of_text(id);
      for (size_t i = 0; i < plan.fields.size(); ++i) {
        const PgField& field = *plan.fields[i];
        const PgBinaryCopyReader::Field& cell = cells[i + 1];
        if (!cell.data) {
          // LightRAG's reads give null for a NULL column; a nano row has no such member at all.
          if (!vector_stream) record.add(field.member);
          continue;
        }
        Status decoded = decode(field, {cell.data, size_t(cell.length)}, record.add(field.member));
        if (!decoded) return std::move(decoded).context(frame + ", id \"" + std::string(id) + "\", column " + field.column);
      }
      if (plan.dimension > 0) {
        const PgBinaryCopyReader::Field& cell = cells.back();
        if (cell.data) {
          Value& vector = record.add("vector");
          Status parsed = parse_vector({cell.data, size_t(cell.length)}, vector);
          if (!parsed) return std::move(parsed).context(frame + ", id \"" + std::string(id) + "\"");
        }
      }
      return emit(record);
    };
    Status copied = pg_copy_out_binary(conn_.get(), sql, on_tuple);
    if (!copied && copied.side() == Side::kSource) return std::move(copied).context(frame);
    DECANT_TRY(std::move(copied));
    if (left_out > 0)
      note_(stream.name + ": left out " + std::to_string(left_out) +
            " cache entries that --cache-types does not select (default extract,summary,analysis; --cache-types all keeps every entry)");
    return Status::ok();
  }

 private:
  // PGTableGraphStorage rows: a node is its id and the members of its properties, an edge
  // {source: src_id, target: tgt_id} (LightRAG keeps src_id < tgt_id) and its properties.
  Status read_graph(const StreamPlan& plan, const std::string& frame, const RecordFn& emit) {
    bool edges = plan.storage == Storage::kGraphEdges;
    std::string sql = std::string("COPY (SELECT ") + (edges ? "src_id, tgt_id" : "id") + ", properties::text FROM public." +
                      plan.relname + " WHERE workspace = " + pg_quote_literal(plan.pg_workspace) + " AND namespace = " +
                      pg_quote_literal(plan.ns) + " ORDER BY " + (edges ? "src_id, tgt_id" : "id") +
                      ") TO STDOUT (FORMAT binary)";
    Record record;
    auto on_tuple = [&](const std::vector<PgBinaryCopyReader::Field>& cells) -> Status {
      size_t keys = edges ? 2 : 1;
      if (cells.size() != keys + 1) return Status::source("COPY returned an unexpected number of columns");
      for (size_t i = 0; i < cells.size(); ++i)
        if (!cells[i].data) return Status::source(frame + ": a graph row with a NULL column");
      auto text = [&](size_t i) { return std::string_view(cells[i].data, size_t(cells[i].length)); };
      record.clear_keep_capacity();
      Value& id = record.add("_id");
      std::string where;
      if (edges) {
        id.kind = Kind::kDocument;
        id.fields = {Field{"source", Value::of_text(text(0))}, Field{"target", Value::of_text(text(1))}};
        where = "edge \"" + std::string(text(0)) + "\" - \"" + std::string(text(1)) + "\"";
      } else {
        id = Value::of_text(text(0));
        where = "node \"" + std::string(text(0)) + "\"";
      }
      std::unique_ptr<JsonFileReader> reader = JsonFileReader::from_text(text(keys), frame + ", " + where + ", properties");
      DECANT_TRY(reader->expect('{'));
      DECANT_TRY(reader->read_members(record, "_id"));
      DECANT_TRY(reader->expect_end());
      return emit(record);
    };
    Status copied = pg_copy_out_binary(conn_.get(), sql, on_tuple);
    if (!copied && copied.side() == Side::kSource) return std::move(copied).context(frame);
    return copied;
  }

  // The members of `map` whose columns the table has (an older LightRAG's table may lack some).
  Result<std::vector<const PgField*>> columns_of(const std::string& oid, const PgTable& map) {
    Result<PgResult> columns = pg_query(conn_.get(),
        "SELECT attname FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped", Side::kSource, {oid});
    if (!columns) return columns.take_status();
    std::vector<std::string> names;
    for (int row = 0; row < PQntuples(columns->get()); ++row) names.emplace_back(pg_cell(columns->get(), row, 0));
    std::vector<const PgField*> fields;
    for (const PgField& field : map.fields)
      if (std::find(names.begin(), names.end(), field.column) != names.end()) fields.push_back(&field);
    return fields;
  }

  static Status decode(const PgField& field, std::string_view text, Value& out) {
    switch (field.conv) {
      case PgConv::kInt:
      case PgConv::kEpoch: {
        int64_t n = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (error != std::errc() || end != text.data() + text.size())
          return Status::source("\"" + std::string(text) + "\" is not an integer");
        out = Value::of_int(n);
        return Status::ok();
      }
      case PgConv::kJson: {
        std::unique_ptr<JsonFileReader> reader = JsonFileReader::from_text(text, "jsonb");
        DECANT_TRY(reader->read_value(out, 1));
        return reader->expect_end();
      }
      default: out = Value::of_text(text); return Status::ok();
    }
  }

  // pgvector's text form "[1,2.5,-3e-05]"; float32 shortest digits, so parsing is exact.
  static Status parse_vector(std::string_view text, Value& out) {
    out.kind = Kind::kVector;
    out.floats.clear();
    if (text.size() < 2 || text.front() != '[' || text.back() != ']')
      return Status::source("content_vector is not a vector");
    const char* p = text.data() + 1;
    const char* end = text.data() + text.size() - 1;
    while (p < end) {
      float f = 0;
      auto [next, error] = std::from_chars(p, end, f);
      if (error != std::errc()) return Status::source("content_vector holds a malformed element");
      out.floats.push_back(f);
      p = next;
      if (p < end && *p == ',') ++p;
    }
    return Status::ok();
  }

  PgConn conn_;
  std::string location_;
  Selection selection_;
  std::string model_;
  std::function<void(const std::string&)> note_;
  std::string server_version_, database_;
  std::map<std::string, StreamPlan> plans_;
};

}  // namespace

Result<std::unique_ptr<Source>> open_lightrag_postgres_source(const std::string& uri, const SourceOptions& options) {
  for (const char* plain : {"schema", "table", "jobs", "strip-schema"})
    if (options.settings.contains(plain)) return Status::usage(std::string("--") + plain + " does not apply with --layout lightrag");
  Result<Selection> selection = selection_from_settings(options.settings, kDefaultCacheTypes);
  if (!selection) return selection.take_status();
  std::string model;
  if (options.settings.contains("embedding-model")) {
    if (!options.settings["embedding-model"].is_string()) return Status::usage("--embedding-model takes a model name");
    model = options.settings["embedding-model"].get<std::string>();
  }
  Result<PgConn> conn = pg_connect(uri, Side::kSource);
  if (!conn) return conn.take_status();
  auto source = std::make_unique<LightragPostgresSource>(std::move(conn.value()), redact_uri(uri), std::move(selection.value()),
                                                         std::move(model), options.note);
  DECANT_TRY(source->begin());
  return std::unique_ptr<Source>(std::move(source));
}

}  // namespace decant
