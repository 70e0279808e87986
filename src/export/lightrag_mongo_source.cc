// `mongodb:// --layout lightrag` export (format/SPEC.md 11.5.4): the collections of LightRAG's
// MongoDB storages ("WS_NS", "NS" for the empty workspace, "..._edges" for the graph's edges) as
// the logical streams of SPEC 11.5. The plain MongoDB source reads the collections; each
// document is turned into its logical record on the way (backends/lightrag_mongo.h).
#include <map>

#include "backends/lightrag_mongo.h"
#include "export/layout_sources.h"
#include "format/uri.h"

namespace decant {
namespace {

using namespace lightrag;

class LightragMongoSource final : public Source {
 public:
  LightragMongoSource(std::unique_ptr<Source> plain, std::unique_ptr<MongoClient> client, Selection selection,
                      std::function<void(const std::string&)> note)
      : plain_(std::move(plain)), client_(std::move(client)), selection_(std::move(selection)), note_(std::move(note)) {}

  SourceDescription describe() const override {
    SourceDescription d = plain_->describe();
    d.details["layout"] = "lightrag";
    return d;
  }

  Result<std::vector<StreamInfo>> streams() override {
    Result<std::vector<StreamInfo>> collections = plain_->streams();
    if (!collections) return collections.take_status();
    std::vector<StreamInfo> streams;
    int64_t foreign = 0;
    for (const StreamInfo& collection : *collections) {
      std::optional<StreamId> id = mongo_stream_of_collection(collection.name);
      if (!id) {
        ++foreign;
        continue;
      }
      if (!selection_.keeps_workspace(id->workspace) || !selection_.keeps_namespace(id->ns)) continue;
      StreamInfo stream = make_stream(*id);
      stream.estimated_rows = collection.estimated_rows;
      if (id->storage == Storage::kVector) {
        Result<int64_t> dimension = mongo_vector_dimension(*client_, collection.name);
        if (!dimension) return dimension.take_status();
        if (*dimension > 0) stream.options["lightrag"]["embedding_dim"] = *dimension;
      }
      collections_[stream.name] = {*id, collection};
      streams.push_back(std::move(stream));
    }
    if (foreign > 0)
      note_("mongodb: " + std::to_string(foreign) + " collections of database " + client_->db() +
            " are not LightRAG collections (WS_NAMESPACE) and are left out");
    if (selection_.workspace && streams.empty())
      return Status::usage("mongodb: no LightRAG collections for workspace \"" + *selection_.workspace + "\" in database " +
                           client_->db());
    return streams;
  }

  Status read(const StreamInfo& stream, const RecordFn& emit) override {
    auto found = collections_.find(stream.name);
    if (found == collections_.end()) return Status::internal("LightRAG stream read before streams()");
    // Named members, not a structured binding: a lambda below uses them, which clang refuses
    // for bindings (C++20 allows it, clang 14 of tools/fuzz.sh does not).
    const StreamId& id = found->second.first;
    const StreamInfo& collection = found->second.second;
    bool filtered = id.ns == kLlmCacheNamespace && !selection_.cache.keeps_everything();
    int64_t left_out = 0;
    Record record;
    DECANT_TRY(plain_->read(collection, [&](const Record& document) -> Status {
      DECANT_TRY(mongo_to_logical(id.storage, document, record));
      if (filtered) {
        const Value* key = record.find("_id");
        if (!key || key->kind != Kind::kText || !selection_.cache.keeps(key->text)) {
          ++left_out;
          return Status::ok();
        }
      }
      return emit(record);
    }));
    if (left_out > 0)
      note_(stream.name + ": left out " + std::to_string(left_out) +
            " cache entries that --cache-types does not select (default extract,summary,analysis; --cache-types all keeps every entry)");
    return Status::ok();
  }

 private:
  std::unique_ptr<Source> plain_;
  std::unique_ptr<MongoClient> client_;  // for what the plain source does not ask (vector dimensions)
  Selection selection_;
  std::function<void(const std::string&)> note_;
  std::map<std::string, std::pair<StreamId, StreamInfo>> collections_;  // logical name -> its collection
};

}  // namespace

Result<std::unique_ptr<Source>> open_lightrag_mongo_source(const std::string& uri, const SourceOptions& options) {
  Result<Selection> selection = selection_from_settings(options.settings, kDefaultCacheTypes);
  if (!selection) return selection.take_status();
  SourceOptions plain_options = options;
  for (const char* layout_flag : {"layout", "workspace", "namespaces", "cache-types"}) plain_options.settings.erase(layout_flag);
  const SourceBackend* mongo = builtin_sources().find(uri);
  if (!mongo) return Status::internal("no mongodb source registered");
  Result<std::unique_ptr<Source>> plain = mongo->open(uri, plain_options);
  if (!plain) return plain.take_status();
  Result<std::unique_ptr<MongoClient>> client = MongoClient::open(uri, plain_options.settings, Side::kSource);
  if (!client) return client.take_status();
  return std::unique_ptr<Source>(new LightragMongoSource(std::move(plain.value()), std::move(client.value()),
                                                         std::move(selection.value()), options.note));
}

}  // namespace decant
