#include "backends/lightrag_postgres.h"

#include <cctype>

#include "backends/postgres_client.h"

namespace decant::lightrag {
namespace {

constexpr const char* kNow = "CURRENT_TIMESTAMP";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::vector<PgTable> build() {
  using C = PgConv;
  // KV namespaces keep their timestamps in create_time / update_time; LightRAG stamps "now" when
  // a record has none.
  const PgField create{"create_time", "create_time", C::kEpoch, kNow};
  const PgField update{"update_time", "update_time", C::kEpoch, kNow};
  auto list_kv = [&](std::string_view ns, const char* table, const char* list) {
    std::string ddl = std::string("CREATE TABLE IF NOT EXISTS QUALIFIED_NAME (id VARCHAR(") +
                      (ns == "entity_chunks" || ns == "relation_chunks" ? "512" : "255") +
                      "), workspace VARCHAR(255), " + list +
                      " JSONB, count INTEGER, create_time TIMESTAMP(0) DEFAULT CURRENT_TIMESTAMP,"
                      " update_time TIMESTAMP(0) DEFAULT CURRENT_TIMESTAMP,"
                      " CONSTRAINT TABLE_NAME_PK PRIMARY KEY (workspace, id))";
    return PgTable{ns, table, Storage::kKv,
                   {{list, list, C::kJson}, {"count", "count", C::kInt}, create, update}, std::move(ddl)};
  };
  std::vector<PgTable> tables;
  tables.push_back(PgTable{
      "full_docs", "lightrag_doc_full", Storage::kKv,
      {{"content", "content", C::kText, nullptr, "''"},
       {"file_path", "doc_name", C::kText, nullptr, "''"},
       {"sidecar_location", "sidecar_location", C::kText},
       {"parse_format", "parse_format", C::kText},
       {"content_hash", "content_hash", C::kText},
       {"process_options", "process_options", C::kText},
       {"chunk_options", "chunk_options", C::kJson, "'{}'::jsonb", "'{}'::jsonb"},
       {"parse_engine", "parse_engine", C::kText},
       create,
       update},
      "CREATE TABLE IF NOT EXISTS QUALIFIED_NAME (id VARCHAR(255), workspace VARCHAR(255), doc_name VARCHAR(1024),"
      " content TEXT, meta JSONB, sidecar_location TEXT NULL, parse_format VARCHAR(32) NULL DEFAULT 'raw',"
      " content_hash TEXT NULL, process_options TEXT NULL, chunk_options JSONB NULL DEFAULT '{}'::jsonb,"
      " parse_engine TEXT NULL, create_time TIMESTAMP(0) DEFAULT CURRENT_TIMESTAMP,"
      " update_time TIMESTAMP(0) DEFAULT CURRENT_TIMESTAMP, CONSTRAINT TABLE_NAME_PK PRIMARY KEY (workspace, id))"});
  tables.push_back(PgTable{
      "text_chunks", "lightrag_doc_chunks", Storage::kKv,
      {{"tokens", "tokens", C::kInt},
       {"content", "content", C::kText, nullptr, "''"},
       {"chunk_order_index", "chunk_order_index", C::kInt},
       {"full_doc_id", "full_doc_id", C::kText},
       {"file_path", "file_path", C::kText},
       {"llm_cache_list", "llm_cache_list", C::kJson, "'[]'::jsonb", "'[]'::jsonb"},
       {"heading", "heading", C::kJson, "'{}'::jsonb", "'{}'::jsonb"},
       {"sidecar", "sidecar", C::kJson, "'{}'::jsonb", "'{}'::jsonb"},
       create,
       update},
      "CREATE TABLE IF NOT EXISTS QUALIFIED_NAME (id VARCHAR(255), workspace VARCHAR(255), full_doc_id VARCHAR(256),"
      " chunk_order_index INTEGER, tokens INTEGER, content TEXT, file_path TEXT NULL,"
      " llm_cache_list JSONB NULL DEFAULT '[]'::jsonb, heading JSONB NULL DEFAULT '{}'::jsonb,"
      " sidecar JSONB NULL DEFAULT '{}'::jsonb, create_time TIMESTAMP(0) DEFAULT CURRENT_TIMESTAMP,"
      " update_time TIMESTAMP(0) DEFAULT CURRENT_TIMESTAMP, CONSTRAINT TABLE_NAME_PK PRIMARY KEY (workspace, id))"});
  tables.push_back(PgTable{
      "llm_response_cache", "lightrag_llm_cache", Storage::kKv,
      {{"return", "return_value", C::kText},
       {"cache_type", "cache_type", C::kText, "'extract'"},
       {"chunk_id", "chunk_id", C::kText},
       {"original_prompt", "original_prompt", C::kText},
       {"queryparam", "queryparam", C::kJson},
       create,
       update},
      "CREATE TABLE IF NOT EXISTS QUALIFIED_NAME (workspace varchar(255) NOT NULL, id varchar(255) NOT NULL,"
      " original_prompt TEXT, return_value TEXT, chunk_id VARCHAR(255) NULL, cache_type VARCHAR(32),"
      " queryparam JSONB NULL, create_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
      " update_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP, CONSTRAINT TABLE_NAME_PK PRIMARY KEY (workspace, id))"});
  tables.push_back(list_kv("full_entities", "lightrag_full_entities", "entity_names"));
  tables.push_back(list_kv("full_relations", "lightrag_full_relations", "relation_pairs"));
  tables.push_back(list_kv("entity_chunks", "lightrag_entity_chunks", "chunk_ids"));
  tables.push_back(list_kv("relation_chunks", "lightrag_relation_chunks", "chunk_ids"));
  tables.push_back(PgTable{
      "doc_status", "lightrag_doc_status", Storage::kDocStatus,
      {{"status", "status", C::kText},
       {"chunks_count", "chunks_count", C::kInt, "-1"},
       {"chunks_list", "chunks_list", C::kJson, "'[]'::jsonb", "'[]'::jsonb"},
       {"content_summary", "content_summary", C::kText},
       {"content_length", "content_length", C::kInt},
       {"created_at", "created_at", C::kIso, kNow},
       {"updated_at", "updated_at", C::kIso, kNow},
       {"file_path", "file_path", C::kText},
       {"track_id", "track_id", C::kText},
       {"metadata", "metadata", C::kJson, "'{}'::jsonb", "'{}'::jsonb"},
       {"error_msg", "error_msg", C::kText},
       {"content_hash", "content_hash", C::kText}},
      "CREATE TABLE IF NOT EXISTS QUALIFIED_NAME (workspace varchar(255) NOT NULL, id varchar(255) NOT NULL,"
      " content_summary varchar(255) NULL, content_length int4 NULL, chunks_count int4 NULL, status varchar(64) NULL,"
      " file_path TEXT NULL, chunks_list JSONB NULL DEFAULT '[]'::jsonb, track_id varchar(255) NULL,"
      " metadata JSONB NULL DEFAULT '{}'::jsonb, error_msg TEXT NULL, content_hash TEXT NULL,"
      " created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
      " CONSTRAINT TABLE_NAME_PK PRIMARY KEY (workspace, id))"});
  // Vector rows: created_at <-> create_time; LightRAG sets update_time to the same instant.
  const PgField created{"created_at", "create_time", C::kEpoch, kNow};
  tables.push_back(PgTable{
      "entities", "lightrag_vdb_entity", Storage::kVector,
      {created,
       {"entity_name", "entity_name", C::kText},
       {"content", "content", C::kText},
       {"source_id", "chunk_ids", C::kSepArray},
       {"file_path", "file_path", C::kText}},
      "CREATE TABLE IF NOT EXISTS QUALIFIED_NAME (id VARCHAR(255), workspace VARCHAR(255), entity_name VARCHAR(512),"
      " content TEXT, content_vector VECTOR(DIMENSION), create_time TIMESTAMP(0) DEFAULT CURRENT_TIMESTAMP,"
      " update_time TIMESTAMP(0) DEFAULT CURRENT_TIMESTAMP, chunk_ids VARCHAR(255)[] NULL, file_path TEXT NULL,"
      " CONSTRAINT TABLE_NAME_PK PRIMARY KEY (workspace, id))"});
  tables.push_back(PgTable{
      "relationships", "lightrag_vdb_relation", Storage::kVector,
      {created,
       {"src_id", "source_id", C::kText},
       {"tgt_id", "target_id", C::kText},
       {"source_id", "chunk_ids", C::kSepArray},
       {"content", "content", C::kText},
       {"file_path", "file_path", C::kText}},
      "CREATE TABLE IF NOT EXISTS QUALIFIED_NAME (id VARCHAR(255), workspace VARCHAR(255), source_id VARCHAR(512),"
      " target_id VARCHAR(512), content TEXT, content_vector VECTOR(DIMENSION),"
      " create_time TIMESTAMP(0) DEFAULT CURRENT_TIMESTAMP, update_time TIMESTAMP(0) DEFAULT CURRENT_TIMESTAMP,"
      " chunk_ids VARCHAR(255)[] NULL, file_path TEXT NULL, CONSTRAINT TABLE_NAME_PK PRIMARY KEY (workspace, id))"});
  tables.push_back(PgTable{
      "chunks", "lightrag_vdb_chunks", Storage::kVector,
      {created,
       {"content", "content", C::kText},
       {"full_doc_id", "full_doc_id", C::kText},
       {"file_path", "file_path", C::kText},
       {"tokens", "tokens", C::kInt},
       {"chunk_order_index", "chunk_order_index", C::kInt}},
      "CREATE TABLE IF NOT EXISTS QUALIFIED_NAME (id VARCHAR(255), workspace VARCHAR(255), full_doc_id VARCHAR(256),"
      " chunk_order_index INTEGER, tokens INTEGER, content TEXT, content_vector VECTOR(DIMENSION), file_path TEXT NULL,"
      " create_time TIMESTAMP(0) DEFAULT CURRENT_TIMESTAMP, update_time TIMESTAMP(0) DEFAULT CURRENT_TIMESTAMP,"
      " CONSTRAINT TABLE_NAME_PK PRIMARY KEY (workspace, id))"});
  return tables;
}

void replace_all(std::string& text, std::string_view from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

}  // namespace

const std::vector<PgTable>& postgres_tables() {
  static const std::vector<PgTable> tables = build();
  return tables;
}

const PgTable* postgres_table_of(std::string_view ns) {
  Storage storage = storage_of_namespace(ns);
  for (const PgTable& table : postgres_tables())
    if (table.storage == storage && ends_with(ns, table.ns)) return &table;
  return nullptr;
}

std::string postgres_create_table(const PgTable& table, const std::string& name, int64_t dimension) {
  std::string ddl = table.ddl;
  replace_all(ddl, "QUALIFIED_NAME", "public." + pg_quote_ident(name));
  replace_all(ddl, "TABLE_NAME", name);
  replace_all(ddl, "DIMENSION", std::to_string(dimension));
  return ddl;
}

std::string postgres_vector_suffix(std::string_view model, int64_t dimension) {
  while (!model.empty() && std::isspace(static_cast<unsigned char>(model.front()))) model.remove_prefix(1);
  while (!model.empty() && std::isspace(static_cast<unsigned char>(model.back()))) model.remove_suffix(1);
  std::string suffix;
  for (char c : model) {
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    suffix += std::isalnum(static_cast<unsigned char>(lower)) || lower == '_' ? lower : '_';
  }
  return suffix + "_" + std::to_string(dimension) + "d";
}

}  // namespace decant::lightrag
