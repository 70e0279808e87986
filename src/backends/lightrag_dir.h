// Where a LightRAG working directory keeps each logical stream (format/SPEC.md 11.5.3):
// workspace WS in DIR/WS/, the default workspace in DIR; kv_store_NS.json, vdb_NS.json and
// graph_NS.graphml.
#pragma once

#include <string>
#include <vector>

#include "format/status.h"
#include "layouts/lightrag.h"

namespace decant::lightrag {

std::string workspace_directory(const std::string& root, const std::string& workspace);
std::string stream_file(const std::string& root, const StreamId& id);

// Every stream the directory holds, in the order of SPEC 11.5.3: workspaces by name (the
// default one first), then KV files, doc status, vector files, graph files (nodes, edges).
Result<std::vector<StreamId>> list_directory(const std::string& root);

}  // namespace decant::lightrag
