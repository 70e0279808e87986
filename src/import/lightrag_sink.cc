// LightRAG working-directory import (format/SPEC.md 11.5.3): each logical stream becomes the
// file LightRAG keeps it in, written in the bytes LightRAG's own writers produce, through a
// temporary sibling renamed into place when the import commits. One record is held at a time;
// a vector matrix and a graph wait in temporary files until their file can be assembled. With
// --txn stream a checkpoint file beside them makes the import resumable (SPEC 11.5.3).
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <unordered_set>

#include <xxhash.h>

#include "backends/lightrag_dir.h"
#include "backends/lightrag_graphml.h"
#include "backends/lightrag_json.h"
#include "backends/lightrag_vectors.h"
#include "format/byte_io.h"
#include "format/uri.h"
#include "format/value_codec.h"
#include "import/sink.h"
#include "import/table_shape.h"
#include "layouts/lightrag.h"

namespace decant {
namespace {

using namespace lightrag;
namespace fs = std::filesystem;

bool file_exists(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

bool is_llm_cache(const std::string& ns) {
  return ns.size() >= kLlmCacheNamespace.size() && ns.compare(ns.size() - kLlmCacheNamespace.size(), std::string::npos, kLlmCacheNamespace) == 0;
}

// One target file: a temporary sibling renamed over it by commit(), or, in a dry run (given
// where to count the bytes it would write), nothing.
class OutputFile {
 public:
  static Result<std::unique_ptr<OutputFile>> create(const std::string& path, int64_t* dry_run_bytes) {
    std::unique_ptr<OutputFile> out(new OutputFile(path));
    out->dry_run_bytes_ = dry_run_bytes;
    if (!dry_run_bytes) {
      Result<std::unique_ptr<AtomicFileSink>> file = AtomicFileSink::create(path, true);
      if (!file) return file.take_status();
      out->file_ = std::move(file.value());
    }
    return out;
  }
  Status write(std::string_view bytes) {
    if (dry_run_bytes_) *dry_run_bytes_ += int64_t(bytes.size());
    return file_ ? file_->write(bytes) : Status::ok();
  }
  // Writes and empties `buffer` once it is large.
  Status flush_if_large(std::string& buffer) {
    if (buffer.size() < (1 << 20)) return Status::ok();
    DECANT_TRY(write(buffer));
    buffer.clear();
    return Status::ok();
  }
  // Renames the file into place; once only (--txn stream commits a file when its stream ends,
  // and the import's commit comes again for every file).
  Status commit() {
    if (!file_ || committed_) return Status::ok();
    DECANT_TRY(file_->finish());
    committed_ = true;
    return Status::ok();
  }
  const std::string& path() const { return path_; }
  // Where the bytes wait until commit renames them into place; empty in a dry run.
  std::string temp_path() const { return file_ ? file_->temp_path() : ""; }

 private:
  explicit OutputFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
  std::unique_ptr<AtomicFileSink> file_;
  int64_t* dry_run_bytes_ = nullptr;
  bool committed_ = false;
};

// A temporary file outside the target for what has to wait (matrix rows, graph records).
class Spool {
 public:
  Spool() : file_(std::tmpfile()) {}
  ~Spool() {
    if (file_) std::fclose(file_);
  }
  Status write(std::string_view bytes) {
    if (!file_ || std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size())
      return Status::target("cannot write a temporary file");
    return Status::ok();
  }
  Status rewind() {
    if (!file_ || std::fflush(file_) != 0 || std::fseek(file_, 0, SEEK_SET) != 0)
      return Status::target("cannot read back a temporary file");
    return Status::ok();
  }
  size_t read(char* buffer, size_t size) { return std::fread(buffer, 1, size, file_); }
  // One '\n'-terminated line, without it; false at the end.
  bool line(std::string& out) {
    out.clear();
    int c;
    while ((c = std::fgetc(file_)) != EOF && c != '\n') out += static_cast<char>(c);
    return c != EOF || !out.empty();
  }

 private:
  FILE* file_;
};

using KeyHash = std::pair<uint64_t, uint64_t>;
struct KeyHashOf {
  size_t operator()(const KeyHash& h) const { return h.first ^ (h.second * 0x9E3779B97F4A7C15ull); }
};
KeyHash key_hash(std::string_view key) {
  XXH128_hash_t h = XXH3_128bits(key.data(), key.size());
  return {h.low64, h.high64};
}

Result<std::vector<float>> floats_of(const Value& value, const char* field) {
  if (value.kind == Kind::kVector || value.kind == Kind::kHalfVector) return value.floats;
  if (value.kind == Kind::kArray) {
    std::vector<float> floats;
    for (const Value& item : value.items) {
      if (item.kind == Kind::kFloat64) floats.push_back(static_cast<float>(item.real));
      else if (item.kind == Kind::kInt64 || item.kind == Kind::kInt32) floats.push_back(static_cast<float>(item.integer));
      else return Status::target(std::string("\"") + field + "\" is an array with an element that is not a number");
    }
    return floats;
  }
  return Status::target(std::string("\"") + field + "\" is not a vector");
}

struct Context {
  std::string root;
  const SinkOptions* options;
  const Selection* selection;
  int64_t* dry_run_bytes;  // what the target files would take, counted in a dry run
  int64_t* output_bytes() const { return options->dry_run ? dry_run_bytes : nullptr; }
};

class Target {
 public:
  virtual ~Target() = default;
  virtual Status write(const Record& record) = 0;
  virtual Status end() = 0;
  // Whether commit() may run: the file is complete.
  virtual bool complete() const { return true; }
  virtual Status commit() = 0;
  virtual std::string temp_path() const = 0;
};

// kv_store_NS.json (and doc status): Python's json.dump(indent=2). Merging into an existing file
// adds its entries after the archive's, minus the keys the archive replaced.
class KeyValueTarget final : public Target {
 public:
  static Result<std::unique_ptr<Target>> open(const Context& context, const StreamId& id) {
    std::unique_ptr<KeyValueTarget> target(new KeyValueTarget(context, id));
    target->path_ = stream_file(context.root, id);
    const SinkOptions& options = *context.options;
    if (!options.drop && !options.truncate && file_exists(target->path_)) {
      target->merging_ = true;
      DECANT_TRY(target->scan_existing());
    }
    Result<std::unique_ptr<OutputFile>> out = OutputFile::create(target->path_, context.output_bytes());
    if (!out) return out.take_status();
    target->out_ = std::move(out.value());
    return std::unique_ptr<Target>(std::move(target));
  }

  Status write(const Record& record) override {
    const Value& id = record[0].value;
    if (id.kind != Kind::kText) return Status::target("the record's _id is not text, which a LightRAG key must be");
    if (filtered_ && !context_.selection->cache.keeps(id.text)) return Status::ok();
    if (merging_) {
      KeyHash hash = key_hash(id.text);
      if (existing_.count(hash)) {
        switch (context_.options->conflict) {
          case ConflictPolicy::kSkip: return Status::ok();
          case ConflictPolicy::kReplace: replaced_.insert(hash); break;
          default:
            return Status::target("key \"" + id.text + "\" is already in " + path_ +
                                  " (--conflict skip or replace, or --drop to replace the file)");
        }
      }
    }
    return append_entry(id.text, record.begin() + 1, record.end());
  }

  Status end() override {
    if (merging_) DECANT_TRY(copy_existing());
    buffer_ += entries_ ? "\n}" : "{}";
    DECANT_TRY(out_->write(buffer_));
    buffer_.clear();
    return Status::ok();
  }

  Status commit() override { return out_->commit(); }
  std::string temp_path() const override { return out_->temp_path(); }

 private:
  KeyValueTarget(const Context& context, const StreamId& id)
      : context_(context), id_(id), filtered_(is_llm_cache(id.ns) && !context.selection->cache.keeps_everything()) {}

  Status append_entry(const std::string& key, const Field* begin, const Field* end) {
    buffer_ += entries_++ ? ",\n  " : "{\n  ";
    encode_string(key, buffer_);
    buffer_ += ": ";
    bool first = true;
    for (const Field* field = begin; field != end; ++field) {
      if (field->name == "_id") continue;
      Status written = append_py_member(field->name, field->value, PyLayout::kIndented, 1, first, buffer_);
      if (!written) return std::move(written).context("key \"" + key + "\", field \"" + field->name + "\"");
      first = false;
    }
    // LightRAG's KV upsert ends every value with the key as "_id"; doc status has none.
    if (id_.storage == Storage::kKv) {
      DECANT_TRY(append_py_member("_id", Value::of_text(key), PyLayout::kIndented, 1, first, buffer_));
      first = false;
    }
    append_py_object_end(first, PyLayout::kIndented, 1, buffer_);
    return out_->flush_if_large(buffer_);
  }

  Status scan_existing() {
    Result<std::unique_ptr<JsonFileReader>> reader = JsonFileReader::open(path_);
    if (!reader) return reader.take_status();
    DECANT_TRY((*reader)->expect('{'));
    bool first = true;
    std::string key;
    for (;;) {
      Result<bool> member = (*reader)->next_member(first, key);
      if (!member) return member.take_status();
      if (!*member) break;
      existing_.insert(key_hash(key));
      DECANT_TRY((*reader)->skip_value());
    }
    return (*reader)->expect_end();
  }

  Status copy_existing() {
    Result<std::unique_ptr<JsonFileReader>> opened = JsonFileReader::open(path_);
    if (!opened) return opened.take_status();
    JsonFileReader& reader = **opened;
    DECANT_TRY(reader.expect('{'));
    bool first = true;
    std::string key;
    Record record;
    for (;;) {
      Result<bool> member = reader.next_member(first, key);
      if (!member) return member.take_status();
      if (!*member) break;
      if (replaced_.count(key_hash(key))) {
        DECANT_TRY(reader.skip_value());
        continue;
      }
      record.clear_keep_capacity();
      Result<int> next = reader.peek();
      if (!next) return next.take_status();
      if (*next != '{') return reader.error("entry \"" + key + "\" is not an object; the file cannot be merged");
      DECANT_TRY(reader.expect('{'));
      DECANT_TRY(reader.read_members(record, "_id"));
      DECANT_TRY(append_entry(key, record.begin(), record.end()));
    }
    return Status::ok();
  }

  Context context_;
  StreamId id_;
  bool filtered_;
  std::string path_;
  std::unique_ptr<OutputFile> out_;
  std::string buffer_;
  int64_t entries_ = 0;
  bool merging_ = false;
  std::unordered_set<KeyHash, KeyHashOf> existing_, replaced_;
};

// vdb_NS.json: nano-vectordb's one line. Rows go out as they come; the matrix waits in a spool.
class VectorTarget final : public Target {
 public:
  static Result<std::unique_ptr<Target>> open(const Context& context, const StreamId& id, const StreamInfo& stream) {
    std::unique_ptr<VectorTarget> target(new VectorTarget());
    target->path_ = stream_file(context.root, id);
    const nlohmann::json* layout = stream.options.is_object() && stream.options.contains("lightrag")
                                       ? &stream.options["lightrag"] : nullptr;
    if (layout && layout->is_object()) {
      auto dim = layout->find("embedding_dim");
      if (dim != layout->end() && dim->is_number_integer() && dim->get<int64_t>() > 0) target->dimension_ = dim->get<int64_t>();
      auto members = layout->find("file_members");
      if (members != layout->end() && members->is_object()) target->file_members_ = *members;
    }
    const SinkOptions& options = *context.options;
    if (file_exists(target->path_) && !options.drop) {
      Result<VectorFile> existing = scan_vector_file(target->path_);
      if (!existing) return existing.take_status();
      if (existing->rows > 0 && !options.truncate)
        return Status::target(target->path_ + " already holds " + std::to_string(existing->rows) +
                              " vectors; a vector file is never merged (--drop or --truncate replaces it)");
      target->existing_dimension_ = existing->dimension;
      if (target->dimension_ > 0) DECANT_TRY(target->check_dimension(target->dimension_));
    }
    Result<std::unique_ptr<OutputFile>> out = OutputFile::create(target->path_, context.output_bytes());
    if (!out) return out.take_status();
    target->out_ = std::move(out.value());
    return std::unique_ptr<Target>(std::move(target));
  }

  Status write(const Record& record) override {
    const Value& id = record[0].value;
    if (id.kind != Kind::kText) return Status::target("the record's _id is not text, which a vector id must be");
    Status written = write_row(id.text, record);
    if (!written) return std::move(written).context("vector \"" + id.text + "\"");
    return Status::ok();
  }

  Status end() override {
    if (dimension_ <= 0) return Status::ok();  // no records and no dimension: no file (SPEC 11.5.3)
    if (rows_ == 0) DECANT_TRY(start());
    buffer_ += "], \"matrix\": \"";
    DECANT_TRY(matrix_.rewind());
    Base64Encoder encoder;
    std::vector<char> chunk(3 << 16);
    size_t got;
    while ((got = matrix_.read(chunk.data(), chunk.size())) > 0) {
      encoder.add(std::string_view(chunk.data(), got), buffer_);
      DECANT_TRY(out_->flush_if_large(buffer_));
    }
    encoder.finish(buffer_);
    buffer_ += '"';
    for (auto& [name, member] : file_members_.items()) {
      buffer_ += ", ";
      encode_string(name, buffer_);
      buffer_ += ": " + member.dump(-1, ' ', false);
    }
    buffer_ += '}';
    DECANT_TRY(out_->write(buffer_));
    buffer_.clear();
    written_ = true;
    return Status::ok();
  }

  Status commit() override { return written_ ? out_->commit() : Status::ok(); }
  std::string temp_path() const override { return out_->temp_path(); }

 private:
  Status check_dimension(int64_t dimension) {
    if (existing_dimension_ > 0 && existing_dimension_ != dimension)
      return Status::target("embedding dimension mismatch: the archive's vectors have " + std::to_string(dimension) +
                            " dimensions, " + path_ + " has embedding_dim " + std::to_string(existing_dimension_) +
                            " (LightRAG would refuse to load it; --drop replaces the file)");
    return Status::ok();
  }

  Status start() {
    buffer_ += "{\"embedding_dim\": " + std::to_string(dimension_) + ", \"data\": [";
    return Status::ok();
  }

  Status write_row(const std::string& id, const Record& record) {
    const Value* vector = record.find("vector");
    const Value* normalized = record.find("normalized");
    if (!vector && !normalized) return Status::target("the record has neither \"vector\" nor \"normalized\"");
    Result<std::vector<float>> raw = vector ? floats_of(*vector, "vector") : Result<std::vector<float>>(std::vector<float>());
    if (!raw) return raw.take_status();
    Result<std::vector<float>> unit = normalized ? floats_of(*normalized, "normalized") : l2_normalized(raw.value());
    if (!unit) return unit.take_status();
    int64_t length = static_cast<int64_t>(unit->size());
    if (dimension_ <= 0) {
      dimension_ = length;
      DECANT_TRY(check_dimension(dimension_));
    }
    if (length != dimension_ || (vector && static_cast<int64_t>(raw->size()) != dimension_))
      return Status::target("the vector has " + std::to_string(vector ? raw->size() : unit->size()) +
                            " dimensions, the stream's embedding_dim is " + std::to_string(dimension_));
    if (rows_++ == 0) DECANT_TRY(start());
    else buffer_ += ", ";
    DECANT_TRY(append_py_member("__id__", Value::of_text(id), PyLayout::kOneLine, 0, true, buffer_));
    for (size_t i = 1; i < record.size(); ++i) {
      const Field& field = record[i];
      if (field.name == "normalized") continue;
      if (field.name == "vector") {
        DECANT_TRY(append_py_member("vector", Value::of_text(encode_row_vector(raw.value())), PyLayout::kOneLine, 0, false, buffer_));
        continue;
      }
      const std::string& name = field.name == "created_at" ? "__created_at__" : field.name;
      Status member = append_py_member(name, field.value, PyLayout::kOneLine, 0, false, buffer_);
      if (!member) return std::move(member).context("field \"" + field.name + "\"");
    }
    append_py_object_end(false, PyLayout::kOneLine, 0, buffer_);
    std::string bytes;
    append_float32_le(unit.value(), bytes);
    DECANT_TRY(matrix_.write(bytes));
    return out_->flush_if_large(buffer_);
  }

  std::string path_;
  int64_t dimension_ = -1;
  int64_t existing_dimension_ = -1;
  nlohmann::json file_members_ = nlohmann::json::object();
  std::unique_ptr<OutputFile> out_;
  std::string buffer_;
  Spool matrix_;
  int64_t rows_ = 0;
  bool written_ = false;
};

// graph_NS.graphml: the node and edge streams of one graph meet here; both wait in spools until
// the file can be written with networkx's key numbering.
class GraphFile {
 public:
  static Result<std::unique_ptr<GraphFile>> open(const Context& context, const StreamId& id) {
    std::unique_ptr<GraphFile> graph(new GraphFile());
    std::string path = stream_file(context.root, id);
    if (file_exists(path) && !context.options->drop && !context.options->truncate)
      return Status::target(path + " already exists; a graph file is never merged (--drop or --truncate replaces it)");
    Result<std::unique_ptr<OutputFile>> out = OutputFile::create(path, context.output_bytes());
    if (!out) return out.take_status();
    graph->out_ = std::move(out.value());
    return graph;
  }

  Status write(GraphPart part, const Record& record) {
    DECANT_TRY(writer_.observe(part, record));
    line_.clear();
    encode_record(record, line_);
    line_ += '\n';
    return spool(part).write(line_);
  }

  void begin(GraphPart part) { ++open_parts_; seen_[part == GraphPart::kNodes] = true; }
  void end() { --open_parts_; }
  bool both_ended() const { return open_parts_ == 0 && seen_[0] && seen_[1]; }

  Status finish() {
    if (finished_) return Status::ok();
    finished_ = true;
    ByteSinkAdapter sink(*out_);
    DECANT_TRY(writer_.write(sink, [&](GraphPart part, const std::function<Status(const Record&)>& fn) -> Status {
      Spool& from = spool(part);
      DECANT_TRY(from.rewind());
      std::string text;
      Record record;
      while (from.line(text)) {
        Result<Value> value = decode_value_text(text);
        if (!value) return value.take_status();
        record.clear_keep_capacity();
        for (Field& field : value->fields) record.add(field.name) = std::move(field.value);
        DECANT_TRY(fn(record));
      }
      return Status::ok();
    }));
    return Status::ok();
  }
  Status commit() {
    if (committed_) return Status::ok();  // both of its streams commit it
    DECANT_TRY(finish());
    committed_ = true;
    return out_->commit();
  }
  std::string temp_path() const { return out_->temp_path(); }

 private:
  class ByteSinkAdapter final : public ByteSink {
   public:
    explicit ByteSinkAdapter(OutputFile& out) : out_(out) {}
    Status write(std::string_view bytes) override { return out_.write(bytes); }
    Status finish() override { return Status::ok(); }

   private:
    OutputFile& out_;
  };
  Spool& spool(GraphPart part) { return part == GraphPart::kNodes ? nodes_ : edges_; }

  std::unique_ptr<OutputFile> out_;
  GraphmlWriter writer_;
  Spool nodes_, edges_;
  std::string line_;
  int open_parts_ = 0;
  bool seen_[2] = {false, false};  // [0] edges, [1] nodes
  bool finished_ = false;
  bool committed_ = false;
};

class GraphPartTarget final : public Target {
 public:
  GraphPartTarget(std::shared_ptr<GraphFile> graph, GraphPart part) : graph_(std::move(graph)), part_(part) {
    graph_->begin(part_);
  }
  Status write(const Record& record) override { return graph_->write(part_, record); }
  Status end() override {
    graph_->end();
    return graph_->both_ended() ? graph_->finish() : Status::ok();
  }
  bool complete() const override { return graph_->both_ended(); }
  Status commit() override { return graph_->commit(); }
  std::string temp_path() const override { return graph_->temp_path(); }

 private:
  std::shared_ptr<GraphFile> graph_;
  GraphPart part_;
};

class LightragSink final : public Sink {
 public:
  static Result<std::unique_ptr<Sink>> open(const std::string& uri, const SinkOptions& options) {
    if (options.conflict == ConflictPolicy::kMerge)
      return Status::usage("lightrag: conflict policy \"merge\" is not supported (LightRAG replaces whole records: use replace)");
    std::string root = uri_path(uri);
    if (root.empty()) return Status::usage("lightrag: no directory in \"" + uri + "\"");
    Result<Selection> selection = selection_from_settings(options.settings, "all");
    if (!selection) return selection.take_status();
    std::error_code error;
    if (fs::exists(root, error) && !fs::is_directory(root, error))
      return Status::target(root + " exists and is not a directory");
    return std::unique_ptr<Sink>(new LightragSink(root, options, std::move(selection.value())));
  }

  ~LightragSink() override {
    if (!committed_) rollback();
  }

  Status begin() override {
    // Only now: the driver has compared the checkpoint's archive with this one.
    if (resuming_) remove_stale_temporaries();
    return Status::ok();
  }

  Status begin_stream(const StreamInfo& stream) override {
    if (resumed_.done.count(stream.name)) {  // its file is in place since an interrupted run
      skipped_.insert(stream.name);
      return Status::ok();
    }
    Result<SinkStream> target_stream = sink_stream(stream, selection_);
    if (!target_stream) return target_stream.take_status();
    StreamId id = target_stream->id;
    bool table_form = target_stream->table_form;
    if (!selection_.keeps_namespace(id.ns)) {
      skipped_.insert(stream.name);
      options_.left_out(stream.name, "--namespaces does not select \"" + id.ns + "\"");
      return Status::ok();
    }
    for (const auto& [name, active] : streams_)
      if (active.id == id) return Status::target("two streams for namespace \"" + id.ns + "\" of workspace \"" + id.workspace + "\"");
    for (const StreamId& done : finished_ids_)
      if (done == id) return Status::target("two streams for namespace \"" + id.ns + "\" of workspace \"" + id.workspace + "\"");
    DECANT_TRY(make_directory(workspace_directory(root_, id.workspace)));

    Context context{root_, &options_, &selection_, &dry_run_bytes_};
    std::unique_ptr<Target> target;
    if (id.storage == Storage::kKv || id.storage == Storage::kDocStatus) {
      Result<std::unique_ptr<Target>> opened = KeyValueTarget::open(context, id);
      if (!opened) return opened.take_status();
      target = std::move(opened.value());
    } else if (id.storage == Storage::kVector) {
      Result<std::unique_ptr<Target>> opened = VectorTarget::open(context, id, stream);
      if (!opened) return opened.take_status();
      target = std::move(opened.value());
    } else {
      std::string path = stream_file(root_, id);
      std::shared_ptr<GraphFile>& graph = graphs_[path];
      if (!graph) {
        Result<std::unique_ptr<GraphFile>> opened = GraphFile::open(context, id);
        if (!opened) return opened.take_status();
        graph = std::move(opened.value());
      }
      target = std::make_unique<GraphPartTarget>(graph, id.storage == Storage::kGraphNodes ? GraphPart::kNodes : GraphPart::kEdges);
    }
    streams_[stream.name] = Active{id, std::move(target), table_form};
    return Status::ok();
  }

  Status write(const std::string& stream, const Record& record) override {
    auto found = streams_.find(stream);
    if (found == streams_.end()) {
      if (skipped_.count(stream)) return Status::ok();
      return Status::internal("record for a stream that has not begun");
    }
    const Record* document = &record;
    if (found->second.table_form) {
      DECANT_TRY(from_table_row(record, document_));
      document = &document_;
    }
    if (document->size() == 0 || (*document)[0].name != "_id")
      return Status::target("the record does not start with _id, which every LightRAG record has (SPEC 11.5.2)");
    return found->second.target->write(*document);
  }

  Status end_stream(const std::string& stream) override {
    auto found = streams_.find(stream);
    if (found == streams_.end()) return Status::ok();
    Status ended = found->second.target->end();
    if (!ended) return std::move(ended).context(stream_file(root_, found->second.id));
    std::string path = stream_file(root_, found->second.id);
    finished_ids_.push_back(found->second.id);
    ended_.push_back(std::move(found->second.target));
    streams_.erase(found);
    not_in_place_.emplace_back(stream, path);
    if (options_.txn == TxnMode::kStream && ended_.back()->complete()) return commit_file(*ended_.back(), path);
    return Status::ok();
  }

  void track(const Checkpoint* checkpoint) override { checkpoint_ = checkpoint; }

  Result<std::optional<Checkpoint>> stored_checkpoint() override {
    std::string path = checkpoint_path();
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::optional<Checkpoint>();
    std::stringstream text;
    text << in.rdbuf();
    Result<Progress> stored = parse_checkpoint(text.str());
    if (!stored) return stored.take_status().context(path);
    resumed_ = std::move(stored.value());
    resuming_ = true;
    return std::optional<Checkpoint>(Checkpoint{resumed_.archive_id, resumed_.line, resumed_.records});
  }

  Status commit() override {
    if (!streams_.empty()) return Status::internal("commit before every stream ended");
    for (std::unique_ptr<Target>& target : ended_) DECANT_TRY(target->commit());
    ended_.clear();
    graphs_.clear();
    committed_ = true;
    // Each file is written whole beside the one it replaces: all of it is needed at once.
    if (options_.dry_run) return check_free_space("lightrag", "the files would take", root_, dry_run_bytes_, options_);
    std::error_code error;
    if (checkpoint_ && !fs::remove(checkpoint_path(), error) && error)
      return Status::target("cannot remove " + checkpoint_path() + ": " + error.message());
    return Status::ok();
  }

  void rollback() override {
    // Uncommitted temporary files are removed by their destructors.
    streams_.clear();
    ended_.clear();
    graphs_.clear();
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
      std::error_code ignored;
      if (fs::is_empty(*it, ignored)) fs::remove(*it, ignored);
    }
    created_.clear();
  }

 private:
  struct Active {
    StreamId id;
    std::unique_ptr<Target> target;
    bool table_form = false;
  };

  LightragSink(std::string root, const SinkOptions& options, Selection selection)
      : root_(std::move(root)), options_(options), selection_(std::move(selection)) {}

  // What the checkpoint file says: every record at or before `line` is in place, and so are
  // the files of the `done` streams (records after `line` included). A file's rename commits
  // it; the checkpoint names the file's temporary before the rename ("committing") and folds
  // it in after, so a kill on either side is told apart by whether the temporary still exists.
  struct Progress {
    std::string archive_id;
    int64_t line = 0;
    int64_t records = 0;
    std::set<std::string> done;
  };

  std::string checkpoint_path() const { return (fs::path(root_) / ".decant-import-checkpoint.json").string(); }

  Result<Progress> parse_checkpoint(const std::string& text) const {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    auto bad = [](const std::string& why) {
      return Status::target("not a decant import checkpoint (" + why + "); remove it to import afresh");
    };
    if (!j.is_object()) return bad("not a JSON object");
    auto integer = [&](const nlohmann::json& in, const char* key, int64_t& out) {
      auto it = in.find(key);
      if (it == in.end() || !it->is_number_integer() || it->get<int64_t>() < 0) return false;
      out = it->get<int64_t>();
      return true;
    };
    auto names = [](const nlohmann::json& in, const char* key, std::set<std::string>& out) {
      auto it = in.find(key);
      if (it == in.end() || !it->is_array()) return false;
      for (const nlohmann::json& name : *it) {
        if (!name.is_string()) return false;
        out.insert(name.get<std::string>());
      }
      return true;
    };
    Progress p;
    auto id = j.find("archive_id");
    if (id == j.end() || !id->is_string()) return bad("no archive_id");
    p.archive_id = id->get<std::string>();
    if (!integer(j, "line", p.line) || !integer(j, "records", p.records)) return bad("no line or records");
    if (!names(j, "done", p.done)) return bad("no list of done streams");
    auto committing = j.find("committing");
    if (committing != j.end() && !committing->is_null()) {
      auto temp = committing->find("temp");
      if (!committing->is_object() || temp == committing->end() || !temp->is_string()) return bad("a malformed commit");
      std::error_code error;
      if (!fs::exists(fs::path(root_) / temp->get<std::string>(), error)) {  // renamed: the file is in place
        if (!names(*committing, "streams", p.done)) return bad("a malformed commit");
        if (committing->contains("line") && (!integer(*committing, "line", p.line) || !integer(*committing, "records", p.records)))
          return bad("a malformed commit");
      }
    }
    return p;
  }

  Status save_checkpoint(const nlohmann::json& committing) {
    nlohmann::json j = {{"archive_id", checkpoint_->archive_id},
                        {"line", resumed_.line},
                        {"records", resumed_.records},
                        {"done", resumed_.done},
                        {"committing", committing}};
    Result<std::unique_ptr<AtomicFileSink>> file = AtomicFileSink::create(checkpoint_path(), true);
    if (!file) return file.take_status();
    DECANT_TRY((*file)->write(j.dump()));
    return (*file)->finish();
  }

  // --txn stream: puts one file in place and, when the import keeps a checkpoint, records it.
  // The line advances only when no other stream is open or waiting for its file, for every
  // record up to it to be in place.
  Status commit_file(Target& target, const std::string& path) {
    std::vector<std::string> names;
    for (const auto& [name, file] : not_in_place_)
      if (file == path) names.push_back(name);
    bool checkpointing = checkpoint_ && !options_.dry_run;
    bool advances = streams_.empty() && names.size() == not_in_place_.size();
    if (checkpointing) {
      // Relative to the directory, which a later run may name by another path.
      std::string temp = fs::path(target.temp_path()).lexically_relative(root_).string();
      nlohmann::json committing = {{"temp", temp}, {"streams", names}};
      if (advances) committing.update({{"line", checkpoint_->line}, {"records", checkpoint_->records}});
      DECANT_TRY(save_checkpoint(committing));
    }
    DECANT_TRY(target.commit());
    std::erase_if(not_in_place_, [&](const auto& entry) { return entry.second == path; });
    if (!checkpointing) return Status::ok();
    resumed_.done.insert(names.begin(), names.end());
    if (advances) {
      resumed_.line = checkpoint_->line;
      resumed_.records = checkpoint_->records;
    }
    return save_checkpoint(nullptr);
  }

  // The temporaries an interrupted run left in the directory and its workspace directories.
  void remove_stale_temporaries() {
    std::error_code error;
    for (fs::recursive_directory_iterator it(root_, error), end; !error && it != end; it.increment(error)) {
      if (it.depth() > 0) it.disable_recursion_pending();
      if (it->is_regular_file(error) && it->path().filename().string().find(AtomicFileSink::kTempMarker) != std::string::npos)
        fs::remove(it->path(), error);
    }
  }

  Status make_directory(const std::string& dir) {
    if (options_.dry_run) return Status::ok();
    std::error_code error;
    if (fs::is_directory(dir, error)) return Status::ok();
    // Parents first, so that a rollback can remove what this import created and nothing else.
    fs::path parent = fs::path(dir).parent_path();
    if (!parent.empty() && parent != fs::path(dir)) DECANT_TRY(make_directory(parent.string()));
    if (!fs::create_directory(dir, error) && error)
      return Status::target("cannot create directory " + dir + ": " + error.message());
    created_.push_back(dir);
    return Status::ok();
  }

  std::string root_;
  SinkOptions options_;
  Selection selection_;
  std::map<std::string, Active> streams_;          // begun and not yet ended, by stream name
  std::vector<StreamId> finished_ids_;
  std::vector<std::unique_ptr<Target>> ended_;     // waiting for commit
  std::map<std::string, std::shared_ptr<GraphFile>> graphs_;  // by path
  std::unordered_set<std::string> skipped_;
  std::vector<std::string> created_;               // directories this import made
  int64_t dry_run_bytes_ = 0;
  std::vector<std::pair<std::string, std::string>> not_in_place_;  // ended streams and their files, not yet renamed
  const Checkpoint* checkpoint_ = nullptr;
  Progress resumed_;                               // the checkpoint as stored (after a resume: as found)
  bool resuming_ = false;
  Record document_;
  bool committed_ = false;
};

}  // namespace

void register_lightrag_sink(SinkRegistry& registry) {
  registry.add(SinkBackend{
      .scheme = "lightrag",
      .summary = "LightRAG working directory (lightrag:DIR), written as LightRAG writes it; created if missing",
      .capabilities = "every file through a temporary sibling renamed at commit (--txn stream: when its stream ends); "
                      "KV files merge with --conflict error/skip/replace, vector and graph files are replaced with --drop/--truncate; "
                      "--resume (--txn stream) from DIR/.decant-import-checkpoint.json, kept beside the files put in place",
      .txn_modes = {TxnMode::kSingle, TxnMode::kStream},
      .conflict_policies = {ConflictPolicy::kError, ConflictPolicy::kSkip, ConflictPolicy::kReplace},
      .dry_run = true,
      .resumable = true,
      .options = import_options(),
      .open = LightragSink::open,
  });
}

}  // namespace decant
