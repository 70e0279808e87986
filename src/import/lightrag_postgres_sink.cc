// `postgres:// --layout lightrag` import (format/SPEC.md 11.5.4): each KV, doc-status and vector
// stream goes into LightRAG's own table (created with LightRAG's DDL when missing), its members in
// LightRAG's columns, workspace "" as 'default', the records' create_time / update_time kept.
// Rows are COPYed into a temporary table and moved with one INSERT ... SELECT per batch, which
// converts the timestamps and applies the conflict policy. Graph streams go into the tables of
// LightRAG's PGTableGraphStorage (lightrag_graph_nodes / _edges: no AGE needed). Everything
// happens in one transaction:
// a failure, including an embedding dimension the existing vector table does not have, leaves the
// database as it was.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <map>
#include <unordered_map>

#include "backends/lightrag_json.h"
#include "backends/lightrag_postgres.h"
#include "backends/postgres_client.h"
#include "backends/postgres_types.h"
#include "import/layout_sinks.h"
#include "import/table_shape.h"

namespace decant {
namespace {

using namespace lightrag;

constexpr size_t kCopyChunk = 1 << 18;

struct Target {
  StreamId id;
  std::string stream;
  const PgTable* map = nullptr;
  bool table_form = false;
  bool filtered = false;
  std::string pg_workspace;
  std::string relname, qualified;
  int64_t dimension = -1;       // vectors: the stream's embedding dimension, once known
  std::string preferred_table;  // vectors: the table the archive's rows came from, if any
  bool ready = false;           // the table is resolved and the staging table made
  std::vector<const PgField*> fields;  // members with a column in the table
  bool graph = false;           // lightrag_graph_nodes / lightrag_graph_edges
  bool direct = false;          // COPY straight into the table, no staging table
  std::string stage, copy_sql, insert_sql;
  std::string endpoints_sql;    // edges: the end points' nodes, as LightRAG's upsert_edge adds them
  int64_t staged = 0, written = 0, ordinal = 0;
  std::map<std::string, int64_t> left_out;  // members without a column, by name
};

// The INSERT ... SELECT expression that turns staged text into a member's column.
std::string write_expression(const PgField& field, const std::string& staged) {
  std::string value;
  switch (field.conv) {
    case PgConv::kInt: value = staged + "::bigint"; break;
    case PgConv::kJson: value = staged + "::jsonb"; break;
    case PgConv::kEpoch: value = "(to_timestamp(" + staged + "::bigint) AT TIME ZONE 'UTC')"; break;
    case PgConv::kIso: value = "(" + staged + "::timestamptz AT TIME ZONE 'UTC')"; break;
    case PgConv::kSepArray: value = "string_to_array(" + staged + ", '<SEP>')::varchar[]"; break;
    case PgConv::kText: value = staged; break;
  }
  if (!field.missing) return value;
  // The session runs in UTC, so LOCALTIMESTAMP is LightRAG's naive-UTC "now".
  std::string fallback = std::string(field.missing) == "CURRENT_TIMESTAMP" ? "LOCALTIMESTAMP" : field.missing;
  return "COALESCE(" + value + ", " + fallback + ")";
}

class LightragPostgresSink final : public Sink {
 public:
  LightragPostgresSink(PgConn conn, Selection selection, std::string model, const SinkOptions& options)
      : conn_(std::move(conn)), selection_(std::move(selection)), model_(std::move(model)), options_(options) {}

  ~LightragPostgresSink() override { rollback(); }

  Status begin() override {
    // Types named without a schema (vector) are found where extensions usually live.
    DECANT_TRY(exec("SET search_path = pg_catalog, public"));
    DECANT_TRY(exec("BEGIN"));
    in_transaction_ = true;
    return Status::ok();
  }

