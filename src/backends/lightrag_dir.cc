#include "backends/lightrag_dir.h"

#include <algorithm>
#include <filesystem>

namespace decant::lightrag {
namespace {

namespace fs = std::filesystem;

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }
bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The namespace a file name stands for, or "" when it is not a LightRAG storage file.
std::string namespace_of(const std::string& file, std::string_view prefix, std::string_view suffix) {
  if (!starts_with(file, prefix) || !ends_with(file, suffix) || file.size() <= prefix.size() + suffix.size()) return "";
  return file.substr(prefix.size(), file.size() - prefix.size() - suffix.size());
}

Status streams_of_workspace(const fs::path& dir, const std::string& workspace, std::vector<StreamId>& out) {
  std::vector<std::string> kv, doc_status, vectors, graphs;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    if (!entry.is_regular_file(error)) continue;
    std::string name = entry.path().filename().string();
    std::string ns;
    if (!(ns = namespace_of(name, "kv_store_", ".json")).empty()) {
      (storage_of_namespace(ns) == Storage::kDocStatus ? doc_status : kv).push_back(ns);
    } else if (!(ns = namespace_of(name, "vdb_", ".json")).empty()) {
      vectors.push_back(ns);
    } else if (!(ns = namespace_of(name, "graph_", ".graphml")).empty()) {
      graphs.push_back(ns);
    } else {
      continue;
    }
    if (ns.find('.') != std::string::npos)
      return Status::source((dir / name).string() + ": namespace \"" + ns + "\" has a '.', which LightRAG namespaces never have");
  }
  if (error) return Status::source("listing " + dir.string() + ": " + error.message());
  for (auto* group : {&kv, &doc_status, &vectors, &graphs}) std::sort(group->begin(), group->end());
  for (const std::string& ns : kv) out.push_back({workspace, ns, Storage::kKv});
  for (const std::string& ns : doc_status) out.push_back({workspace, ns, Storage::kDocStatus});
  for (const std::string& ns : vectors) out.push_back({workspace, ns, Storage::kVector});
  for (const std::string& ns : graphs) {
    out.push_back({workspace, ns, Storage::kGraphNodes});
    out.push_back({workspace, ns, Storage::kGraphEdges});
  }
  return Status::ok();
}

}  // namespace

std::string workspace_directory(const std::string& root, const std::string& workspace) {
  return workspace.empty() ? root : (fs::path(root) / workspace).string();
}

std::string stream_file(const std::string& root, const StreamId& id) {
  fs::path dir = workspace_directory(root, id.workspace);
  switch (id.storage) {
    case Storage::kKv:
    case Storage::kDocStatus: return (dir / ("kv_store_" + id.ns + ".json")).string();
    case Storage::kVector: return (dir / ("vdb_" + id.ns + ".json")).string();
    case Storage::kGraphNodes:
    case Storage::kGraphEdges: return (dir / ("graph_" + id.ns + ".graphml")).string();
  }
  return "";
}

Result<std::vector<StreamId>> list_directory(const std::string& root) {
  std::error_code error;
  if (!fs::is_directory(root, error))
    return Status::source(root + " is not a directory (a LightRAG working_dir)");
  std::vector<StreamId> streams;
  DECANT_TRY(streams_of_workspace(root, "", streams));
  std::vector<std::string> workspaces;
  for (const fs::directory_entry& entry : fs::directory_iterator(root, error))
    if (entry.is_directory(error)) workspaces.push_back(entry.path().filename().string());
  if (error) return Status::source("listing " + root + ": " + error.message());
  std::sort(workspaces.begin(), workspaces.end());
  for (const std::string& workspace : workspaces)
    if (valid_workspace(workspace)) DECANT_TRY(streams_of_workspace(fs::path(root) / workspace, workspace, streams));
  return streams;
}

}  // namespace decant::lightrag
