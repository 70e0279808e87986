#include "backends/lightrag_mongo.h"

#include <cstdio>
#include <vector>

#include "format/digest.h"

namespace decant::lightrag {
namespace {

constexpr std::string_view kEdgesSuffix = "_edges";
constexpr std::string_view kSep = "<SEP>";

// "NS" or "WS_NS" for one namespace: the workspace, or nullopt when `name` is not of `ns`.
std::optional<std::string> workspace_of(std::string_view name, std::string_view ns) {
  if (name == ns) return std::string();
  if (name.size() > ns.size() + 1 && name.substr(name.size() - ns.size()) == ns && name[name.size() - ns.size() - 1] == '_') {
    std::string workspace(name.substr(0, name.size() - ns.size() - 1));
    if (valid_workspace(workspace)) return workspace;
  }
  return std::nullopt;
}

// BSON int32 is how pymongo stores a small Python int: the logical record has int64 (SPEC 11.5.2).
void widen_integers(Value& v) {
  if (v.kind == Kind::kInt32) v.kind = Kind::kInt64;
  for (Value& item : v.items) widen_integers(item);
  for (Field& f : v.fields) widen_integers(f.value);
}

// LightRAG's source_ids: source_id split on <SEP>, set only when source_id is a non-empty string.
std::optional<Value> derived_source_ids(const Record& record) {
  const Value* source_id = record.find("source_id");
  if (!source_id || source_id->kind != Kind::kText || source_id->text.empty()) return std::nullopt;
  Value ids;
  ids.kind = Kind::kArray;
  std::string_view rest = source_id->text;
  for (;;) {
    size_t at = rest.find(kSep);
    ids.items.push_back(Value::of_text(rest.substr(0, at)));
    if (at == std::string_view::npos) break;
    rest.remove_prefix(at + kSep.size());
  }
  return ids;
}

bool same_value(const Value& a, const Value& b) {
  Record ra, rb;
  ra.add("v") = a;
  rb.add("v") = b;
  return ra == rb;
}

std::string text_of(const Value* v) { return v && v->kind == Kind::kText ? v->text : std::string(); }

std::string id_frame(const Record& record) {
  const Value* id = record.find("_id");
  if (id && id->kind == Kind::kText) return "_id \"" + id->text + "\"";
  if (id && id->kind == Kind::kObjectId) return "_id " + id->text;
  return "a document";
}

// The same ObjectId for the same end points, so that importing an edge twice meets the first
// copy (--conflict applies) instead of adding a second document for it.
Value edge_object_id(const std::string& lo, const std::string& hi) {
  std::string both = lo;
  both.push_back('\0');
  both += hi;
  Hash128 h = hash_record_bytes(both);
  char hex[25];
  std::snprintf(hex, sizeof hex, "%016llx%08llx", static_cast<unsigned long long>(h.high),
                static_cast<unsigned long long>(h.low >> 32));
  return Value::with_text(Kind::kObjectId, hex);
}

}  // namespace

std::optional<StreamId> mongo_stream_of_collection(std::string_view collection) {
  // Key-value names first: "full_entities" also ends in "_entities", "text_chunks" in "_chunks".
  std::vector<std::pair<std::string, Storage>> candidates;
  for (const std::string& ns : kv_namespaces()) candidates.emplace_back(ns, Storage::kKv);
  candidates.emplace_back(std::string(kDocStatusNamespace), Storage::kDocStatus);
  candidates.emplace_back(std::string(kGraphNamespace) + std::string(kEdgesSuffix), Storage::kGraphEdges);
  candidates.emplace_back(std::string(kGraphNamespace), Storage::kGraphNodes);
  for (const std::string& ns : vector_namespaces()) candidates.emplace_back(ns, Storage::kVector);
  for (const auto& [name, storage] : candidates) {
    std::optional<std::string> workspace = workspace_of(collection, name);
    if (!workspace) continue;
    std::string ns = storage == Storage::kGraphEdges ? std::string(kGraphNamespace) : name;
    return StreamId{*workspace, ns, storage};
  }
  return std::nullopt;
}

std::string mongo_collection_of_stream(const StreamId& id) {
  std::string name = mongo_collection(id.workspace, id.ns);
  if (id.storage == Storage::kGraphEdges) name += kEdgesSuffix;
  return name;
}

Result<int64_t> mongo_vector_dimension(MongoClient& client, const std::string& collection) {
  mongoc_collection_t* c = mongoc_database_get_collection(client.database(), collection.c_str());
  bson_t* filter = BCON_NEW("vector", "{", "$type", BCON_UTF8("array"), "}");
  bson_t* opts = BCON_NEW("limit", BCON_INT64(1), "projection", "{", "vector", BCON_INT32(1), "}");
  MongoCursor cursor(mongoc_collection_find_with_opts(c, filter, opts, nullptr));
  bson_destroy(filter);
  bson_destroy(opts);
  int64_t dimension = 0;
  const bson_t* doc;
  if (mongoc_cursor_next(cursor.get(), &doc)) {
    bson_iter_t it, items;
    if (bson_iter_init_find(&it, doc, "vector") && BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &items))
      while (bson_iter_next(&items)) ++dimension;
  }
  bson_error_t error;
  bool failed = mongoc_cursor_error(cursor.get(), &error);
  cursor.reset();
  if (failed) {
    mongoc_collection_destroy(c);
    return client.failure("reading a vector of " + collection, error);
  }
  if (dimension == 0) {
    // An Atlas vector search index (LightRAG's vector_knn_index*) fixes the dimension of an empty
    // collection. Servers without search indexes (SecantusDB, a plain mongod) refuse the stage.
    bson_t* pipeline = BCON_NEW("pipeline", "[", "{", "$listSearchIndexes", "{", "}", "}", "]");
    MongoCursor indexes(mongoc_collection_aggregate(c, MONGOC_QUERY_NONE, pipeline, nullptr, nullptr));
    bson_destroy(pipeline);
    while (mongoc_cursor_next(indexes.get(), &doc)) {
      bson_iter_t it;
      if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, "latestDefinition.fields", &it) &&
          BSON_ITER_HOLDS_ARRAY(&it)) {
        bson_iter_t fields;
        bson_iter_recurse(&it, &fields);
        while (bson_iter_next(&fields)) {
          bson_iter_t field, dims;
          if (!BSON_ITER_HOLDS_DOCUMENT(&fields) || !bson_iter_recurse(&fields, &field)) continue;
          bson_iter_t path = field;
          if (bson_iter_find(&path, "path") && BSON_ITER_HOLDS_UTF8(&path) &&
              std::string_view(bson_iter_utf8(&path, nullptr)) == "vector" && bson_iter_find(&field, "numDimensions") &&
              BSON_ITER_HOLDS_NUMBER(&field)) {
            dims = field;
            dimension = bson_iter_as_int64(&dims);
          }
        }
      }
    }
  }
  mongoc_collection_destroy(c);
  return dimension;
}