  Status begin_stream(const StreamInfo& stream) override {
    Result<SinkStream> target_stream = sink_stream(stream, selection_);
    if (!target_stream) return target_stream.take_status();
    StreamId id = target_stream->id;
    if (!selection_.keeps_namespace(id.ns)) {
      options_.left_out(stream.name, "--namespaces does not select \"" + id.ns + "\"");
      return Status::ok();
    }
    bool graph = id.storage == Storage::kGraphNodes || id.storage == Storage::kGraphEdges;
    const PgTable* map = graph ? nullptr : postgres_table_of(id.ns);
    if (!map && !graph) {
      options_.left_out(stream.name, "LightRAG has no PostgreSQL table for namespace \"" + id.ns +
                                         "\" (import it into a LightRAG directory)");
      return Status::ok();
    }
    for (const auto& [name, target] : targets_)
      if (target.id == id) return Status::target("two streams for namespace \"" + id.ns + "\" of workspace \"" + id.workspace + "\"");
    Target target;
    target.id = id;
    target.stream = stream.name;
    target.map = map;
    target.graph = graph;
    target.table_form = target_stream->table_form;
    target.filtered = id.ns == kLlmCacheNamespace && !selection_.cache.keeps_everything();
    target.pg_workspace = postgres_workspace(id.workspace);
    if (map && map->storage == Storage::kVector) {
      const nlohmann::json& layout = stream.options.is_object() && stream.options.contains("lightrag")
                                         ? stream.options["lightrag"] : nlohmann::json::object();
      auto dim = layout.find("embedding_dim");
      if (dim != layout.end() && dim->is_number_integer() && dim->get<int64_t>() > 0) target.dimension = dim->get<int64_t>();
      auto table = layout.find("postgres_table");
      if (table != layout.end() && table->is_string()) target.preferred_table = table->get<std::string>();
    }
    auto [it, fresh] = targets_.emplace(stream.name, std::move(target));
    Target& placed = it->second;
    // A vector stream without embedding_dim learns it from its first record.
    if (graph || placed.map->storage != Storage::kVector || placed.dimension > 0) {
      DECANT_TRY(graph ? prepare_graph(placed) : prepare(placed));
    }
    return Status::ok();
  }

  Status write(const std::string& stream, const Record& record) override {
    auto found = targets_.find(stream);
    if (found == targets_.end()) return Status::ok();  // a stream left out at begin_stream
    Target& target = found->second;
    const Record* document = &record;
    if (target.table_form) {
      DECANT_TRY(from_table_row(record, document_));
      document = &document_;
    }
    if (document->size() == 0 || (*document)[0].name != "_id" ||
        ((*document)[0].value.kind != Kind::kText && !(target.graph && (*document)[0].value.kind == Kind::kDocument)))
      return Status::target("the record does not start with a text _id, which every LightRAG key has (SPEC 11.5.2)");
    if (target.graph) return write_graph(target, *document);
    const std::string& id = (*document)[0].value.text;
    if (target.filtered && !selection_.cache.keeps(id)) return Status::ok();
    std::string frame = "key \"" + id + "\"";
    const Value* vector = nullptr;
    if (target.map->storage == Storage::kVector) {
      vector = document->find("vector");
      if (!vector || (vector->kind != Kind::kVector && vector->kind != Kind::kHalfVector)) vector = document->find("normalized");
      if (!vector || (vector->kind != Kind::kVector && vector->kind != Kind::kHalfVector))
        return Status::target(frame + ": a vector row needs \"vector\" (or nano's \"normalized\") as $vector");
      if (!target.ready) {
        target.dimension = static_cast<int64_t>(vector->floats.size());
        DECANT_TRY(prepare(target));
      }
      if (static_cast<int64_t>(vector->floats.size()) != target.dimension)
        return Status::target(frame + ": the vector has " + std::to_string(vector->floats.size()) +
                              " dimensions, the stream's embedding_dim is " + std::to_string(target.dimension));
    }
    if (copying_ != &target) {
      DECANT_TRY(end_copy());
      DECANT_TRY(start_copy(target));
    }
    for (size_t i = 1; i < document->size(); ++i) {
      const std::string& name = (*document)[i].name;
      if (name == "_id" || (vector && (name == "vector" || name == "normalized"))) continue;
      bool kept = false;
      for (const PgField* field : target.fields) kept = kept || name == field->member;
      if (!kept) ++target.left_out[name];
    }
    if (target.direct) {
      pg_copy_escape(target.pg_workspace, buffer_);
    } else {
      buffer_ += std::to_string(++target.ordinal);
    }
    buffer_ += '\t';
    pg_copy_escape(id, buffer_);
    for (const PgField* field : target.fields) {
      buffer_ += '\t';
      const Value* value = document->find(field->member);
      Status appended = target.direct ? append_final_cell(*field, value) : append_cell(*field, value);
      if (!appended) return std::move(appended).context(frame + ", member \"" + field->member + "\"");
    }
    if (vector) {
      buffer_ += "\t[";
      char number[32];
      for (size_t i = 0; i < vector->floats.size(); ++i) {
        if (i) buffer_ += ',';
        buffer_.append(number, std::to_chars(number, number + sizeof number, vector->floats[i]).ptr);
      }
      buffer_ += ']';
    }
    buffer_ += '\n';
    ++target.staged;
    if (buffer_.size() >= kCopyChunk) DECANT_TRY(send_buffer());
    if (target.staged >= options_.batch_rows) return flush(target);
    return Status::ok();
  }

