// The LightRAG layout (format/SPEC.md 11.5): how a LightRAG deployment is carried in an archive
// whatever store it lives in, and how the logical streams map to each store's own naming. Every
// backend that reads or writes LightRAG data (the `lightrag:` working directory, and
// `--layout lightrag` of Redis, PostgreSQL and MongoDB) shares these rules.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/pipeline.h"
#include "format/schema.h"
#include "format/status.h"
#include "format/value.h"

namespace decant::lightrag {

// How a namespace is stored; the graph namespace gives two streams.
enum class Storage { kKv, kDocStatus, kVector, kGraphNodes, kGraphEdges };

const char* storage_name(Storage storage);  // "kv", "doc_status", "vector", "graph_nodes", "graph_edges"
std::optional<Storage> storage_from_name(std::string_view name);

// LightRAG's namespaces (lightrag/namespace.py), in the order a default deployment has them.
const std::vector<std::string>& kv_namespaces();      // full_docs, text_chunks, llm_response_cache, ...
const std::vector<std::string>& vector_namespaces();  // entities, relationships, chunks
inline constexpr std::string_view kDocStatusNamespace = "doc_status";
inline constexpr std::string_view kGraphNamespace = "chunk_entity_relation";
inline constexpr std::string_view kLlmCacheNamespace = "llm_response_cache";

// The storage of a key-value, doc-status or vector namespace by its name alone (SPEC 11.5.1: by
// suffix, as LightRAG's is_namespace does): doc status, vector or, for anything else, KV.
Storage storage_of_namespace(std::string_view ns);
// Whether LightRAG treats the namespace as a cache (legacy nested format, flush on finalize).
bool is_cache_namespace(std::string_view ns);

// LightRAG's own rule (utils.validate_workspace): one path component, no '/' or '\', not "." or "..".
// The empty workspace is valid: it is LightRAG's default.
bool valid_workspace(std::string_view workspace);

// One logical stream: a namespace of a workspace, and how it is stored.
struct StreamId {
  std::string workspace;  // logical: "" is LightRAG's default workspace
  std::string ns;
  Storage storage = Storage::kKv;
  bool operator==(const StreamId&) const = default;
};

// "[WS/]NS", with ".nodes" / ".edges" for the two streams of a graph namespace.
std::string stream_name(const StreamId& id);
// A collection stream keyed by _id, with options {"lightrag": {workspace, namespace, storage}}.
StreamInfo make_stream(const StreamId& id);
// The stream's identity: from options.lightrag when present, else from its name (a stream that
// went through a store that keeps no stream options, such as SQLite in table form).
Result<StreamId> identify_stream(const StreamInfo& stream);

// Native naming (SPEC 11.5.4).
// PostgreSQL keeps LightRAG's empty workspace as 'default'; the two are the same workspace.
std::string postgres_workspace(const std::string& logical);
std::string logical_workspace_from_postgres(const std::string& postgres);
// Redis key prefix "WS_NS:" ("NS:" for the empty workspace) and MongoDB collection "WS_NS" ("NS").
std::string redis_key_prefix(const std::string& workspace, const std::string& ns);
std::string mongo_collection(const std::string& workspace, const std::string& ns);
// LIGHTRAG_* table of a key-value or doc-status namespace; empty for other namespaces. Vector
// tables carry a model suffix and are found by pattern: postgres_vector_table_base gives the base.
std::string postgres_table(std::string_view ns);
std::string postgres_vector_table_base(std::string_view ns);
// Apache AGE graph name: "WS_NS" with every character outside [A-Za-z0-9_] replaced by '_';
// plain NS for the empty workspace and for "default" in any case.
std::string age_graph_name(const std::string& workspace, const std::string& ns);

// LLM cache keys "{mode}:{cache_type}:{hash}".
struct CacheKey {
  std::string_view mode, cache_type, hash;
};
// Split on ':' at most twice, as LightRAG's parse_cache_key; nullopt when there are fewer parts.
std::optional<CacheKey> parse_cache_key(std::string_view key);
// LightRAG's test for a flattened cache file: the key has exactly three ':'-separated parts.
bool is_flattened_cache_key(std::string_view key);
// The key a legacy nested entry gets: "{mode}:{cache_type}:{hash}".
std::string flattened_cache_key(std::string_view mode, std::string_view cache_type, std::string_view hash);

// --cache-types: which llm_response_cache entries to keep (SPEC 11.5.2).
class CacheFilter {
 public:
  static CacheFilter all() { return CacheFilter(); }
  // "extract,summary,analysis", "all", or any comma-separated cache types.
  static Result<CacheFilter> parse(std::string_view list);
  bool keeps_everything() const { return everything_; }
  bool keeps(std::string_view key) const;

 private:
  bool everything_ = true;
  std::set<std::string, std::less<>> types_;
};
inline constexpr std::string_view kDefaultCacheTypes = "extract,summary,analysis";

// What part of a deployment an export or import takes: --workspace, --namespaces, --cache-types.
struct Selection {
  std::optional<std::string> workspace;  // only this workspace; unset: every workspace
  std::set<std::string, std::less<>> namespaces;  // empty: every namespace
  CacheFilter cache = CacheFilter::all();

  bool keeps_workspace(std::string_view workspace) const;
  bool keeps_namespace(std::string_view ns) const;
};
// Reads the backend settings "workspace", "namespaces" and "cache-types"; `default_cache_types`
// applies when --cache-types is not given.
Result<Selection> selection_from_settings(const nlohmann::json& settings, std::string_view default_cache_types);

// What a sink makes of an archive stream: its logical identity with --workspace applied, and
// whether it arrives in table form (SPEC 11.0 rule 1). A stream with other columns is refused.
struct SinkStream {
  StreamId id;
  bool table_form = false;
};
Result<SinkStream> sink_stream(const StreamInfo& stream, const Selection& selection);

// The command-line options of every LightRAG reader and writer: --workspace, --namespaces,
// --cache-types (export: default extract,summary,analysis; import: default all).
std::vector<BackendOption> export_options();
std::vector<BackendOption> import_options();
// --embedding-model NAME, for PostgreSQL: picks the vector tables of one embedding model
// (LIGHTRAG_VDB_*_{model}_{dim}d), as LightRAG's embedding function's model_name does.
BackendOption embedding_model_option();
// --layout, for backends that also have a plain mode: "lightrag" selects SPEC 11.5.4.
BackendOption layout_option();
// Whether the settings ask for the LightRAG layout; fails on an unknown layout.
Result<bool> wants_lightrag_layout(const nlohmann::json& settings);

// A legacy nested cache entry (SPEC 11.5.2): `value` is what key `mode` held. When every member
// is an object holding "return", calls `emit` once per member with the flattened record
// ({mode}:{cache_type or extract}:{hash}, members unchanged) and returns true; otherwise
// returns false and emits nothing (the entry is an ordinary record).
Result<bool> expand_legacy_cache(const std::string& mode, Value& value, const std::function<Status(const Record&)>& emit);

}  // namespace decant::lightrag
