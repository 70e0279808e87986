// LightRAG's graph file, graph_NS.graphml (format/SPEC.md 11.5): read with libxml2's streaming
// xmlTextReader, one node or edge at a time, and written the way networkx's pure-Python
// write_graphml lays it out.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "format/byte_io.h"
#include "format/status.h"
#include "format/value.h"

namespace decant::lightrag {

enum class GraphPart { kNodes, kEdges };

// Reads `path` once and calls `emit` for every node (`_id` = node id, then its attributes) or
// every edge (`_id` = {"source","target"}, then its attributes) in file order. An empty <data>
// element is the empty string (networkx's reader drops such attributes; LightRAG wrote them).
Status read_graphml(const std::string& path, GraphPart part, const std::function<Status(const Record&)>& emit);

// Builds one GraphML file from node and edge records. Keys are numbered as networkx numbers
// them (first use, nodes before edges), so the writer has to see every record before the header:
// observe() each record as it arrives, then write() with a way to read them again.
class GraphmlWriter {
 public:
  Status observe(GraphPart part, const Record& record);
  // `replay(part, fn)` must call `fn` for the records of `part` in the order they were observed.
  using Replay = std::function<Status(GraphPart, const std::function<Status(const Record&)>&)>;
  Status write(ByteSink& out, const Replay& replay);

 private:
  struct Key {
    std::string name;
    std::string type;
  };
  int key_index(GraphPart part, const std::string& name, const std::string& type, bool add);
  std::vector<Key> node_keys_;
  std::vector<Key> edge_keys_;
};

}  // namespace decant::lightrag