  Status end_stream(const std::string& stream) override {
    auto found = targets_.find(stream);
    if (found == targets_.end()) return Status::ok();
    Target& target = found->second;
    DECANT_TRY(flush(target));
    if (target.graph) return Status::ok();
    for (const auto& [name, count] : target.left_out)
      options_.note("postgres: " + target.stream + ": member \"" + name + "\" left out of " + with_s(count, "record") +
                    ": " + target.relname + " has no column for it (LightRAG's PostgreSQL storage does not keep it)");
    return Status::ok();
  }

  Status commit() override {
    for (auto& [name, target] : targets_) DECANT_TRY(flush(target));
    int64_t written = 0;
    for (const auto& [name, target] : targets_) written += target.written;
    if (options_.dry_run) {
      rollback();
      options_.note("postgres: dry run: would write " + with_s(written, "row") + " into LightRAG's tables");
      return Status::ok();
    }
    DECANT_TRY(exec("COMMIT"));
    in_transaction_ = false;
    std::string report = "postgres: wrote " + with_s(written, "row") + " into LightRAG's tables";
    if (skipped_) report += "; skipped " + with_s(skipped_, "existing key") + " (--conflict skip)";
    options_.note(report);
    return Status::ok();
  }

  void rollback() override {
    if (copying_) {
      PQputCopyEnd(conn_.get(), "import rolled back");
      while (PGresult* raw = PQgetResult(conn_.get())) PQclear(raw);
      copying_ = nullptr;
    }
    buffer_.clear();
    if (in_transaction_) {
      PQclear(PQexec(conn_.get(), "ROLLBACK"));
      in_transaction_ = false;
    }
  }

 private:
  Status exec(const std::string& sql) { return pg_exec(conn_.get(), sql, Side::kTarget); }

  Result<PgResult> query(const std::string& sql, const std::vector<std::string>& params = {}) {
    return pg_query(conn_.get(), sql, Side::kTarget, params);
  }

  // The table a vector stream goes to: --embedding-model names it; otherwise the one table of
  // this namespace that exists, else the one the archive's rows came from, else LightRAG's bare
  // name (what LightRAG uses for an embedding function without model_name).
  Result<std::string> vector_table(const Target& target) {
    std::string base = target.map->table;
    if (!model_.empty()) return base + "_" + postgres_vector_suffix(model_, target.dimension);
    Result<PgResult> existing = query(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'content_vector' AND NOT a.attisdropped"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND (c.relname = $1 OR starts_with(c.relname, $1 || '_'))"
        " ORDER BY c.relname",
        {base});
    if (!existing) return existing.take_status();
    int rows = PQntuples(existing->get());
    if (rows == 1) return std::string(pg_cell(existing->get(), 0, 0));
    if (rows > 1) {
      std::string names;
      for (int row = 0; row < rows; ++row) names += (row ? ", " : "") + std::string(pg_cell(existing->get(), row, 0));
      return Status::usage("postgres: " + target.stream + ": several vector tables for " + target.id.ns + " (" + names +
                           "), one per embedding model: choose with --embedding-model NAME");
    }
    const std::string& preferred = target.preferred_table;
    if (preferred == base || preferred.rfind(base + "_", 0) == 0) return preferred;
    return base;
  }

