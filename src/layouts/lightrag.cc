#include "layouts/lightrag.h"

#include <algorithm>
#include <cctype>

#include "import/table_shape.h"

namespace decant::lightrag {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// `ns` is `base`, or a prefixed form of it ("PREFIX_base"), as 2025 releases allowed.
bool names(std::string_view ns, std::string_view base) {
  return ns == base || (ends_with(ns, base) && ns.size() > base.size() && ns[ns.size() - base.size() - 1] == '_');
}

constexpr std::string_view kNodesSuffix = ".nodes";
constexpr std::string_view kEdgesSuffix = ".edges";

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = list.substr(start, comma - start);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
    if (!item.empty()) items.emplace_back(item);
    start = comma + 1;
  }
  return items;
}

}  // namespace

const char* storage_name(Storage storage) {
  switch (storage) {
    case Storage::kKv: return "kv";
    case Storage::kDocStatus: return "doc_status";
    case Storage::kVector: return "vector";
    case Storage::kGraphNodes: return "graph_nodes";
    case Storage::kGraphEdges: return "graph_edges";
  }
  return "?";
}

std::optional<Storage> storage_from_name(std::string_view name) {
  for (Storage s : {Storage::kKv, Storage::kDocStatus, Storage::kVector, Storage::kGraphNodes, Storage::kGraphEdges})
    if (name == storage_name(s)) return s;
  return std::nullopt;
}

const std::vector<std::string>& kv_namespaces() {
  static const std::vector<std::string> names = {"full_docs",      "text_chunks",     "llm_response_cache",
                                                 "full_entities",  "full_relations",  "entity_chunks",
                                                 "relation_chunks"};
  return names;
}

const std::vector<std::string>& vector_namespaces() {
  static const std::vector<std::string> names = {"entities", "relationships", "chunks"};
  return names;
}

Storage storage_of_namespace(std::string_view ns) {
  if (ends_with(ns, kDocStatusNamespace)) return Storage::kDocStatus;
  // full_entities ends in "_entities" and text_chunks in "_chunks": KV names are tested first,
  // as LightRAG's namespace map lists them first.
  for (const std::string& kv : kv_namespaces())
    if (names(ns, kv)) return Storage::kKv;
  for (const std::string& vector : vector_namespaces())
    if (names(ns, vector)) return Storage::kVector;
  return Storage::kKv;
}

bool is_cache_namespace(std::string_view ns) { return ends_with(ns, "_cache"); }

bool valid_workspace(std::string_view workspace) {
  return workspace != "." && workspace != ".." && workspace.find('/') == std::string_view::npos &&
         workspace.find('\\') == std::string_view::npos;
}

std::string stream_name(const StreamId& id) {
  std::string name = id.workspace.empty() ? id.ns : id.workspace + "/" + id.ns;
  if (id.storage == Storage::kGraphNodes) name += kNodesSuffix;
  if (id.storage == Storage::kGraphEdges) name += kEdgesSuffix;
  return name;
}

StreamInfo make_stream(const StreamId& id) {
  StreamInfo stream;
  stream.name = stream_name(id);
  stream.kind = "collection";
  stream.key = {"_id"};
  stream.options = {{"lightrag", {{"workspace", id.workspace}, {"namespace", id.ns}, {"storage", storage_name(id.storage)}}}};
  return stream;
}

Result<StreamId> identify_stream(const StreamInfo& stream) {
  std::string frame = "stream \"" + stream.name + "\"";
  StreamId id;
  const nlohmann::json* layout = nullptr;
  if (stream.options.is_object()) {
    auto found = stream.options.find("lightrag");
    if (found != stream.options.end() && found->is_object()) layout = &*found;
  }
  if (layout) {
    auto text = [&](const char* key) -> const nlohmann::json* {
      auto member = layout->find(key);
      return member != layout->end() && member->is_string() ? &*member : nullptr;
    };
    const nlohmann::json* workspace = text("workspace");
    const nlohmann::json* ns = text("namespace");
    const nlohmann::json* storage = text("storage");
    if (!workspace || !ns || !storage)
      return Status::archive(frame + ": options.lightrag needs the strings workspace, namespace and storage");
    std::optional<Storage> parsed = storage_from_name(storage->get<std::string>());
    if (!parsed) return Status::archive(frame + ": unknown LightRAG storage \"" + storage->get<std::string>() + "\"");
    id.workspace = workspace->get<std::string>();
    id.ns = ns->get<std::string>();
    id.storage = *parsed;
  } else {
    std::string_view name = stream.name;
    size_t slash = name.rfind('/');
    if (slash != std::string_view::npos) {
      id.workspace = std::string(name.substr(0, slash));
      name.remove_prefix(slash + 1);
    }
    if (ends_with(name, kNodesSuffix) || ends_with(name, kEdgesSuffix)) {
      id.storage = ends_with(name, kNodesSuffix) ? Storage::kGraphNodes : Storage::kGraphEdges;
      name.remove_suffix(kNodesSuffix.size());
    } else {
      id.storage = storage_of_namespace(name);
    }
    id.ns = std::string(name);
  }
  if (id.ns.empty() || id.ns.find('/') != std::string::npos || id.ns.find('.') != std::string::npos)
    return Status::archive(frame + ": \"" + id.ns + "\" is not a LightRAG namespace name");
  if (!valid_workspace(id.workspace))
    return Status::archive(frame + ": \"" + id.workspace + "\" is not a valid LightRAG workspace name");
  return id;
}