Status mongo_to_logical(Storage storage, const Record& document, Record& out) {
  out.clear_keep_capacity();
  auto copy = [&](const Field& f) {
    Value& v = out.add(f.name);
    v = f.value;
    widen_integers(v);
  };
  switch (storage) {
    case Storage::kKv:
    case Storage::kDocStatus:
      for (const Field& f : document) copy(f);
      return Status::ok();
    case Storage::kVector:
      for (const Field& f : document) {
        if (f.name != "vector") {
          copy(f);
          continue;
        }
        if (f.value.kind != Kind::kArray) return Status::source(id_frame(document) + ": \"vector\" is not an array");
        Value& v = out.add("vector");
        v = Value();
        v.kind = Kind::kVector;
        for (const Value& item : f.value.items) {
          if (item.kind == Kind::kFloat64) v.floats.push_back(static_cast<float>(item.real));
          else if (item.kind == Kind::kInt32 || item.kind == Kind::kInt64) v.floats.push_back(static_cast<float>(item.integer));
          else return Status::source(id_frame(document) + ": \"vector\" holds a " + kind_name(item.kind) + ", not a number");
        }
      }
      return Status::ok();
    case Storage::kGraphNodes: {
      std::optional<Value> derived = derived_source_ids(document);
      for (const Field& f : document)
        if (f.name != "source_ids" || !derived || !same_value(f.value, *derived)) copy(f);
      return Status::ok();
    }
    case Storage::kGraphEdges: {
      std::string source = text_of(document.find("source_node_id")), target = text_of(document.find("target_node_id"));
      if (source.empty() || target.empty())
        return Status::source(id_frame(document) + ": an edge without the text source_node_id and target_node_id");
      std::optional<Value> derived = derived_source_ids(document);
      const std::string& lo = std::min(source, target);
      const std::string& hi = std::max(source, target);
      Value& id = out.add("_id");
      id = Value();
      id.kind = Kind::kDocument;
      id.fields.push_back({"source", Value::of_text(source)});
      id.fields.push_back({"target", Value::of_text(target)});
      for (const Field& f : document) {
        if (f.name == "_id" || f.name == "source_node_id" || f.name == "target_node_id") continue;
        if (f.name == "edge_lo" && text_of(&f.value) == lo) continue;
        if (f.name == "edge_hi" && text_of(&f.value) == hi) continue;
        if (f.name == "source_ids" && derived && same_value(f.value, *derived)) continue;
        copy(f);
      }
      return Status::ok();
    }
  }
  return Status::internal("unknown storage");
}