  // Resolves and, when missing, creates the target table, checks a vector table's dimension, and
  // makes the staging table. Nothing is written before every check of the stream has passed.
  Status prepare(Target& target) {
    const PgTable& map = *target.map;
    bool vectors = map.storage == Storage::kVector;
    if (vectors) {
      Result<std::string> name = vector_table(target);
      if (!name) return name.take_status();
      target.relname = *name;
      if (target.relname.size() > 63)
        return Status::usage("postgres: table name " + target.relname + " is longer than PostgreSQL's 63 characters");
    } else {
      target.relname = map.table;
    }
    target.qualified = "public." + pg_quote_ident(target.relname);
    Result<PgResult> columns = query(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.atttypmod FROM pg_attribute a"
        " WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
        {target.qualified});
    if (!columns) return columns.take_status();
    if (PQntuples(columns->get()) == 0) {
      DECANT_TRY(exec(postgres_create_table(map, target.relname, target.dimension)));
      // The indexes LightRAG's check_tables and _pg_create_table add; LightRAG adds the rest (the
      // doc-status listing indexes, the vector index) itself when it next starts.
      DECANT_TRY(exec("CREATE INDEX IF NOT EXISTS " + pg_quote_ident("idx_" + target.relname + "_id") + " ON " +
                      target.qualified + " (id); CREATE INDEX IF NOT EXISTS " +
                      pg_quote_ident("idx_" + target.relname + "_workspace_id") + " ON " + target.qualified +
                      " (workspace, id)"));
      options_.note(std::string("postgres: ") + (options_.dry_run ? "dry run: would create " : "created ") + target.relname +
                    " with LightRAG's DDL");
      columns = query(
          "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.atttypmod FROM pg_attribute a"
          " WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
          {target.qualified});
      if (!columns) return columns.take_status();
    }
    std::unordered_map<std::string, int> row_of;
    for (int row = 0; row < PQntuples(columns->get()); ++row) row_of.emplace(pg_cell(columns->get(), row, 0), row);
    std::string vector_type;
    if (vectors) {
      auto column = row_of.find("content_vector");
      if (column == row_of.end()) return Status::target(target.relname + " has no content_vector column");
      vector_type = pg_cell(columns->get(), column->second, 1);
      int64_t existing = std::stoll(std::string(pg_cell(columns->get(), column->second, 2)));
      if (existing > 0 && existing != target.dimension)
        return Status::target("embedding dimension mismatch: the archive's " + target.id.ns + " vectors have " +
                              std::to_string(target.dimension) + " dimensions, " + target.relname + " holds " +
                              vector_type + " (LightRAG would refuse them too); nothing was written. Import into "
                              "another embedding model's table with --embedding-model NAME");
    }
    target.fields.clear();
    for (const PgField& field : map.fields)
      if (row_of.count(field.column)) target.fields.push_back(&field);
    if (options_.drop || options_.truncate)
      DECANT_TRY(clear(target, "DELETE FROM " + target.qualified + " WHERE workspace = $1", {target.pg_workspace}));
    if (options_.conflict == ConflictPolicy::kError && map.storage == Storage::kKv) {
      // Nothing to reconcile and nothing that needs SQL to convert (a KV table's times are
      // written here as UTC text): the rows go straight into the table, and its primary key
      // refuses a key it already has. Half the server's work of the staged path.
      std::string columns = "workspace, id";
      for (const PgField* field : target.fields) columns += ", " + std::string(field->column);
      target.copy_sql = "COPY " + target.qualified + " (" + columns + ") FROM STDIN";
      target.direct = true;
      target.ready = true;
      return Status::ok();
    }
    target.stage = pg_quote_ident("decant_lightrag_" + std::to_string(++stage_count_));
    std::string stage_columns = "n bigint, id text", insert_columns = "workspace, id", select = pg_quote_literal(target.pg_workspace) + ", s.id";
    for (size_t i = 0; i < target.fields.size(); ++i) {
      std::string staged = "s.f" + std::to_string(i);
      stage_columns += ", f" + std::to_string(i) + " text";
      insert_columns += ", " + std::string(target.fields[i]->column);
      select += ", " + write_expression(*target.fields[i], staged);
      // LightRAG gives a vector row one instant for both of its timestamps.
      if (vectors && std::string(target.fields[i]->column) == "create_time" && row_of.count("update_time")) {
        insert_columns += ", update_time";
        select += ", " + write_expression(*target.fields[i], staged);
      }
    }
    if (vectors) {
      stage_columns += ", v text";
      insert_columns += ", content_vector";
      select += ", s.v::" + vector_type;
    }
    DECANT_TRY(exec("CREATE TEMPORARY TABLE " + target.stage + " (" + stage_columns + ") ON COMMIT DROP"));
    target.copy_sql = "COPY " + target.stage + " FROM STDIN";
    std::string insert = "INSERT INTO " + target.qualified + " (" + insert_columns + ") SELECT ";
    switch (options_.conflict) {
      case ConflictPolicy::kSkip:
        target.insert_sql = insert + select + " FROM " + target.stage + " s ON CONFLICT (workspace, id) DO NOTHING";
        break;
      case ConflictPolicy::kReplace: {
        // One INSERT may not update a row twice: the last record of a key wins, as LightRAG's upserts.
        std::string updates;
        size_t from = std::string("workspace, id, ").size();
        std::string list = insert_columns.substr(from);
        for (size_t start = 0; start <= list.size();) {
          size_t comma = list.find(", ", start);
          if (comma == std::string::npos) comma = list.size();
          std::string column = list.substr(start, comma - start);
          updates += (updates.empty() ? "" : ", ") + column + " = EXCLUDED." + column;
          start = comma + 2;
        }
        target.insert_sql = insert + select + " FROM (SELECT DISTINCT ON (id) * FROM " + target.stage +
                            " ORDER BY id, n DESC) s ON CONFLICT (workspace, id) DO UPDATE SET " + updates;
        break;
      }
      default: target.insert_sql = insert + select + " FROM " + target.stage + " s"; break;
    }
    target.ready = true;
    return Status::ok();
  }

