// LightRAG working-directory export (format/SPEC.md 11.5.3): every kv_store, vdb and graph
// file of every workspace becomes the logical stream of its namespace. Files are read
// incrementally, one entry or row at a time, so their size does not matter.
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "backends/lightrag_dir.h"
#include "backends/lightrag_graphml.h"
#include "backends/lightrag_json.h"
#include "backends/lightrag_vectors.h"
#include "export/source.h"
#include "format/uri.h"
#include "layouts/lightrag.h"

namespace decant {
namespace {

using namespace lightrag;

int64_t file_size(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0 ? static_cast<int64_t>(info.st_size) : -1;
}

bool is_llm_cache(const StreamId& id) {
  std::string_view ns = id.ns;
  return ns.size() >= kLlmCacheNamespace.size() && ns.substr(ns.size() - kLlmCacheNamespace.size()) == kLlmCacheNamespace;
}

// The float32 rows of the matrix, decoded from its base64 text as they are needed.
class MatrixRows {
 public:
  MatrixRows(std::unique_ptr<JsonFileReader> reader, size_t dimension)
      : reader_(std::move(reader)), row_bytes_(dimension * sizeof(float)) {}

  Status begin() { return reader_->expect('"'); }

  Status next(std::vector<float>& row) {
    while (bytes_.size() - used_ < row_bytes_ && !done_) {
      text_.clear();
      DECANT_TRY(reader_->read_plain_string_part(text_, 1 << 16, done_));
      Status decoded = decoder_.add(text_, bytes_);
      if (done_ && decoded) decoded = decoder_.finish(bytes_);
      if (!decoded) return reader_->error("\"matrix\": " + decoded.message());
    }
    if (bytes_.size() - used_ < row_bytes_) return reader_->error("\"matrix\" has fewer rows than \"data\"");
    row.resize(row_bytes_ / sizeof(float));
    std::memcpy(row.data(), bytes_.data() + used_, row_bytes_);
    used_ += row_bytes_;
    if (used_ > (1 << 20)) {
      bytes_.erase(0, used_);
      used_ = 0;
    }
    return Status::ok();
  }

  Status finish() {
    std::vector<float> extra;
    if (!done_ || bytes_.size() != used_) {
      Status more = next(extra);
      if (more) return reader_->error("\"matrix\" has more rows than \"data\"");
    }
    return Status::ok();
  }

 private:
  std::unique_ptr<JsonFileReader> reader_;
  size_t row_bytes_;
  Base64Decoder decoder_;
  std::string text_, bytes_;
  size_t used_ = 0;
  bool done_ = false;
};

Value vector_value(std::vector<float> floats) {
  Value v;
  v.kind = Kind::kVector;
  v.floats = std::move(floats);
  return v;
}

class LightragSource final : public Source {
 public:
  static Result<std::unique_ptr<Source>> open(const std::string& uri, const SourceOptions& options) {
    std::string path = uri_path(uri);
    if (path.empty()) return Status::usage("lightrag: no directory in \"" + uri + "\"");
    Result<Selection> selection = selection_from_settings(options.settings, kDefaultCacheTypes);
    if (!selection) return selection.take_status();
    Result<std::vector<StreamId>> all = list_directory(path);
    if (!all) return all.take_status();
    return std::unique_ptr<Source>(new LightragSource(path, std::move(selection.value()), std::move(all.value()), options.note));
  }

  SourceDescription describe() const override {
    SourceDescription description;
    description.backend = "lightrag";
    description.location = redact_uri(root_);
    description.snapshot = nullptr;
    return description;
  }

  Result<std::vector<StreamInfo>> streams() override {
    std::vector<StreamInfo> streams;
    for (const StreamId& id : all_) {
      if (!selection_.keeps_workspace(id.workspace) || !selection_.keeps_namespace(id.ns)) continue;
      StreamInfo stream = make_stream(id);
      std::string path = stream_file(root_, id);
      stream.estimated_bytes = file_size(path);
      if (id.storage == Storage::kVector) {
        Result<VectorFile> file = scan_vector_file(path);
        if (!file) return file.take_status();
        stream.options["lightrag"]["embedding_dim"] = file->dimension;
        if (!file->members.empty()) stream.options["lightrag"]["file_members"] = file->members;
        stream.estimated_rows = file->rows;
        vector_files_[stream.name] = std::move(file.value());
      }
      streams.push_back(std::move(stream));
    }
    if (selection_.workspace && streams.empty())
      return Status::usage("lightrag: no LightRAG files for workspace \"" + *selection_.workspace + "\" in " + root_);
    return streams;
  }

