// MongoDB export (format/SPEC.md 11.4): every collection of the database (views and system.*
// collections aside) becomes a stream of kind `collection`, its options and indexes in the
// stream description as canonical Extended JSON. Documents are read with a cursor in batches,
// one at a time, field order as stored.
#include <algorithm>

#include "backends/mongo_client.h"
#include "export/layout_sources.h"
#include "export/source.h"
#include "format/uri.h"
#include "layouts/lightrag.h"

namespace decant {
namespace {

constexpr int32_t kBatchSize = 1000;  // documents per cursor batch (bounded by 16 MiB anyway)

std::string collection_frame(const std::string& name) { return "collection \"" + name + "\""; }

class MongoSource final : public Source {
 public:
  static Result<std::unique_ptr<Source>> open(const std::string& uri, const SourceOptions& options) {
    Result<bool> layout = lightrag::wants_lightrag_layout(options.settings);
    if (!layout) return layout.take_status();
    if (*layout) return open_lightrag_mongo_source(uri, options);
    Result<std::unique_ptr<MongoClient>> client = MongoClient::open(uri, options.settings, Side::kSource);
    if (!client) return client.status();
    auto source = std::unique_ptr<MongoSource>(new MongoSource());
    source->client_ = std::move(client.value());
    source->location_ = redact_uri(uri);
    Result<MongoServerInfo> info = source->client_->server_info();
    if (!info) return info.status();
    source->info_ = info.value();
    return std::unique_ptr<Source>(std::move(source));
  }

  SourceDescription describe() const override {
    SourceDescription d;
    d.backend = "mongodb";
    d.location = location_;
    d.details = {{"database", client_->db()}, {"server_version", info_.version}};
    return d;
  }

  Result<std::vector<StreamInfo>> streams() override {
    std::vector<StreamInfo> out;
    bson_error_t error;
    bson_t* filter = BCON_NEW("filter", "{", "type", BCON_UTF8("collection"), "}");
    MongoCursor cursor(mongoc_database_find_collections_with_opts(client_->database(), filter));
    bson_destroy(filter);
    const bson_t* spec;
    while (mongoc_cursor_next(cursor.get(), &spec)) {
      bson_iter_t it;
      if (!bson_iter_init_find(&it, spec, "name") || !BSON_ITER_HOLDS_UTF8(&it)) continue;
      StreamInfo s;
      s.name = bson_iter_utf8(&it, nullptr);
      if (s.name.starts_with("system.")) continue;
      // mongo-java-server lists no `type`, so the filter above is not enough to leave out views.
      if (bson_iter_init_find(&it, spec, "type") && BSON_ITER_HOLDS_UTF8(&it) &&
          std::string_view(bson_iter_utf8(&it, nullptr)) != "collection")
        continue;
      s.kind = "collection";
      s.key = {"_id"};
      s.options = {{"source_backend", "mongodb"}};
      if (bson_iter_init_find(&it, spec, "options") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        bson_t options;
        uint32_t length;
        const uint8_t* data;
        bson_iter_document(&it, &length, &data);
        bson_init_static(&options, data, length);
        if (!bson_empty(&options)) s.options["collection_options"] = nlohmann::json::parse(bson_to_json(&options));
      }
      out.push_back(std::move(s));
    }
    if (mongoc_cursor_error(cursor.get(), &error)) return client_->failure("listCollections", error);
    std::sort(out.begin(), out.end(), [](const StreamInfo& a, const StreamInfo& b) { return a.name < b.name; });
    for (StreamInfo& s : out) {
      DECANT_TRY(read_indexes(s).context(collection_frame(s.name)));
      mongoc_collection_t* c = mongoc_database_get_collection(client_->database(), s.name.c_str());
      s.estimated_rows = mongoc_collection_estimated_document_count(c, nullptr, nullptr, nullptr, &error);
      mongoc_collection_destroy(c);
    }
    return out;
  }