  // --drop / --truncate: the workspace's rows go before the stream's first record.
  Status clear(const Target& target, const std::string& sql, const std::vector<std::string>& params) {
    Result<PgResult> deleted = query(sql, params);
    if (!deleted) return deleted.take_status();
    std::string count = PQcmdTuples(deleted->get());
    if (count != "0")
      options_.note("postgres: deleted " + count + " rows of workspace \"" + target.pg_workspace + "\" from " +
                    target.relname + " first (--drop / --truncate)");
    return Status::ok();
  }

  // PGTableGraphStorage's tables, made as its DDL makes them when missing (LightRAG adds its
  // foreign keys and indexes itself when it next starts), and the statements of a graph stream.
  Status prepare_graph(Target& target) {
    bool edges = target.id.storage == Storage::kGraphEdges;
    target.relname = edges ? "lightrag_graph_edges" : "lightrag_graph_nodes";
    target.qualified = "public." + target.relname;
    DECANT_TRY(exec(
        "CREATE TABLE IF NOT EXISTS public.lightrag_graph_nodes (workspace TEXT NOT NULL, namespace TEXT NOT NULL DEFAULT"
        " 'chunk_entity_relation', id TEXT NOT NULL, properties JSONB NOT NULL DEFAULT '{}', updated_at TIMESTAMPTZ NOT NULL"
        " DEFAULT now(), PRIMARY KEY (workspace, namespace, id));"
        " CREATE TABLE IF NOT EXISTS public.lightrag_graph_edges (workspace TEXT NOT NULL, namespace TEXT NOT NULL DEFAULT"
        " 'chunk_entity_relation', src_id TEXT NOT NULL, tgt_id TEXT NOT NULL, properties JSONB NOT NULL DEFAULT '{}',"
        " updated_at TIMESTAMPTZ NOT NULL DEFAULT now(), PRIMARY KEY (workspace, namespace, src_id, tgt_id))"));
    std::string where = pg_quote_literal(target.pg_workspace) + ", " + pg_quote_literal(target.id.ns);
    if (options_.drop || options_.truncate) {
      // Edges first: a database LightRAG set up has them cascade, one decant made has no keys yet.
      std::string match = " WHERE workspace = $1 AND namespace = $2";
      if (!edges) {
        Result<PgResult> edges_deleted = query("DELETE FROM public.lightrag_graph_edges" + match, {target.pg_workspace, target.id.ns});
        if (!edges_deleted) return edges_deleted.take_status();
      }
      DECANT_TRY(clear(target, "DELETE FROM " + target.qualified + match, {target.pg_workspace, target.id.ns}));
    }
    target.stage = pg_quote_ident("decant_lightrag_" + std::to_string(++stage_count_));
    std::string keys = edges ? "src_id, tgt_id" : "id";
    std::string staged_keys = edges ? "s.src_id, s.tgt_id" : "s.id";
    DECANT_TRY(exec("CREATE TEMPORARY TABLE " + target.stage + " (n bigint, " +
                    (edges ? "src_id text, tgt_id text" : "id text") + ", properties text) ON COMMIT DROP"));
    target.copy_sql = "COPY " + target.stage + " FROM STDIN";
    if (edges)
      target.endpoints_sql = "INSERT INTO public.lightrag_graph_nodes (workspace, namespace, id, properties, updated_at)"
                             " SELECT DISTINCT " + where + ", e.id, jsonb_build_object('entity_id', e.id), now() FROM " +
                             target.stage + " s CROSS JOIN LATERAL (VALUES (s.src_id), (s.tgt_id)) e(id)"
                             " ON CONFLICT (workspace, namespace, id) DO NOTHING";
    std::string insert = "INSERT INTO " + target.qualified + " (workspace, namespace, " + keys + ", properties, updated_at) SELECT " +
                         where + ", " + staged_keys + ", s.properties::jsonb, now() FROM ";
    std::string conflict = " ON CONFLICT (workspace, namespace, " + keys + ")";
    switch (options_.conflict) {
      case ConflictPolicy::kSkip: target.insert_sql = insert + target.stage + " s" + conflict + " DO NOTHING"; break;
      case ConflictPolicy::kReplace:
        target.insert_sql = insert + "(SELECT DISTINCT ON (" + keys + ") * FROM " + target.stage + " ORDER BY " + keys +
                            ", n DESC) s" + conflict + " DO UPDATE SET properties = EXCLUDED.properties, updated_at = now()";
        break;
      default: target.insert_sql = insert + target.stage + " s"; break;
    }
    target.ready = true;
    return Status::ok();
  }