  Status read(const StreamInfo& stream, const RecordFn& emit) override {
    Result<StreamId> id = identify_stream(stream);
    if (!id) return id.take_status();
    std::string path = stream_file(root_, *id);
    switch (id->storage) {
      case Storage::kKv:
      case Storage::kDocStatus: return read_key_values(*id, path, emit);
      case Storage::kVector: return read_vectors(stream.name, path, emit);
      case Storage::kGraphNodes: return read_graphml(path, GraphPart::kNodes, emit);
      case Storage::kGraphEdges: return read_graphml(path, GraphPart::kEdges, emit);
    }
    return Status::internal("unknown storage");
  }

 private:
  LightragSource(std::string root, Selection selection, std::vector<StreamId> all,
                 std::function<void(const std::string&)> note)
      : root_(std::move(root)), selection_(std::move(selection)), all_(std::move(all)), note_(std::move(note)) {}

  // One kv_store file: the top-level object's entries, one at a time, with LightRAG's legacy
  // cache conversion (SPEC 11.5.2) and the cache-type filter.
  Status read_key_values(const StreamId& id, const std::string& path, const RecordFn& emit) {
    Result<std::unique_ptr<JsonFileReader>> opened = JsonFileReader::open(path);
    if (!opened) return opened.take_status();
    JsonFileReader& reader = **opened;
    bool filtered = is_llm_cache(id) && !selection_.cache.keeps_everything();
    int64_t left_out = 0;
    Record record;
    Value entry;
    auto deliver = [&](const std::string& key) -> Status {
      if (filtered && !selection_.cache.keeps(key)) {
        ++left_out;
        return Status::ok();
      }
      return emit(record);
    };

    DECANT_TRY(reader.expect('{'));
    bool first = true, decided = false, legacy = false;
    std::string key, inner;
    for (;;) {
      Result<bool> member = reader.next_member(first, key);
      if (!member) return member.take_status();
      if (!*member) break;
      if (!decided) {
        decided = true;
        legacy = is_cache_namespace(id.ns) && !is_flattened_cache_key(key);
      }
      Result<int> next = reader.peek();
      if (!next) return next.take_status();
      if (*next != '{') return reader.error("entry \"" + key + "\" is not an object");
      if (!legacy && filtered && !selection_.cache.keeps(key)) {
        ++left_out;
        DECANT_TRY(reader.skip_value());
        continue;
      }
      DECANT_TRY(reader.expect('{'));
      record.clear_keep_capacity();
      record.add("_id") = Value::of_text(key);
      if (!legacy) {
        DECANT_TRY(reader.read_members(record, "_id"));
        DECANT_TRY(deliver(key));
        continue;
      }
      // A legacy file: this entry is either a mode holding {hash: entry} or a plain record,
      // which its first member tells (LightRAG requires every member to be an entry).
      bool inner_first = true;
      Result<bool> has_member = reader.next_member(inner_first, inner);
      if (!has_member) return has_member.take_status();
      if (!*has_member) continue;  // an empty mode: LightRAG's conversion drops it
      DECANT_TRY(reader.read_value(entry, 2));
      bool nested = entry.kind == Kind::kDocument &&
                    std::any_of(entry.fields.begin(), entry.fields.end(), [](const Field& f) { return f.name == "return"; });
      if (!nested) {
        if (inner != "_id") record.add(inner) = std::move(entry);
        DECANT_TRY(reader.read_members(record, "_id", false));
        DECANT_TRY(deliver(key));
        continue;
      }
      for (;;) {
        std::string cache_type = "extract";
        for (const Field& f : entry.fields)
          if (f.name == "cache_type" && f.value.kind == Kind::kText) cache_type = f.value.text;
        std::string flattened = flattened_cache_key(key, cache_type, inner);
        record.clear_keep_capacity();
        record.add("_id") = Value::of_text(flattened);
        for (Field& f : entry.fields)
          if (f.name != "_id") record.add(f.name) = std::move(f.value);
        DECANT_TRY(deliver(flattened));
        has_member = reader.next_member(inner_first, inner);
        if (!has_member) return has_member.take_status();
        if (!*has_member) break;
        DECANT_TRY(reader.read_value(entry, 2));
        bool is_entry = entry.kind == Kind::kDocument &&
                        std::any_of(entry.fields.begin(), entry.fields.end(), [](const Field& f) { return f.name == "return"; });
        if (!is_entry)
          return reader.error("legacy cache mode \"" + key + "\": member \"" + inner + "\" is not a cache entry");
      }
    }
    DECANT_TRY(reader.expect_end());
    if (left_out > 0)
      note_(stream_name(id) + ": left out " + std::to_string(left_out) +
            " cache entries that --cache-types does not select (default extract,summary,analysis; --cache-types all keeps every entry)");
    return Status::ok();
  }

