// LightRAG's PostgreSQL tables (lightrag/kg/postgres_impl.py of lightrag-hku 1.5.7, format/SPEC.md
// 11.5.4): which LIGHTRAG_* table holds a namespace, the DDL LightRAG creates it with, and how each
// member of a logical record maps to a column. Shared by the `postgres:// --layout lightrag`
// source and sink, so both directions use one mapping.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "layouts/lightrag.h"

namespace decant::lightrag {

// How a member is kept in its column.
enum class PgConv {
  kText,      // text / varchar
  kInt,       // integer
  kJson,      // jsonb, the member's plain JSON
  kEpoch,     // TIMESTAMP (UTC) <-> int Unix seconds
  kIso,       // TIMESTAMP (UTC) <-> ISO-8601 text as Python's isoformat() gives it (+00:00)
  kSepArray,  // varchar[] <-> the elements joined by "<SEP>" (vector chunk_ids <-> source_id)
};

struct PgField {
  const char* member;  // the logical record's member
  const char* column;  // LightRAG's column
  PgConv conv;
  // SQL LightRAG's upsert puts there when the record lacks the member (nullptr: NULL).
  const char* missing = nullptr;
  // SQL LightRAG's read puts in the record for NULL (its COALESCE); nullptr: null.
  const char* read_null = nullptr;
};

struct PgTable {
  std::string_view ns;  // LightRAG's namespace
  const char* table;    // lower case, as PostgreSQL folds LightRAG's unquoted names
  Storage storage;
  std::vector<PgField> fields;  // in the order LightRAG's JSON storages write them
  std::string ddl;      // LightRAG's CREATE TABLE, with TABLE_NAME and (vectors) DIMENSION to fill in
};

// Every table LightRAG's PG KV, doc-status and vector storages use, in deployment order.
const std::vector<PgTable>& postgres_tables();
// The table of a namespace (by suffix, as LightRAG's namespace map); nullptr for a graph or unknown one.
const PgTable* postgres_table_of(std::string_view ns);
// LightRAG's CREATE TABLE IF NOT EXISTS for public.`name` (a vector table: with its dimension).
std::string postgres_create_table(const PgTable& table, const std::string& name, int64_t dimension);
// The model suffix LightRAG 1.5.7 gives a vector table: model name lower-cased, every character
// outside [a-zA-Z0-9_] replaced by '_', then "_{dim}d" (base._generate_collection_suffix).
std::string postgres_vector_suffix(std::string_view model, int64_t dimension);

}  // namespace decant::lightrag