  // A node (its id, its attributes as the properties object) or an edge, its end points in
  // LightRAG's order (src_id < tgt_id, as Python's min and max of the two).
  Status write_graph(Target& target, const Record& document) {
    const Value& id = document[0].value;
    std::string keys;
    if (target.id.storage == Storage::kGraphEdges) {
      const Value* source = nullptr;
      const Value* destination = nullptr;
      if (id.kind == Kind::kDocument)
        for (const Field& f : id.fields) {
          if (f.name == "source" && f.value.kind == Kind::kText) source = &f.value;
          if (f.name == "target" && f.value.kind == Kind::kText) destination = &f.value;
        }
      if (!source || !destination)
        return Status::target("an edge whose _id is not {\"source\": TEXT, \"target\": TEXT}");
      const std::string& low = std::min(source->text, destination->text);
      const std::string& high = std::max(source->text, destination->text);
      pg_copy_escape(low, keys);
      keys += '\t';
      pg_copy_escape(high, keys);
    } else {
      if (id.kind != Kind::kText) return Status::target("a node whose _id is not text");
      pg_copy_escape(id.text, keys);
    }
    json_.clear();
    bool first = true;
    for (size_t i = 1; i < document.size(); ++i) {
      const Field& field = document[i];
      if (field.name == "_id") continue;
      Status member = append_py_member(field.name, field.value, PyLayout::kOneLine, 0, first, json_);
      if (!member) return std::move(member).context("field \"" + field.name + "\"");
      first = false;
    }
    append_py_object_end(first, PyLayout::kOneLine, 0, json_);
    if (copying_ != &target) {
      DECANT_TRY(end_copy());
      DECANT_TRY(start_copy(target));
    }
    buffer_ += std::to_string(++target.ordinal);
    buffer_ += '\t';
    buffer_ += keys;
    buffer_ += '\t';
    pg_copy_escape(json_, buffer_);
    buffer_ += '\n';
    ++target.staged;
    if (buffer_.size() >= kCopyChunk) DECANT_TRY(send_buffer());
    if (target.staged >= options_.batch_rows) return flush(target);
    return Status::ok();
  }