Status logical_to_mongo(Storage storage, const Record& record, int64_t& dimension, Record& out) {
  out.clear_keep_capacity();
  switch (storage) {
    case Storage::kKv:
    case Storage::kDocStatus:
      for (const Field& f : record) out.add(f.name) = f.value;
      return Status::ok();
    case Storage::kVector: {
      // MongoDB keeps the raw embedding; `normalized` (nano's matrix row) stands in only for a
      // row that has no per-row copy (SPEC 11.5.2).
      const Value* vector = record.find("vector");
      if (!vector) vector = record.find("normalized");
      if (!vector || (vector->kind != Kind::kVector && vector->kind != Kind::kHalfVector))
        return Status::target(id_frame(record) + ": a vector record without a $vector \"vector\" or \"normalized\"");
      int64_t length = static_cast<int64_t>(vector->floats.size());
      if (dimension == 0) dimension = length;
      if (length != dimension)
        return Status::target(id_frame(record) + ": the vector has " + std::to_string(length) +
                              " elements, the stream's embedding dimension is " + std::to_string(dimension));
      bool placed = false;
      for (const Field& f : record) {
        if (f.name == "vector" || f.name == "normalized") {
          if (!placed) out.add("vector") = *vector;
          placed = true;
          continue;
        }
        out.add(f.name) = f.value;
      }
      return Status::ok();
    }
    case Storage::kGraphNodes: {
      bool has_ids = false;
      for (const Field& f : record) {
        has_ids = has_ids || f.name == "source_ids";
        out.add(f.name) = f.value;
      }
      if (std::optional<Value> derived = derived_source_ids(record); derived && !has_ids) out.add("source_ids") = *derived;
      return Status::ok();
    }
    case Storage::kGraphEdges: {
      const Value* id = record.find("_id");
      const Value* source = nullptr;
      const Value* target = nullptr;
      if (id && id->kind == Kind::kDocument)
        for (const Field& f : id->fields) {
          if (f.name == "source") source = &f.value;
          if (f.name == "target") target = &f.value;
        }
      if (!source || !target || source->kind != Kind::kText || target->kind != Kind::kText)
        return Status::target("an edge record whose _id is not {\"source\": TEXT, \"target\": TEXT} (SPEC 11.5.2)");
      const std::string& lo = std::min(source->text, target->text);
      const std::string& hi = std::max(source->text, target->text);
      out.add("_id") = edge_object_id(lo, hi);
      bool has_ids = false, has_lo = false, has_hi = false;
      for (const Field& f : record) {
        if (f.name == "_id") continue;
        has_ids = has_ids || f.name == "source_ids";
        has_lo = has_lo || f.name == "edge_lo";
        has_hi = has_hi || f.name == "edge_hi";
        out.add(f.name) = f.value;
      }
      // LightRAG's upsert_edge sets these after the attributes, in this order.
      if (std::optional<Value> derived = derived_source_ids(record); derived && !has_ids) out.add("source_ids") = *derived;
      out.add("source_node_id") = *source;
      out.add("target_node_id") = *target;
      if (!has_lo) out.add("edge_lo") = Value::of_text(lo);
      if (!has_hi) out.add("edge_hi") = Value::of_text(hi);
      return Status::ok();
    }
  }
  return Status::internal("unknown storage");
}

}  // namespace decant::lightrag