std::string postgres_workspace(const std::string& logical) { return logical.empty() ? "default" : logical; }

std::string logical_workspace_from_postgres(const std::string& postgres) {
  return postgres == "default" ? "" : postgres;
}

std::string redis_key_prefix(const std::string& workspace, const std::string& ns) {
  return mongo_collection(workspace, ns) + ":";
}

std::string mongo_collection(const std::string& workspace, const std::string& ns) {
  return workspace.empty() ? ns : workspace + "_" + ns;
}

std::string postgres_table(std::string_view ns) {
  // Ordered so that full_entities is tested before entities would be, as LightRAG's map is.
  static const std::vector<std::pair<std::string_view, std::string_view>> tables = {
      {"full_docs", "LIGHTRAG_DOC_FULL"},           {"text_chunks", "LIGHTRAG_DOC_CHUNKS"},
      {"full_entities", "LIGHTRAG_FULL_ENTITIES"},  {"full_relations", "LIGHTRAG_FULL_RELATIONS"},
      {"entity_chunks", "LIGHTRAG_ENTITY_CHUNKS"},  {"relation_chunks", "LIGHTRAG_RELATION_CHUNKS"},
      {"llm_response_cache", "LIGHTRAG_LLM_CACHE"}, {"doc_status", "LIGHTRAG_DOC_STATUS"}};
  for (const auto& [base, table] : tables)
    if (ends_with(ns, base)) return std::string(table);
  return "";
}

std::string postgres_vector_table_base(std::string_view ns) {
  if (storage_of_namespace(ns) != Storage::kVector) return "";
  if (ends_with(ns, "entities")) return "LIGHTRAG_VDB_ENTITY";
  if (ends_with(ns, "relationships")) return "LIGHTRAG_VDB_RELATION";
  return "LIGHTRAG_VDB_CHUNKS";
}

std::string age_graph_name(const std::string& workspace, const std::string& ns) {
  std::string lowered = workspace;
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (workspace.empty() || lowered == "default") return ns;
  std::string name = workspace + "_" + ns;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
  return name;
}