  // One member as text for the staging table: text as is, numbers in decimal, everything else
  // (and text for a JSON column) as Python's json.dumps would write it.
  Status append_cell(const PgField& field, const Value* value) {
    if (!value || value->kind == Kind::kNull) {
      buffer_ += "\\N";
      return Status::ok();
    }
    if (field.conv != PgConv::kJson && value->kind == Kind::kText) {
      if (value->text.find('\0') != std::string::npos) return Status::target("PostgreSQL text cannot hold the character U+0000");
      pg_copy_escape(value->text, buffer_);
      return Status::ok();
    }
    if (value->kind == Kind::kInt64 || value->kind == Kind::kInt32) {
      char number[24];
      buffer_.append(number, std::to_chars(number, number + sizeof number, value->integer).ptr);
      return Status::ok();
    }
    json_.clear();
    DECANT_TRY(append_py_json(*value, PyLayout::kOneLine, 1, json_));
    pg_copy_escape(json_, buffer_);
    return Status::ok();
  }

  // A member as its column's own text, for the direct COPY: what the staged path's INSERT ...
  // SELECT would make of it, LightRAG's value when it is missing included.
  Status append_final_cell(const PgField& field, const Value* value) {
    bool missing = !value || value->kind == Kind::kNull;
    if (field.conv == PgConv::kEpoch) {
      int64_t seconds = 0;
      if (missing) seconds = static_cast<int64_t>(std::time(nullptr));
      else if (value->kind == Kind::kInt64 || value->kind == Kind::kInt32) seconds = value->integer;
      else return Status::target("not an integer (Unix seconds)");
      std::time_t t = static_cast<std::time_t>(seconds);
      std::tm utc{};
      if (!gmtime_r(&t, &utc)) return Status::target(std::to_string(seconds) + " is not a time PostgreSQL can hold");
      char text[40];
      std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                    utc.tm_hour, utc.tm_min, utc.tm_sec);
      buffer_ += text;
      return Status::ok();
    }
    if (missing && field.missing) {
      // The upsert's default as text: 'extract' -> extract, '[]'::jsonb -> [], -1 -> -1.
      std::string_view literal = field.missing;
      if (!literal.empty() && literal.front() == '\'') literal = literal.substr(1, literal.find('\'', 1) - 1);
      buffer_ += literal;
      return Status::ok();
    }
    return append_cell(field, value);
  }

  Status start_copy(Target& target) {
    PgResult started(PQexec(conn_.get(), target.copy_sql.c_str()));
    if (!started || PQresultStatus(started.get()) != PGRES_COPY_IN)
      return Status::target(started ? pg_result_error(started.get()) : pg_error(conn_.get()));
    copying_ = &target;
    return Status::ok();
  }

