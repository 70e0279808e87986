// Descriptions that travel in an archive's non-record lines: the header and each stream's
// schema. Backends fill these in; the archive layer serialises them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace decant {

// Logical column types, as named in format/SPEC.md: "bool", "int64", "int32", "float64",
// "decimal", "text", "bytes", "date", "time", "timetz", "timestamp", "timestamptz",
// "interval", "uuid", "json", "vector", "halfvec", "array<T>", "any".
struct Column {
  std::string name;
  std::string type = "any";
  std::string source_type;     // the type as the source declared it, e.g. "NVARCHAR(160)"
  bool nullable = true;
  std::string default_expr;    // source-native default expression, empty when none
};

struct Index {
  std::string name;
  std::vector<std::string> columns;
  bool unique = false;
  std::string definition;      // source-native definition (e.g. CREATE INDEX ...), may be empty
};

struct StreamInfo {
  std::string name;
  std::string kind = "table";  // table | keyspace | collection | file
  std::vector<Column> columns;
  std::vector<std::string> key;  // columns that identify a record; empty when none
  std::vector<Index> indexes;
  nlohmann::json options = nlohmann::json::object();  // backend-specific, e.g. without_rowid
  int64_t estimated_rows = -1;   // -1 when unknown
  int64_t estimated_bytes = -1;
};

struct SourceDescription {
  std::string backend;         // registry scheme, e.g. "sqlite"
  std::string location;        // with any credentials removed
  nlohmann::json snapshot;     // null when the source has no snapshot position
  nlohmann::json details = nlohmann::json::object();  // server version and the like
};

// Ordered, so "t" comes first as decant writes every line.
nlohmann::ordered_json to_json(const StreamInfo& stream);
// Fails (returns false and sets `error`) when a required member is missing or mistyped.
bool from_json(const nlohmann::json& j, StreamInfo& stream, std::string& error);

}  // namespace decant