  Status read(const StreamInfo& stream, const RecordFn& emit) override {
    mongoc_collection_t* c = mongoc_database_get_collection(client_->database(), stream.name.c_str());
    bson_t filter = BSON_INITIALIZER;
    bson_t* opts = BCON_NEW("batchSize", BCON_INT32(kBatchSize));
    MongoCursor cursor(mongoc_collection_find_with_opts(c, &filter, opts, nullptr));
    bson_destroy(opts);
    mongoc_collection_destroy(c);
    const bson_t* doc;
    Record record;
    int64_t n = 0;
    while (mongoc_cursor_next(cursor.get(), &doc)) {
      ++n;
      if (Status s = bson_to_record(doc, record); !s) {
        const Value* id = record.size() && record[0].name == "_id" ? &record[0].value : nullptr;
        std::string where = "document " + std::to_string(n);
        if (id && id->kind == Kind::kObjectId) where += " (_id " + id->text + ")";
        return std::move(s).context(where);
      }
      DECANT_TRY(emit(record));
      if (interrupt_requested()) return interrupted_status();
    }
    bson_error_t error;
    if (mongoc_cursor_error(cursor.get(), &error))
      return client_->failure("find", error);
    return Status::ok();
  }

 private:
  // Each index but _id_, its whole specification (key, unique, expireAfterSeconds,
  // partialFilterExpression, ...) kept as canonical Extended JSON in `definition`.
  Status read_indexes(StreamInfo& s) {
    mongoc_collection_t* c = mongoc_database_get_collection(client_->database(), s.name.c_str());
    MongoCursor cursor(mongoc_collection_find_indexes_with_opts(c, nullptr));
    mongoc_collection_destroy(c);
    const bson_t* spec;
    while (mongoc_cursor_next(cursor.get(), &spec)) {
      Index index;
      bson_t kept = BSON_INITIALIZER;
      bson_iter_t it;
      bson_iter_init(&it, spec);
      while (bson_iter_next(&it)) {
        std::string_view key = bson_iter_key(&it);
        // The index format version and namespace belong to the server that built it.
        if (key == "v" || key == "ns") continue;
        if (key == "name" && BSON_ITER_HOLDS_UTF8(&it)) index.name = bson_iter_utf8(&it, nullptr);
        if (key == "unique") index.unique = bson_iter_as_bool(&it);
        if (key == "key" && BSON_ITER_HOLDS_DOCUMENT(&it)) {
          bson_iter_t fields;
          bson_iter_recurse(&it, &fields);
          while (bson_iter_next(&fields)) index.columns.push_back(bson_iter_key(&fields));
        }
        bson_append_iter(&kept, nullptr, 0, &it);
      }
      index.definition = bson_to_json(&kept);
      bson_destroy(&kept);
      if (index.name != "_id_") s.indexes.push_back(std::move(index));
    }
    bson_error_t error;
    if (mongoc_cursor_error(cursor.get(), &error)) return client_->failure("listIndexes", error);
    return Status::ok();
  }

  std::unique_ptr<MongoClient> client_;
  std::string location_;
  MongoServerInfo info_;
};

}  // namespace

void register_mongo_source(SourceRegistry& registry) {
  SourceBackend backend{
      .scheme = "mongodb",
      .summary = "MongoDB (mongodb://[user:password@]host[:port]/DB[?options], or --db DB)",
      .capabilities = "no snapshot: each collection is read as it is when reached; cursor batches of 1000; "
                      "options and indexes in the stream description",
      .options = {{"db", BackendOption::Type::kString, "MongoDB: the database, when the URI's path names none"}},
      .open = MongoSource::open,
  };
  backend.capabilities += "; --layout lightrag: LightRAG's own collections (SPEC 11.5.4)";
  backend.options.push_back(lightrag::layout_option());
  for (BackendOption& option : lightrag::export_options()) backend.options.push_back(std::move(option));
  registry.add(std::move(backend));
}

}  // namespace decant