  Status send_buffer() {
    if (buffer_.empty()) return Status::ok();
    if (PQputCopyData(conn_.get(), buffer_.data(), static_cast<int>(buffer_.size())) != 1)
      return Status::target(pg_error(conn_.get()));
    buffer_.clear();
    return Status::ok();
  }

  Status end_copy() {
    if (!copying_) return Status::ok();
    Target& target = *copying_;
    DECANT_TRY(send_buffer());
    copying_ = nullptr;
    Status ended = pg_end_copy(conn_.get(), Side::kTarget);
    if (!ended) return std::move(ended).context("stream \"" + target.stream + "\"");
    return Status::ok();
  }

  // Moves the staged rows into the LightRAG table.
  Status flush(Target& target) {
    if (!target.ready || target.staged == 0) return Status::ok();
    if (interrupt_requested()) return interrupted_status();
    DECANT_TRY(end_copy());
    if (target.direct) {
      target.written += target.staged;
      target.staged = 0;
      return Status::ok();
    }
    std::string frame = "table " + target.relname;
    if (!target.endpoints_sql.empty()) DECANT_TRY(exec(target.endpoints_sql));
    // --conflict error: the primary key finds a key the table already has (or the archive has
    // twice) faster than a join of the staged rows could; the import then rolls back.
    PgResult inserted(PQexec(conn_.get(), target.insert_sql.c_str()));
    if (!inserted || PQresultStatus(inserted.get()) != PGRES_COMMAND_OK) {
      const char* state = inserted ? PQresultErrorField(inserted.get(), PG_DIAG_SQLSTATE) : nullptr;
      const char* detail = inserted ? PQresultErrorField(inserted.get(), PG_DIAG_MESSAGE_DETAIL) : nullptr;
      if (state && std::string_view(state) == "23505" && detail)  // unique_violation
        return Status::target(frame + ": " + detail +
                              " (--conflict skip or replace, or --drop to replace the workspace's rows)");
      return Status::target(inserted ? pg_result_error(inserted.get()) : pg_error(conn_.get())).context(frame);
    }
    int64_t rows = std::stoll(std::string(PQcmdTuples(inserted.get())));
    target.written += rows;
    if (options_.conflict == ConflictPolicy::kSkip) skipped_ += target.staged - rows;
    target.staged = 0;
    return exec("TRUNCATE " + target.stage);
  }

  PgConn conn_;
  Selection selection_;
  std::string model_;
  SinkOptions options_;
  std::map<std::string, Target> targets_;  // std::map: copying_ points into it
  Target* copying_ = nullptr;
  Record document_;
  std::string buffer_, json_;
  int stage_count_ = 0;
  int64_t skipped_ = 0;
  bool in_transaction_ = false;
};

}  // namespace

Result<std::unique_ptr<Sink>> open_lightrag_postgres_sink(const std::string& uri, const SinkOptions& options) {
  if (options.settings.is_object() && options.settings.value("staged", false))
    return Status::usage("--staged does not apply with --layout lightrag");
  if (options.txn != TxnMode::kSingle)
    return Status::usage("postgres --layout lightrag imports in one transaction (--txn single), so that a refused "
                         "stream (such as an embedding dimension mismatch) leaves nothing written");
  if (options.conflict == ConflictPolicy::kMerge)
    return Status::usage("postgres: conflict policy \"merge\" is not supported with --layout lightrag (LightRAG replaces "
                         "whole records: use replace)");
  Result<Selection> selection = selection_from_settings(options.settings, "all");
  if (!selection) return selection.take_status();
  std::string model;
  if (options.settings.is_object() && options.settings.contains("embedding-model")) {
    if (!options.settings["embedding-model"].is_string()) return Status::usage("--embedding-model takes a model name");
    model = options.settings["embedding-model"].get<std::string>();
  }
  Result<PgConn> conn = pg_connect(uri, Side::kTarget);
  if (!conn) return conn.take_status();
  return std::unique_ptr<Sink>(new LightragPostgresSink(std::move(conn.value()), std::move(selection.value()),
                                                        std::move(model), options));
}

}  // namespace decant