std::optional<CacheKey> parse_cache_key(std::string_view key) {
  size_t first = key.find(':');
  if (first == std::string_view::npos) return std::nullopt;
  size_t second = key.find(':', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  return CacheKey{key.substr(0, first), key.substr(first + 1, second - first - 1), key.substr(second + 1)};
}

bool is_flattened_cache_key(std::string_view key) { return std::count(key.begin(), key.end(), ':') == 2; }

std::string flattened_cache_key(std::string_view mode, std::string_view cache_type, std::string_view hash) {
  std::string key;
  key.reserve(mode.size() + cache_type.size() + hash.size() + 2);
  key.append(mode).append(":").append(cache_type).append(":").append(hash);
  return key;
}

Result<CacheFilter> CacheFilter::parse(std::string_view list) {
  CacheFilter filter;
  std::vector<std::string> types = split_list(list);
  if (types.empty()) return Status::usage("--cache-types: no cache type given (e.g. extract,summary,analysis or all)");
  filter.everything_ = false;
  for (std::string& type : types) {
    if (type == "all") {
      filter.everything_ = true;
    } else if (type.find(':') != std::string::npos) {
      return Status::usage("--cache-types: \"" + type + "\" is not a cache type");
    } else {
      filter.types_.insert(std::move(type));
    }
  }
  return filter;
}

bool CacheFilter::keeps(std::string_view key) const {
  if (everything_) return true;
  std::optional<CacheKey> parsed = parse_cache_key(key);
  if (!parsed || !types_.count(parsed->cache_type)) return false;
  // Extraction-side types belong to the default mode; a query-side key of the same type name
  // in another mode is not what --cache-types extract asks for.
  bool default_side = parsed->cache_type == "extract" || parsed->cache_type == "summary" || parsed->cache_type == "analysis";
  return !default_side || parsed->mode == "default";
}

bool Selection::keeps_workspace(std::string_view ws) const { return !workspace || *workspace == ws; }

bool Selection::keeps_namespace(std::string_view ns) const { return namespaces.empty() || namespaces.count(ns) > 0; }

Result<Selection> selection_from_settings(const nlohmann::json& settings, std::string_view default_cache_types) {
  Selection selection;
  auto setting = [&](const char* name) -> const nlohmann::json* {
    if (!settings.is_object()) return nullptr;
    auto found = settings.find(name);
    return found == settings.end() ? nullptr : &*found;
  };
  if (const nlohmann::json* workspace = setting("workspace")) {
    if (!workspace->is_string()) return Status::usage("--workspace takes one workspace name");
    std::string name = workspace->get<std::string>();
    if (!valid_workspace(name))
      return Status::usage("--workspace \"" + name + "\": a LightRAG workspace is one path component (no '/' or '\\', not . or ..)");
    selection.workspace = name;
  }
  if (const nlohmann::json* namespaces = setting("namespaces")) {
    if (!namespaces->is_string()) return Status::usage("--namespaces takes a comma-separated list");
    for (std::string& ns : split_list(namespaces->get<std::string>())) selection.namespaces.insert(std::move(ns));
    if (selection.namespaces.empty()) return Status::usage("--namespaces: no namespace given");
  }
  const nlohmann::json* cache_types = setting("cache-types");
  if (cache_types && !cache_types->is_string()) return Status::usage("--cache-types takes a comma-separated list");
  Result<CacheFilter> filter =
      CacheFilter::parse(cache_types ? std::string_view(cache_types->get_ref<const std::string&>()) : default_cache_types);
  if (!filter) return filter.take_status();
  selection.cache = std::move(filter.value());
  return selection;
}

Result<SinkStream> sink_stream(const StreamInfo& stream, const Selection& selection) {
  SinkStream out;
  out.table_form = is_table_shape(stream);
  if (!stream.columns.empty() && !out.table_form)
    return Status::target("not a LightRAG stream: it has columns (LightRAG streams are collections keyed by _id, SPEC 11.5)");
  Result<StreamId> identified = identify_stream(stream);
  if (!identified) return Status::target(identified.take_status().message());
  out.id = *identified;
  if (selection.workspace) out.id.workspace = *selection.workspace;
  return out;
}

std::vector<BackendOption> export_options() {
  return {{"workspace", BackendOption::Type::kString, "LightRAG workspace to export (\"\" is the default one; default: every workspace)"},
          {"namespaces", BackendOption::Type::kString, "comma-separated LightRAG namespaces (default: all)"},
          {"cache-types", BackendOption::Type::kString,
           "llm_response_cache entries: cache types such as extract,summary,analysis (export default), query, keywords, "
           "or all (import default)"}};
}

std::vector<BackendOption> import_options() {
  std::vector<BackendOption> options = export_options();
  options[0].help = "LightRAG workspace to write every stream into (\"\" is the default one; default: each stream's own)";
  return options;
}

BackendOption embedding_model_option() {
  return {"embedding-model", BackendOption::Type::kString,
          "LightRAG embedding model name: its vector tables LIGHTRAG_VDB_*_{model}_{dim}d (with --layout lightrag)"};
}

BackendOption layout_option() {
  return {"layout", BackendOption::Type::kString, "application layout: lightrag (LightRAG's own keys, SPEC 11.5.4)"};
}

Result<bool> wants_lightrag_layout(const nlohmann::json& settings) {
  if (!settings.is_object() || !settings.contains("layout")) {
    for (const BackendOption& option : export_options())
      if (settings.is_object() && settings.contains(option.flag))
        return Status::usage("--" + option.flag + " needs --layout lightrag");
    return false;
  }
  const nlohmann::json& layout = settings["layout"];
  if (!layout.is_string() || layout.get<std::string>() != "lightrag")
    return Status::usage("--layout: the only layout is lightrag");
  return true;
}

Result<bool> expand_legacy_cache(const std::string& mode, Value& value, const std::function<Status(const Record&)>& emit) {
  if (value.kind != Kind::kDocument || value.fields.empty()) return false;
  for (const Field& entry : value.fields) {
    if (entry.value.kind != Kind::kDocument) return false;
    bool has_return = false;
    for (const Field& f : entry.value.fields) has_return = has_return || f.name == "return";
    if (!has_return) return false;
  }
  Record record;
  for (Field& entry : value.fields) {
    std::string cache_type = "extract";
    for (const Field& f : entry.value.fields)
      if (f.name == "cache_type" && f.value.kind == Kind::kText) cache_type = f.value.text;
    record.clear_keep_capacity();
    record.add("_id") = Value::of_text(flattened_cache_key(mode, cache_type, entry.name));
    for (Field& f : entry.value.fields)
      if (f.name != "_id") record.add(f.name) = std::move(f.value);
    DECANT_TRY(emit(record));
  }
  return true;
}

}  // namespace decant::lightrag