  // A nano-vectordb file: rows from `data`, each with its matrix row read from a second
  // position in the same file.
  Status read_vectors(const std::string& stream, const std::string& path, const RecordFn& emit) {
    auto found = vector_files_.find(stream);
    if (found == vector_files_.end()) return Status::internal("vector stream read before streams()");
    const VectorFile& file = found->second;
    if (!file.has_data) return Status::ok();
    Result<std::unique_ptr<JsonFileReader>> rows = JsonFileReader::open(path, file.data_offset);
    if (!rows) return rows.take_status();
    std::unique_ptr<MatrixRows> matrix;
    if (file.has_matrix) {
      Result<std::unique_ptr<JsonFileReader>> at = JsonFileReader::open(path, file.matrix_offset);
      if (!at) return at.take_status();
      matrix = std::make_unique<MatrixRows>(std::move(at.value()), static_cast<size_t>(file.dimension));
      DECANT_TRY(matrix->begin());
    }
    JsonFileReader& reader = **rows;
    DECANT_TRY(reader.expect('['));
    Record row, record;
    std::vector<float> floats;
    bool first = true;
    for (;;) {
      Result<bool> element = reader.next_element(first);
      if (!element) return element.take_status();
      if (!*element) break;
      DECANT_TRY(reader.expect('{'));
      row.clear_keep_capacity();
      DECANT_TRY(reader.read_members(row, ""));
      const Value* id = row.find("__id__");
      if (!id || id->kind != Kind::kText) return reader.error("a row without a text \"__id__\"");
      record.clear_keep_capacity();
      record.add("_id") = *id;
      std::string frame = "row \"" + id->text + "\"";
      for (const Field& field : row) {
        if (field.name == "__id__") continue;
        if (field.name == "_id" || field.name == "created_at" || field.name == "normalized")
          return reader.error(frame + ": member \"" + field.name + "\" clashes with the logical record's fields");
        if (field.name == "__created_at__") {
          record.add("created_at") = field.value;
        } else if (field.name == "vector") {
          if (field.value.kind != Kind::kText) return reader.error(frame + ": \"vector\" is not a string");
          Status decoded = decode_row_vector(field.value.text, floats);
          if (!decoded) return reader.error(frame + ": " + decoded.message());
          if (static_cast<int64_t>(floats.size()) != file.dimension)
            return reader.error(frame + ": \"vector\" has " + std::to_string(floats.size()) + " elements, embedding_dim is " +
                                std::to_string(file.dimension));
          record.add("vector") = vector_value(floats);
        } else {
          record.add(field.name) = field.value;
        }
      }
      if (matrix) {
        Status matrix_row = matrix->next(floats);
        if (!matrix_row) return std::move(matrix_row).context(frame);
        record.add("normalized") = vector_value(floats);
      }
      DECANT_TRY(emit(record));
    }
    if (matrix) DECANT_TRY(matrix->finish());
    return Status::ok();
  }

  std::string root_;
  Selection selection_;
  std::vector<StreamId> all_;
  std::function<void(const std::string&)> note_;
  std::map<std::string, VectorFile> vector_files_;
};

}  // namespace

void register_lightrag_source(SourceRegistry& registry) {
  registry.add(SourceBackend{
      .scheme = "lightrag",
      .summary = "LightRAG working directory (lightrag:DIR): kv_store_*.json, vdb_*.json, graph_*.graphml of every workspace",
      .capabilities = "no snapshot (LightRAG must not write meanwhile); files are read incrementally, one entry at a time",
      .options = export_options(),
      .open = LightragSource::open,
  });
}

}  // namespace decant
