// `mongodb:// --layout lightrag` import (format/SPEC.md 11.5.4): each logical stream goes to the
// collection LightRAG's MongoDB storage reads ("WS_NS", "NS", "..._edges"), each record as the
// document that storage writes (backends/lightrag_mongo.h). The plain MongoDB sink does the
// writing, so transactions, --conflict, --drop and --dry-run mean what they mean there.
#include <map>

#include "backends/lightrag_mongo.h"
#include "format/uri.h"
#include "import/layout_sinks.h"
#include "import/table_shape.h"

namespace decant {
namespace {

using namespace lightrag;

struct Target {
  StreamId id;
  std::string collection;
  bool table_form = false;
  bool filtered = false;
  int64_t dimension = 0;  // vectors: the stream's embedding dimension, once known
  int64_t existing = 0;   // vectors: the dimension the target collection already has, 0 if none
};

class LightragMongoSink final : public Sink {
 public:
  LightragMongoSink(std::unique_ptr<Sink> plain, std::unique_ptr<MongoClient> client, Selection selection,
                    const SinkOptions& options)
      : plain_(std::move(plain)), client_(std::move(client)), selection_(std::move(selection)), options_(options) {}

  Status begin() override { return plain_->begin(); }

  Status begin_stream(const StreamInfo& stream) override {
    Result<SinkStream> target_stream = sink_stream(stream, selection_);
    if (!target_stream) return target_stream.take_status();
    const StreamId& id = target_stream->id;
    if (!selection_.keeps_namespace(id.ns)) {
      options_.left_out(stream.name, "--namespaces does not select \"" + id.ns + "\"");
      return Status::ok();
    }
    Target target{id, mongo_collection_of_stream(id), target_stream->table_form,
                  id.ns == kLlmCacheNamespace && !selection_.cache.keeps_everything()};
    for (const auto& [name, other] : targets_)
      if (other.collection == target.collection)
        return Status::target("two streams for collection \"" + target.collection + "\" (namespace \"" + id.ns +
                              "\" of workspace \"" + id.workspace + "\")");
    if (id.storage == Storage::kVector) {
      const nlohmann::json* dim = nullptr;
      if (stream.options.is_object() && stream.options.contains("lightrag") && stream.options["lightrag"].is_object() &&
          stream.options["lightrag"].contains("embedding_dim"))
        dim = &stream.options["lightrag"]["embedding_dim"];
      if (dim && !dim->is_number_integer()) return Status::archive("stream \"" + stream.name + "\": embedding_dim is not an integer");
      if (dim) target.dimension = dim->get<int64_t>();
      // --drop and --truncate replace the collection's vectors, so its old dimension does not bind.
      if (!options_.drop && !options_.truncate) {
        Result<int64_t> existing = mongo_vector_dimension(*client_, target.collection);
        if (!existing) return existing.take_status();
        target.existing = *existing;
        DECANT_TRY(check_dimension(target));
      }
    }
    StreamInfo collection;
    collection.name = target.collection;
    collection.kind = "collection";
    collection.key = {"_id"};
    collection.estimated_rows = stream.estimated_rows;
    DECANT_TRY(plain_->begin_stream(collection));
    targets_[stream.name] = std::move(target);
    return Status::ok();
  }

  Status write(const std::string& stream, const Record& record) override {
    auto found = targets_.find(stream);
    if (found == targets_.end()) return Status::ok();  // a stream left out at begin_stream
    Target& target = found->second;
    const Record* logical = &record;
    if (target.table_form) {
      DECANT_TRY(from_table_row(record, table_row_));
      logical = &table_row_;
    }
    if (target.filtered) {
      const Value* key = logical->find("_id");
      if (!key || key->kind != Kind::kText || !selection_.cache.keeps(key->text)) return Status::ok();
    }
    bool first_vector = target.dimension == 0;
    DECANT_TRY(logical_to_mongo(target.id.storage, *logical, target.dimension, document_));
    if (first_vector && target.dimension != 0) DECANT_TRY(check_dimension(target));
    return plain_->write(target.collection, document_);
  }

  Status end_stream(const std::string& stream) override {
    auto found = targets_.find(stream);
    if (found == targets_.end()) return Status::ok();
    return plain_->end_stream(found->second.collection);
  }

  Status commit() override { return plain_->commit(); }
  void rollback() override { plain_->rollback(); }
  // Streams map one to one onto collections, so the plain sink's checkpoints and batches hold.
  void track(const Checkpoint* checkpoint) override { plain_->track(checkpoint); }
  Result<std::optional<Checkpoint>> stored_checkpoint() override { return plain_->stored_checkpoint(); }
  Status begin_batch() override { return plain_->begin_batch(); }
  Status end_batch() override { return plain_->end_batch(); }
  Status abort_batch() override { return plain_->abort_batch(); }

 private:
  Status check_dimension(const Target& target) const {
    if (target.existing == 0 || target.dimension == 0 || target.existing == target.dimension) return Status::ok();
    return Status::target("collection \"" + target.collection + "\" holds vectors of dimension " +
                          std::to_string(target.existing) + ", the archive's are of dimension " +
                          std::to_string(target.dimension) +
                          " (a different embedding model: --drop replaces the collection)");
  }

  std::unique_ptr<Sink> plain_;
  std::unique_ptr<MongoClient> client_;  // for what the plain sink does not ask (existing vector dimensions)
  Selection selection_;
  SinkOptions options_;
  std::map<std::string, Target> targets_;  // by archive stream name
  Record table_row_, document_;
};

}  // namespace

Result<std::unique_ptr<Sink>> open_lightrag_mongo_sink(const std::string& uri, const SinkOptions& options) {
  Result<Selection> selection = selection_from_settings(options.settings, "all");
  if (!selection) return selection.take_status();
  SinkOptions plain_options = options;
  for (const char* layout_flag : {"layout", "workspace", "namespaces", "cache-types"}) plain_options.settings.erase(layout_flag);
  const SinkBackend* mongo = builtin_sinks().find(uri);
  if (!mongo) return Status::internal("no mongodb sink registered");
  Result<std::unique_ptr<Sink>> plain = mongo->open(uri, plain_options);
  if (!plain) return plain.take_status();
  Result<std::unique_ptr<MongoClient>> client = MongoClient::open(uri, plain_options.settings, Side::kTarget);
  if (!client) return client.take_status();
  return std::unique_ptr<Sink>(new LightragMongoSink(std::move(plain.value()), std::move(client.value()),
                                                     std::move(selection.value()), options));
}

}  // namespace decant
