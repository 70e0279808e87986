// LightRAG's MongoDB storages (format/SPEC.md 11.5.4) as the logical streams of SPEC 11.5: which
// collection is which stream, and how a document of MongoKVStorage, MongoDocStatusStorage,
// MongoVectorDBStorage and MongoGraphStorage (lightrag/kg/mongo_impl.py) becomes a logical
// record and back. Shared by `mongodb:// --layout lightrag` export and import.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "backends/mongo_client.h"
#include "layouts/lightrag.h"

namespace decant::lightrag {

// The stream a collection holds: "NS" or "WS_NS" for the KV, doc-status, vector and graph
// namespaces, "..._edges" for a graph's edges. nullopt for any other collection.
std::optional<StreamId> mongo_stream_of_collection(std::string_view collection);
// The collection of a logical stream: mongo_collection(), plus "_edges" for graph edges.
std::string mongo_collection_of_stream(const StreamId& id);

// The length of the `vector` array of one document of `collection`, or of the numDimensions of
// its vector search index where the server lists search indexes; 0 when it holds neither.
Result<int64_t> mongo_vector_dimension(MongoClient& client, const std::string& collection);

// A stored document as its logical record: integers as int64 (BSON int32 is an accident of the
// driver), `vector` as $vector, graph nodes without the derived `source_ids`, edges keyed
// {source, target} without the ObjectId and the derived endpoint fields.
Status mongo_to_logical(Storage storage, const Record& document, Record& out);
// A logical record as LightRAG's storage stores it (the inverse of mongo_to_logical). `dimension`
// is the stream's vector dimension, set from the first vector when it is 0.
Status logical_to_mongo(Storage storage, const Record& record, int64_t& dimension, Record& out);

}  // namespace decant::lightrag
