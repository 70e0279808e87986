// MongoDB import (format/SPEC.md 11.4.3). Documents go out in unordered bulk writes bounded by
// count and bytes; --conflict picks insert (error, skip) or upserts by _id (replaceOne for
// replace, $set for merge, $setOnInsert for skip inside a transaction). Indexes are built after
// the data. What a transaction mode means depends on the server, which is asked (hello, then a
// probe transaction):
//   with transactions:    single = one transaction for the archive, stream = one per collection
//                         (shared by streams that interleave), batch = one per bulk; stream and
//                         batch commit a checkpoint with each transaction (--resume);
//   without (mongo-java-server, a standalone mongod): stream loads a staging collection and
//   swaps it in with renameCollection (dropTarget), single is refused, batch writes each bulk
//   on its own; no checkpoint.
#include <cmath>
#include <map>
#include <unordered_set>

#include "backends/mongo_client.h"
#include "format/uri.h"
#include "format/value_codec.h"
#include "import/layout_sinks.h"
#include "import/sink.h"
#include "import/table_shape.h"
#include "layouts/lightrag.h"

namespace decant {
namespace {

constexpr int64_t kMaxBulkDocuments = 1000;
// MongoDB ends a transaction after 60 s (transactionLifetimeLimitSeconds) and SecantusDB drops
// the connection committing one of 100k documents: a bound with a clear message instead.
constexpr int64_t kMaxTxnDocuments = 50000;
constexpr int64_t kMaxTxnBytes = int64_t{64} << 20;
constexpr const char* kStagingPrefix = "_decant_staging_";

std::string collection_frame(const std::string& name) { return "collection \"" + name + "\""; }

struct SessionFree {
  void operator()(mongoc_client_session_t* s) const { mongoc_client_session_destroy(s); }
};
using Session = std::unique_ptr<mongoc_client_session_t, SessionFree>;

struct CollectionFree {
  void operator()(mongoc_collection_t* c) const { mongoc_collection_destroy(c); }
};
using Collection = std::unique_ptr<mongoc_collection_t, CollectionFree>;

// What a bulk write's reply says of its documents' write errors.
struct WriteErrors {
  int count = 0;
  std::string first;            // the first one's message
  bool only_duplicates = true;  // every one is E11000
  bool transient = false;       // one may go away when tried again (a write conflict)
};

WriteErrors write_errors(const bson_t* reply) {
  WriteErrors out;
  bson_iter_t it, errors;
  if (!bson_iter_init_find(&it, reply, "writeErrors") || !bson_iter_recurse(&it, &errors)) return out;
  while (bson_iter_next(&errors)) {
    bson_iter_t e;
    if (!bson_iter_recurse(&errors, &e)) continue;
    int64_t code = 0;
    std::string message;
    while (bson_iter_next(&e)) {
      std::string_view key = bson_iter_key(&e);
      if (key == "code") code = bson_iter_as_int64(&e);
      if (key == "errmsg" && BSON_ITER_HOLDS_UTF8(&e)) message = bson_iter_utf8(&e, nullptr);
    }
    // The key a duplicate names goes in parentheses, so that rejects group by reason.
    size_t key = code == 11000 ? message.find(" dup key: ") : std::string::npos;
    if (key != std::string::npos) message = message.substr(0, key) + " (" + message.substr(key + 1) + ")";
    if (out.count++ == 0) out.first = message;
    if (code != 11000) out.only_duplicates = false;
    if (mongo_transient_code(code)) out.transient = true;
  }
  return out;
}

class MongoSink final : public Sink {
 public:
  static Result<std::unique_ptr<Sink>> open(const std::string& uri, const SinkOptions& options) {
    Result<bool> layout = lightrag::wants_lightrag_layout(options.settings);
    if (!layout) return layout.take_status();
    if (*layout) return open_lightrag_mongo_sink(uri, options);
    Result<std::unique_ptr<MongoClient>> client = MongoClient::open(uri, options.settings, Side::kTarget);
    if (!client) return client.status();
    auto sink = std::unique_ptr<MongoSink>(new MongoSink(options));
    sink->client_ = std::move(client.value());
    sink->location_ = redact_uri(uri);
    Result<MongoServerInfo> info = sink->client_->server_info();
    if (!info) return info.status();
    sink->info_ = info.value();
    if (options.isolated_batches && !sink->info_.transactions)
      return Status::usage("mongodb: --max-errors needs multi-document transactions to undo a failed batch, which " +
                           sink->location_ + " does not offer (" + sink->server_kind() + ")");
    if (options.isolated_batches && options.txn != TxnMode::kBatch)
      return Status::usage("mongodb: --max-errors needs --txn batch (MongoDB has no savepoints: each isolated batch "
                           "is a transaction of its own)");
    return std::unique_ptr<Sink>(std::move(sink));
  }

  Status begin() override {
    if (options_.txn == TxnMode::kSingle) {
      if (!info_.transactions)
        return Status::usage("--txn single needs multi-document transactions, which " + location_ +
                             " does not offer (" + server_kind() +
                             "); use --txn stream (each collection loaded beside and swapped in by renameCollection) "
                             "or --txn batch");
      DECANT_TRY(start_transaction());
    }
    return Status::ok();
  }

  Status begin_stream(const StreamInfo& stream) override {
    State& st = streams_[stream.name];
    st.info = stream;
    st.table_shape = is_table_shape(stream);
    st.staged = options_.txn == TxnMode::kStream && !info_.transactions;
    st.target = stream.name;
    st.load = st.staged ? kStagingPrefix + stream.name : stream.name;
    Status s = open_stream(st);
    return s ? s : std::move(s).context(collection_frame(stream.name));
  }

  Status write(const std::string& stream, const Record& record) override {
    State& st = streams_[stream];
    const Record* doc = &record;
    if (st.table_shape) {
      DECANT_TRY(from_table_row(record, scratch_));
      doc = &scratch_;
    } else if (!st.info.key.empty() && !record.find("_id")) {
      DECANT_TRY(keyed_document(st.info, record, scratch_));
      doc = &scratch_;
    }
    BsonPtr b(bson_new());
    if (Status s = record_to_bson(*doc, b.get()); !s) return std::move(s).context(collection_frame(stream));
    int64_t size = b->len;
    if (size > info_.max_bson_size)
      return Status::target(collection_frame(stream) + ": a document of " + std::to_string(size) +
                            " bytes is over the server's limit of " + std::to_string(info_.max_bson_size));
    // The record goes into the bulk before it may be written: a batch committed here carries a
    // checkpoint that counts this record as written.
    st.pending.push_back(std::move(b));
    st.pending_bytes += size;
    if (static_cast<int64_t>(st.pending.size()) >= bulk_documents() || st.pending_bytes >= options_.batch_bytes) {
      DECANT_TRY(flush(st));
      if (options_.txn == TxnMode::kBatch && !in_batch_) DECANT_TRY(commit_batch());
    }
    return Status::ok();
  }

  Status end_stream(const std::string& stream) override {
    State& st = streams_[stream];
    Status s = finish_stream(stream, st);
    return s ? s : std::move(s).context(collection_frame(stream));
  }

  Status commit() override {
    if (options_.dry_run) return finish_dry_run();
    DECANT_TRY(commit_transaction(/*final=*/true));  // --txn single: the archive's
    // Complete: the checkpoint goes. A resume after a crash just before this skips every
    // record and removes it then.
    if (checkpoint_kept_) {
      Collection c(collection(kCheckpointCollection));
      bson_error_t error;
      if (!mongoc_collection_drop_with_opts(c.get(), nullptr, &error) && error.code != 26)
        return client_->failure("dropping " + std::string(kCheckpointCollection), error);
      checkpoint_kept_ = false;
    }
    return Status::ok();
  }

  void rollback() override {
    if (in_txn_) {
      bson_error_t error;
      mongoc_client_session_abort_transaction(session_.get(), &error);
      in_txn_ = false;
    }
    session_.reset();
    // A checkpoint that only names this run's session (nothing was committed after it) would
    // only leave a collection behind.
    if (checkpoint_kept_ && !checkpoint_committed_) {
      Collection c(collection(kCheckpointCollection));
      bson_error_t error;
      mongoc_collection_drop_with_opts(c.get(), nullptr, &error);
    }
    for (auto& [name, st] : streams_) {
      if (st.staged && !st.swapped && !options_.dry_run) {
        Collection c(collection(st.load));
        bson_error_t error;
        mongoc_collection_drop_with_opts(c.get(), nullptr, &error);
      }
    }
  }

  // A checkpoint needs the batch's transaction: a server without transactions keeps none.
  void track(const Checkpoint* checkpoint) override {
    checkpoint_ = info_.transactions && options_.txn != TxnMode::kSingle && !options_.dry_run ? checkpoint : nullptr;
  }

  Result<std::optional<Checkpoint>> stored_checkpoint() override {
    if (!info_.transactions)
      return Status::usage("mongodb: --resume needs multi-document transactions, which " + location_ +
                           " does not offer (" + server_kind() +
                           "): a batch and its checkpoint could not be committed together");
    Collection c(collection(kCheckpointCollection));
    bson_t* filter = BCON_NEW("_id", BCON_UTF8(kCheckpointId));
    MongoCursor cursor(mongoc_collection_find_with_opts(c.get(), filter, nullptr, nullptr));
    bson_destroy(filter);
    const bson_t* doc;
    bson_error_t error;
    if (!mongoc_cursor_next(cursor.get(), &doc)) {
      if (mongoc_cursor_error(cursor.get(), &error)) return client_->failure("reading the checkpoint", error);
      return std::optional<Checkpoint>();
    }
    Checkpoint found;
    bson_iter_t it;
    bool valid = bson_iter_init_find(&it, doc, "archive_id") && BSON_ITER_HOLDS_UTF8(&it);
    if (valid) found.archive_id = bson_iter_utf8(&it, nullptr);
    valid = valid && bson_iter_init_find(&it, doc, "line") && BSON_ITER_HOLDS_INT64(&it);
    if (valid) found.line = bson_iter_int64(&it);
    valid = valid && bson_iter_init_find(&it, doc, "records") && BSON_ITER_HOLDS_INT64(&it);
    if (valid) found.records = bson_iter_int64(&it);
    if (!valid)
      return Status::target("collection " + std::string(kCheckpointCollection) + " holds no decant checkpoint");
    checkpoint_kept_ = checkpoint_committed_ = true;
    // The interrupted run's transaction after its last checkpoint may still be open on the
    // server (a killed client does not end its session), holding the documents this run writes
    // again: killSessions ends it.
    bson_iter_t session;
    if (bson_iter_init_find(&session, doc, "session") && BSON_ITER_HOLDS_DOCUMENT(&session)) {
      bson_t* kill = bson_new();
      bson_t sessions;
      bson_append_array_begin(kill, "killSessions", 12, &sessions);
      bson_append_iter(&sessions, "0", 1, &session);
      bson_append_array_end(kill, &sessions);
      bson_t reply;
      bool ok = mongoc_client_command_simple(client_->get(), "admin", kill, nullptr, &reply, &error);
      Status killed = ok ? Status::ok() : client_->failure("ending the interrupted run's session", error, &reply);
      bson_destroy(&reply);
      bson_destroy(kill);
      DECANT_TRY(killed);
    }
    return std::optional<Checkpoint>(found);
  }

  // Isolated batches (--max-errors, --txn batch, a server with transactions): each is one
  // transaction, committed with the checkpoint by end_batch and aborted by abort_batch.
  Status begin_batch() override {
    in_batch_ = true;
    for (auto& [name, st] : streams_) {
      st.written_at_batch = st.written;
      st.skipped_at_batch = st.skipped;
      st.conflicts_at_batch = st.conflicts;
      st.bytes_at_batch = st.bytes;
      st.batch_ids.clear();
    }
    return Status::ok();
  }

  Status end_batch() override {
    Status committed = commit_batch();  // still in the batch: a dry run notes its _ids as the batch's
    in_batch_ = false;
    return committed;
  }

  Status abort_batch() override {
    in_batch_ = false;
    for (auto& [name, st] : streams_) {
      st.pending.clear();
      st.pending_bytes = 0;
      st.written = st.written_at_batch;
      st.skipped = st.skipped_at_batch;
      st.conflicts = st.conflicts_at_batch;
      st.bytes = st.bytes_at_batch;
      for (const std::string& id : st.batch_ids) st.ids.erase(id);
      st.batch_ids.clear();
    }
    if (in_txn_) {
      bson_error_t error;
      mongoc_client_session_abort_transaction(session_.get(), &error);
      in_txn_ = false;
    }
    // A session whose transaction failed is not reused: the next batch starts a fresh one.
    session_.reset();
    session_noted_ = false;
    return Status::ok();
  }

 private:
  struct State {
    StreamInfo info;
    bool table_shape = false;
    bool staged = false;
    bool swapped = false;
    std::string target;  // the collection the stream ends up in
    std::string load;    // the collection written: the target, or its staging collection
    std::vector<BsonPtr> pending;
    int64_t pending_bytes = 0;
    int64_t written = 0;
    int64_t skipped = 0;
    int64_t written_at_batch = 0;  // at begin_batch, restored by abort_batch
    int64_t skipped_at_batch = 0;
    // --dry-run: the collection as it was, and the documents whose _id it (or the archive before
    // them) already has.
    bool existed = false;
    int64_t existing = 0;
    int64_t conflicts = 0;
    std::string first_conflict;
    int64_t bytes = 0;
    std::unordered_set<std::string> ids;  // each _id of the archive so far, as BSON
    std::vector<std::string> batch_ids;   // those of the isolated batch, forgotten if it fails
    int64_t conflicts_at_batch = 0;
    int64_t bytes_at_batch = 0;
  };

  static constexpr const char* kCheckpointCollection = "_decant_checkpoint";
  static constexpr const char* kCheckpointId = "import";

  explicit MongoSink(const SinkOptions& options) : options_(options) {}

  std::string server_kind() const {
    return !info_.sessions ? "it has no sessions" : "its probe transaction failed: a standalone mongod refuses them";
  }

  int64_t bulk_documents() const { return std::min<int64_t>(kMaxBulkDocuments, options_.batch_rows); }

  mongoc_collection_t* collection(const std::string& name) const {
    return mongoc_database_get_collection(client_->database(), name.c_str());
  }

  // One session for the import; its transactions follow one another.
  Status start_transaction() {
    if (in_txn_ || options_.dry_run) return Status::ok();
    bson_error_t error;
    if (!session_) {
      session_.reset(mongoc_client_start_session(client_->get(), nullptr, &error));
      if (!session_) return client_->failure("starting a session", error);
    }
    if (checkpoint_ && !session_noted_) DECANT_TRY(note_session());
    if (!mongoc_client_session_start_transaction(session_.get(), nullptr, &error))
      return client_->failure("starting a transaction", error);
    in_txn_ = true;
    txn_documents_ = 0;
    txn_bytes_ = 0;
    return Status::ok();
  }

  // The session's id goes into the checkpoint before its first transaction, so that a resume
  // can end a transaction this run leaves open (stored_checkpoint). Without a checkpoint yet,
  // one at line 0: nothing done.
  Status note_session() {
    bson_t* selector = BCON_NEW("_id", BCON_UTF8(kCheckpointId));
    bson_t* update = BCON_NEW("$set", "{", "session", BCON_DOCUMENT(mongoc_client_session_get_lsid(session_.get())), "}",
                              "$setOnInsert", "{", "archive_id", BCON_UTF8(checkpoint_->archive_id.c_str()), "line",
                              BCON_INT64(0), "records", BCON_INT64(0), "}");
    bson_t* opts = BCON_NEW("upsert", BCON_BOOL(true));
    Status s = update_checkpoint(selector, update, opts, /*replace=*/false);
    bson_destroy(opts);
    bson_destroy(update);
    bson_destroy(selector);
    session_noted_ = s.is_ok();
    return s;
  }

  // Inside the transaction about to commit: where the import stands once it has.
  Status store_checkpoint() {
    bson_t* selector = BCON_NEW("_id", BCON_UTF8(kCheckpointId));
    bson_t* doc = BCON_NEW("_id", BCON_UTF8(kCheckpointId), "archive_id", BCON_UTF8(checkpoint_->archive_id.c_str()),
                           "line", BCON_INT64(checkpoint_->line), "records", BCON_INT64(checkpoint_->records),
                           "session", BCON_DOCUMENT(mongoc_client_session_get_lsid(session_.get())));
    bson_t* opts = BCON_NEW("upsert", BCON_BOOL(true));
    bson_error_t error;
    Status s = mongoc_client_session_append(session_.get(), opts, &error) ? update_checkpoint(selector, doc, opts, true)
                                                                          : client_->failure("session", error);
    bson_destroy(opts);
    bson_destroy(doc);
    bson_destroy(selector);
    return s;
  }

  Status update_checkpoint(const bson_t* selector, const bson_t* update, const bson_t* opts, bool replace) {
    Collection c(collection(kCheckpointCollection));
    bson_error_t error;
    bson_t reply;
    bool ok = replace ? mongoc_collection_replace_one(c.get(), selector, update, opts, &reply, &error)
                      : mongoc_collection_update_one(c.get(), selector, update, opts, &reply, &error);
    Status s = ok ? Status::ok() : client_->failure("writing the checkpoint", error, &reply);
    bson_destroy(&reply);
    if (s) checkpoint_kept_ = true;
    return s;
  }

  // Commits the open transaction, with the checkpoint unless it is the last commit, then makes
  // the collections and indexes of the streams that ended inside it.
  Status commit_transaction(bool final) {
    if (!in_txn_) return Status::ok();
    bool checkpointed = checkpoint_ && !final;
    if (checkpointed) DECANT_TRY(store_checkpoint());
    bson_error_t error;
    bson_t reply;
    bool ok = mongoc_client_session_commit_transaction(session_.get(), &reply, &error);
    Status committed = ok ? Status::ok() : client_->failure("committing the transaction", error, &reply);
    bson_destroy(&reply);
    in_txn_ = false;
    if (!ok) {
      session_.reset();
      session_noted_ = false;
      return committed;
    }
    checkpoint_committed_ |= checkpointed;
    std::vector<std::string> ended = std::move(after_commit_);
    after_commit_.clear();
    for (const std::string& name : ended) {
      State& st = streams_[name];
      DECANT_TRY(ensure_collection(st, true).context(collection_frame(name)));
      DECANT_TRY(create_indexes(st).context(collection_frame(name)));
    }
    return Status::ok();
  }

  // --txn batch: everything pending goes into the batch's transaction, which commits.
  Status commit_batch() {
    for (auto& [name, st] : streams_) DECANT_TRY(flush(st));
    return commit_transaction(/*final=*/false);
  }

  // Options for a write: the transaction's session, when there is one.
  Status write_opts(bson_t* opts) {
    bson_error_t error;
    if (in_txn_ && !mongoc_client_session_append(session_.get(), opts, &error)) return client_->failure("session", error);
    return Status::ok();
  }

  Status transaction_too_large() const {
    return Status::target("a transaction of more than " + std::to_string(kMaxTxnDocuments) + " documents or " +
                          std::to_string(kMaxTxnBytes >> 20) +
                          " MiB is refused (servers end long transactions; SecantusDB drops the connection): "
                          "use --txn batch");
  }

  Status open_stream(State& st) {
    if (options_.dry_run) return look_at_target(st);
    bson_error_t error;
    if (st.staged) {
      // The staging collection starts as a copy of the target, so that conflict policies meet
      // what the target holds: its documents (unless --drop or --truncate) and indexes (unless
      // --drop).
      Collection staging(collection(st.load));
      mongoc_collection_drop_with_opts(staging.get(), nullptr, &error);
      DECANT_TRY(ensure_collection(st, true));
      if (!options_.drop) DECANT_TRY(copy_collection(st.target, st.load, !options_.truncate));
      return Status::ok();
    }
    Collection c(collection(st.load));
    bson_t all = BSON_INITIALIZER;
    if (options_.txn == TxnMode::kBatch) {
      if (options_.drop && !mongoc_collection_drop_with_opts(c.get(), nullptr, &error) && error.code != 26)
        return client_->failure("drop", error);
      if (options_.truncate && !mongoc_collection_delete_many(c.get(), &all, nullptr, nullptr, &error))
        return client_->failure("emptying it", error);
      return ensure_collection(st, true);
    }
    // A collection with options (capped, validator, collation) must exist before its first
    // document; DDL is not transactional, so a rollback leaves it, empty.
    DECANT_TRY(ensure_collection(st, false));
    // Streams that interleave share the transaction, which commits when none is open: only then
    // are all records up to the checkpoint's line in the target.
    if (options_.txn == TxnMode::kStream) {
      DECANT_TRY(start_transaction());
      ++open_streams_;
    }
    // Refused up front when the archive already says the stream is too large for one.
    if (st.info.estimated_rows > kMaxTxnDocuments) return transaction_too_large();
    if (options_.drop || options_.truncate) {
      // Inside the transaction: emptied, not dropped (drop is not transactional), so a
      // rollback gives the documents back. Its old indexes stay.
      bson_t opts = BSON_INITIALIZER;
      DECANT_TRY(write_opts(&opts));
      bool ok = mongoc_collection_delete_many(c.get(), &all, &opts, nullptr, &error);
      bson_destroy(&opts);
      if (!ok && error.code != 26) return client_->failure("emptying it", error);
    }
    return Status::ok();
  }

  // Creates the collection written when it does not exist, with the stream's collection
  // options (SPEC 11.4.1); without options only when `always` (an empty stream still makes
  // its collection).
  Status ensure_collection(State& st, bool always) {
    nlohmann::json options;
    if (st.info.options.is_object() && st.info.options.value("source_backend", "") == "mongodb" &&
        st.info.options.contains("collection_options"))
      options = st.info.options["collection_options"];
    if (options.is_null() && !always) return Status::ok();
    BsonPtr opts;
    if (!options.is_null()) {
      std::string error;
      opts = bson_from_json_text(options.dump(), error);
      if (!opts) return Status::archive("collection_options: " + error);
    }
    bson_error_t error;
    mongoc_collection_t* created =
        mongoc_database_create_collection(client_->database(), st.load.c_str(), opts.get(), &error);
    if (created) {
      mongoc_collection_destroy(created);
      return Status::ok();
    }
    if (error.code == 48) return Status::ok();  // NamespaceExists: the target's own options stay
    return client_->failure("create", error);
  }

  Status copy_collection(const std::string& from, const std::string& to, bool documents) {
    Collection source(collection(from)), target(collection(to));
    const bson_t* doc;
    if (documents) DECANT_TRY(copy_documents(source.get(), target.get(), to));
    MongoCursor indexes(mongoc_collection_find_indexes_with_opts(source.get(), nullptr));
    while (mongoc_cursor_next(indexes.get(), &doc)) {
      bson_iter_t it;
      if (bson_iter_init_find(&it, doc, "name") && std::string_view(bson_iter_utf8(&it, nullptr)) == "_id_") continue;
      DECANT_TRY(create_index(to, doc));
    }
    return Status::ok();
  }

  Status copy_documents(mongoc_collection_t* source, mongoc_collection_t* target, const std::string& to) {
    bson_t filter = BSON_INITIALIZER;
    MongoCursor cursor(mongoc_collection_find_with_opts(source, &filter, nullptr, nullptr));
    const bson_t* doc;
    bson_error_t error;
    mongoc_bulk_operation_t* bulk = nullptr;
    int64_t in_bulk = 0;
    auto run = [&]() -> Status {
      bson_t reply;
      bool ok = mongoc_bulk_operation_execute(bulk, &reply, &error);
      bson_destroy(&reply);
      mongoc_bulk_operation_destroy(bulk);
      bulk = nullptr;
      in_bulk = 0;
      return ok ? Status::ok() : client_->failure("copying the target into " + to, error);
    };
    while (mongoc_cursor_next(cursor.get(), &doc)) {
      if (!bulk) bulk = mongoc_collection_create_bulk_operation_with_opts(target, nullptr);
      mongoc_bulk_operation_insert(bulk, doc);
      if (++in_bulk == kMaxBulkDocuments) DECANT_TRY(run());
    }
    if (bulk) DECANT_TRY(run());
    if (mongoc_cursor_error(cursor.get(), &error)) return client_->failure("reading the target", error);
    return Status::ok();
  }

  // A row of a table (or a key of a keyspace) as a document: `_id` is the key's value, or a
  // document of the key's columns when there are several; the other fields follow in order.
  static Status keyed_document(const StreamInfo& info, const Record& row, Record& out) {
    out.clear_keep_capacity();
    Value& id = out.add("_id");
    if (info.key.size() == 1) {
      const Value* v = row.find(info.key[0]);
      if (!v) return Status::archive("record has no key field \"" + info.key[0] + "\"");
      id = *v;
    } else {
      id.kind = Kind::kDocument;
      for (const std::string& k : info.key) {
        const Value* v = row.find(k);
        if (!v) return Status::archive("record has no key field \"" + k + "\"");
        id.fields.push_back({k, *v});
      }
    }
    for (const Field& f : row) {
      if (std::find(info.key.begin(), info.key.end(), f.name) != info.key.end()) continue;
      out.add(f.name) = f.value;
    }
    return Status::ok();
  }

  Status flush(State& st) {
    if (st.pending.empty()) return Status::ok();
    if (options_.dry_run) return check_bulk(st);
    if (info_.transactions && !st.staged) {
      DECANT_TRY(start_transaction());  // --txn batch: the batch's, begun by its first bulk
      txn_documents_ += static_cast<int64_t>(st.pending.size());
      txn_bytes_ += st.pending_bytes;
      if (options_.txn != TxnMode::kBatch && (txn_documents_ > kMaxTxnDocuments || txn_bytes_ > kMaxTxnBytes))
        return transaction_too_large();
    }
    Collection c(collection(st.load));
    bson_t opts = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&opts, "ordered", false);
    DECANT_TRY(write_opts(&opts));
    mongoc_bulk_operation_t* bulk = mongoc_collection_create_bulk_operation_with_opts(c.get(), &opts);
    bson_destroy(&opts);
    bson_error_t error;
    bson_t* upsert = BCON_NEW("upsert", BCON_BOOL(true));
    // Inside a transaction a duplicate aborts it: skip is an upsert that sets nothing on a
    // document already there, counted from nMatched.
    bool skip_by_upsert = options_.conflict == ConflictPolicy::kSkip && in_txn_;
    bool queued = true;
    for (BsonPtr& doc : st.pending) {
      bson_iter_t id;
      bool has_id = bson_iter_init_find(&id, doc.get(), "_id");
      if (options_.conflict == ConflictPolicy::kReplace && has_id) {
        bson_t selector = BSON_INITIALIZER;
        bson_append_iter(&selector, "_id", 3, &id);
        queued = mongoc_bulk_operation_replace_one_with_opts(bulk, &selector, doc.get(), upsert, &error);
        bson_destroy(&selector);
      } else if ((options_.conflict == ConflictPolicy::kMerge || skip_by_upsert) && has_id) {
        const char* op = skip_by_upsert ? "$setOnInsert" : "$set";
        bson_t selector = BSON_INITIALIZER, update = BSON_INITIALIZER, set;
        bson_append_iter(&selector, "_id", 3, &id);
        bson_append_document_begin(&update, op, -1, &set);
        bson_iter_t it;
        bson_iter_init(&it, doc.get());
        while (bson_iter_next(&it))
          if (std::string_view(bson_iter_key(&it)) != "_id") bson_append_iter(&set, nullptr, 0, &it);
        bson_append_document_end(&update, &set);
        // $set with no field is an error: a document of _id alone only needs to exist.
        if (bson_count_keys(&set) == 0) {
          bson_reinit(&update);
          bson_append_document_begin(&update, "$setOnInsert", 12, &set);
          bson_append_document_end(&update, &set);
        }
        queued = mongoc_bulk_operation_update_one_with_opts(bulk, &selector, &update, upsert, &error);
        bson_destroy(&selector);
        bson_destroy(&update);
      } else {
        queued = mongoc_bulk_operation_insert_with_opts(bulk, doc.get(), nullptr, &error);
      }
      if (!queued) break;
    }
    bson_destroy(upsert);
    int64_t count = static_cast<int64_t>(st.pending.size());
    st.pending.clear();
    st.pending_bytes = 0;
    if (!queued) {
      mongoc_bulk_operation_destroy(bulk);
      return client_->failure(collection_frame(st.target), error);
    }
    bson_t reply;
    bool ok = mongoc_bulk_operation_execute(bulk, &reply, &error);
    mongoc_bulk_operation_destroy(bulk);
    WriteErrors errors = write_errors(&reply);
    bson_iter_t matched;
    int64_t skipped_existing =
        skip_by_upsert && bson_iter_init_find(&matched, &reply, "nMatched") ? bson_iter_as_int64(&matched) : 0;
    // Without write errors of its documents the bulk failed as a whole: lost connection, server
    // shutting down, an aborted transaction.
    Status failed = ok ? Status::ok()
                       : errors.count == 0 || errors.transient || mongo_transient(error, &reply)
                             ? client_->failure(collection_frame(st.target), error, &reply)
                             : Status::target(collection_frame(st.target) + ": " + errors.first);
    bson_destroy(&reply);
    if (!ok) {
      bool skippable = options_.conflict == ConflictPolicy::kSkip && errors.count > 0 && errors.only_duplicates &&
                       !errors.transient && !in_txn_;
      if (!skippable) return failed;
      st.skipped += errors.count;
    }
    st.skipped += skipped_existing;
    st.written += count - errors.count - skipped_existing;
    return Status::ok();
  }

  Status finish_stream(const std::string& name, State& st) {
    DECANT_TRY(flush(st));
    if (options_.dry_run) {
      note_plan(st);
      return Status::ok();
    }
    if (st.skipped)
      options_.note(collection_frame(st.target) + ": " + std::to_string(st.skipped) +
                    " documents skipped, their _id already present (--conflict skip)");
    if (st.staged) {
      DECANT_TRY(create_indexes(st));
      Collection staging(collection(st.load));
      bson_error_t error;
      // An empty stream leaves no staging collection behind: create it, so the swap still
      // replaces (or creates) the target as the archive says.
      if (st.written == 0) {
        mongoc_collection_t* created = mongoc_database_create_collection(client_->database(), st.load.c_str(), nullptr, &error);
        if (created) mongoc_collection_destroy(created);
      }
      if (!mongoc_collection_rename(staging.get(), client_->db().c_str(), st.target.c_str(), true, &error))
        return client_->failure("renameCollection " + st.load + " to " + st.target, error);
      st.swapped = true;
      return Status::ok();
    }
    if (options_.txn == TxnMode::kBatch) {
      // The stream's last documents commit before its indexes are built.
      if (!in_batch_) DECANT_TRY(commit_batch());
      DECANT_TRY(create_indexes(st));
      return Status::ok();
    }
    // Its collection (an empty stream still makes one) and indexes once the transaction commits.
    after_commit_.push_back(name);
    if (options_.txn == TxnMode::kStream && --open_streams_ == 0) return commit_transaction(/*final=*/false);
    return Status::ok();
  }

  // --dry-run: whether the collection exists, and with how many documents.
  Status look_at_target(State& st) {
    bson_error_t error;
    st.existed = mongoc_database_has_collection(client_->database(), st.target.c_str(), &error);
    if (!st.existed && error.code != 0) return client_->failure("listCollections", error);
    if (!st.existed) return Status::ok();
    Collection c(collection(st.target));
    bson_t all = BSON_INITIALIZER;
    st.existing = mongoc_collection_count_documents(c.get(), &all, nullptr, nullptr, nullptr, &error);
    if (st.existing < 0) return client_->failure("counting its documents", error);
    return Status::ok();
  }

  // An _id as the server compares it: numbers of equal value are one key whatever their type.
  static std::string id_key(const bson_iter_t* id) {
    bson_t one = BSON_INITIALIZER;
    bool integral = BSON_ITER_HOLDS_INT32(id) || BSON_ITER_HOLDS_INT64(id);
    double real = BSON_ITER_HOLDS_DOUBLE(id) ? bson_iter_double(id) : 0.5;
    if (integral || (real == static_cast<double>(static_cast<int64_t>(real)) && std::abs(real) < 9e15))
      bson_append_int64(&one, "", 0, integral ? bson_iter_as_int64(id) : static_cast<int64_t>(real));
    else
      bson_append_iter(&one, "", 0, id);
    std::string key(reinterpret_cast<const char*>(bson_get_data(&one)), one.len);
    bson_destroy(&one);
    return key;
  }

  // --dry-run: a bulk's documents are counted, not written; those whose _id the collection (as
  // the import would find it) or an earlier document has are looked up with one query per bulk.
  Status check_bulk(State& st) {
    bool target_counts = st.existed && !options_.drop && !options_.truncate;
    bson_t* query = bson_new();
    bson_t id_filter, in;
    bson_append_document_begin(query, "_id", 3, &id_filter);
    bson_append_array_begin(&id_filter, "$in", 3, &in);
    std::vector<std::string> keys;
    uint32_t n = 0;
    for (BsonPtr& doc : st.pending) {
      st.bytes += doc->len;
      bson_iter_t id;
      if (!bson_iter_init_find(&id, doc.get(), "_id")) {
        ++st.written;
        keys.emplace_back();
        continue;
      }
      keys.push_back(id_key(&id));
      char index[16];
      const char* ik;
      size_t il = bson_uint32_to_string(n++, &ik, index, sizeof index);
      bson_append_iter(&in, ik, static_cast<int>(il), &id);
    }
    bson_append_array_end(&id_filter, &in);
    bson_append_document_end(query, &id_filter);
    std::unordered_set<std::string> in_target;
    Status looked = Status::ok();
    if (target_counts && n > 0) {
      Collection c(collection(st.target));
      bson_t* opts = BCON_NEW("projection", "{", "_id", BCON_INT32(1), "}");
      MongoCursor cursor(mongoc_collection_find_with_opts(c.get(), query, opts, nullptr));
      const bson_t* found;
      while (mongoc_cursor_next(cursor.get(), &found)) {
        bson_iter_t id;
        if (!bson_iter_init_find(&id, found, "_id")) continue;
        in_target.insert(id_key(&id));
      }
      bson_error_t error;
      if (mongoc_cursor_error(cursor.get(), &error)) looked = client_->failure("looking up _id", error);
      bson_destroy(opts);
    }
    bson_destroy(query);
    DECANT_TRY(looked);
    std::string refused;
    for (size_t i = 0; i < st.pending.size(); ++i) {
      const std::string& key = keys[i];
      if (key.empty()) continue;
      bool conflict = in_target.count(key) || st.ids.count(key);
      if (!conflict) {
        st.ids.insert(key);
        if (in_batch_) st.batch_ids.push_back(key);
        ++st.written;
        continue;
      }
      ++st.conflicts;
      bson_iter_t id;
      bson_iter_init_find(&id, st.pending[i].get(), "_id");
      bson_t one = BSON_INITIALIZER;
      bson_append_iter(&one, "_id", 3, &id);
      char* json = bson_as_relaxed_extended_json(&one, nullptr);
      std::string shown = json ? json : "?";
      bson_free(json);
      bson_destroy(&one);
      if (st.first_conflict.empty()) st.first_conflict = shown;
      if (refused.empty()) refused = shown;
    }
    st.pending.clear();
    st.pending_bytes = 0;
    // In isolated batches a conflict is a reject, as the import would make it.
    if (!refused.empty() && options_.isolated_batches && options_.conflict == ConflictPolicy::kError)
      return Status::target(collection_frame(st.target) +
                            ": dry run: duplicate key, already in the collection or earlier in the archive (dup key: " +
                            refused + ")");
    return Status::ok();
  }

  void note_plan(const State& st) const {
    std::string plan = collection_frame(st.target) + ": ";
    if (!st.existed) {
      plan += "would create it and insert " + with_s(st.written, "document");
    } else {
      plan += "exists with " + with_s(st.existing, "document");
      if (options_.drop) plan += "; would be dropped and created again (--drop)";
      else if (options_.truncate) plan += ", which would be deleted (--truncate)";
      plan += "; would add " + with_s(st.written, "document");
    }
    if (st.conflicts > 0) {
      const char* fate = options_.conflict == ConflictPolicy::kSkip ? " (--conflict skip: not written)"
                         : options_.conflict == ConflictPolicy::kReplace
                             ? " (--conflict replace: they would replace those documents)"
                         : options_.conflict == ConflictPolicy::kMerge ? " (--conflict merge: they would update those documents)"
                                                                       : "";
      plan += "; " + with_s(st.conflicts, "document") + (st.conflicts == 1 ? " has" : " have") +
              " an _id already in the collection or earlier in the archive" + fate;
    }
    if (!st.info.indexes.empty())
      plan += "; then " + with_s(static_cast<int64_t>(st.info.indexes.size()), "index") + " built";
    options_.note("mongodb: dry run: " + plan);
  }

  // --dry-run: the size of the documents beside the database's and the server's free disk (in
  // dbStats where the server reports it), then the conflicts --conflict error would fail on.
  Status finish_dry_run() {
    int64_t bytes = 0, conflicts = 0;
    std::string first;
    for (const auto& [name, st] : streams_) {
      bytes += st.bytes;
      if (options_.conflict == ConflictPolicy::kError && !options_.isolated_batches && st.conflicts > 0) {
        conflicts += st.conflicts;
        if (first.empty()) first = collection_frame(name) + " " + st.first_conflict;
      }
    }
    bson_t* stats = BCON_NEW("dbStats", BCON_INT32(1));
    bson_t reply;
    Status asked = client_->command(stats, &reply);
    bson_destroy(stats);
    int64_t data = -1, total = -1, used = -1;
    bson_iter_t it;
    if (asked && bson_iter_init_find(&it, &reply, "dataSize")) data = bson_iter_as_int64(&it);
    if (asked && bson_iter_init_find(&it, &reply, "fsTotalSize")) total = bson_iter_as_int64(&it);
    if (asked && bson_iter_init_find(&it, &reply, "fsUsedSize")) used = bson_iter_as_int64(&it);
    bson_destroy(&reply);
    std::string what = "mongodb: dry run: the documents total about " + megabytes(bytes) + " of BSON";
    if (data >= 0) what += "; the database holds " + megabytes(data);
    if (total <= 0 || used < 0) {
      options_.note(what + "; the server does not report its free disk (dbStats has no fsTotalSize)");
    } else {
      options_.note(what + "; the server's file system has " + megabytes(total - used) + " free");
      if (bytes > total - used)
        return Status::target("mongodb: dry run: the import needs about " + megabytes(bytes) +
                              " but the server's file system has " + megabytes(total - used) + " free");
    }
    if (conflicts > 0)
      return Status::target("mongodb: dry run: " + with_s(conflicts, "document") + (conflicts == 1 ? " has" : " have") +
                            " an _id already in the collection or earlier in the archive: the import would fail "
                            "(--conflict error; use skip, replace or merge); the first, " + first);
    return Status::ok();
  }

  Status create_index(const std::string& coll, const bson_t* spec) {
    bson_t* command = BCON_NEW("createIndexes", BCON_UTF8(coll.c_str()));
    bson_t indexes, first;
    bson_append_array_begin(command, "indexes", 7, &indexes);
    bson_append_document_begin(&indexes, "0", 1, &first);
    bson_iter_t it;
    bson_iter_init(&it, spec);
    while (bson_iter_next(&it)) {
      std::string_view key = bson_iter_key(&it);
      if (key != "v" && key != "ns") bson_append_iter(&first, nullptr, 0, &it);
    }
    bson_append_document_end(&indexes, &first);
    bson_append_array_end(command, &indexes);
    bson_t reply;
    Status s = client_->command(command, &reply);
    bson_destroy(&reply);
    bson_destroy(command);
    return s;
  }

  // The stream's indexes on the collection written: a MongoDB index from its specification, a
  // table's index (SQLite, PostgreSQL) as ascending keys on its columns.
  Status create_indexes(State& st) {
    for (const Index& index : st.info.indexes) {
      std::string error;
      BsonPtr spec;
      bool mongo = st.info.options.is_object() && st.info.options.value("source_backend", "") == "mongodb";
      if (mongo) {
        spec = bson_from_json_text(index.definition, error);
        if (!spec) return Status::archive("index \"" + index.name + "\": " + error);
      } else {
        if (st.table_shape || index.columns.empty()) continue;  // its columns are inside `document`
        spec.reset(bson_new());
        bson_t key;
        bson_append_document_begin(spec.get(), "key", 3, &key);
        for (const std::string& c : index.columns) {
          bool is_key = st.info.key.size() == 1 && st.info.key[0] == c;
          std::string field = is_key ? "_id" : st.info.key.size() > 1 &&
                                                       std::find(st.info.key.begin(), st.info.key.end(), c) != st.info.key.end()
                                                   ? "_id." + c
                                                   : c;
          BSON_APPEND_INT32(&key, field.c_str(), 1);
        }
        bson_append_document_end(spec.get(), &key);
        BSON_APPEND_UTF8(spec.get(), "name", index.name.c_str());
        if (index.unique) BSON_APPEND_BOOL(spec.get(), "unique", true);
      }
      if (Status s = create_index(st.load, spec.get()); !s) return std::move(s).context("index \"" + index.name + "\"");
    }
    return Status::ok();
  }

  SinkOptions options_;
  std::unique_ptr<MongoClient> client_;
  std::string location_;
  MongoServerInfo info_;
  Session session_;           // the import's, once a transaction began
  bool in_txn_ = false;       // --txn single: the archive's; stream: the open streams'; batch: the batch's
  int64_t txn_documents_ = 0;
  int64_t txn_bytes_ = 0;
  int open_streams_ = 0;      // --txn stream: begun, not ended; they share the transaction
  std::vector<std::string> after_commit_;  // streams whose collection and indexes wait for the commit
  const Checkpoint* checkpoint_ = nullptr;
  bool checkpoint_kept_ = false;       // the target holds this import's checkpoint collection
  bool checkpoint_committed_ = false;  // with a line: found, or committed with a transaction
  bool session_noted_ = false;    // the session's id is in the checkpoint
  bool in_batch_ = false;         // between begin_batch and end_batch / abort_batch
  std::map<std::string, State> streams_;
  Record scratch_;
};

}  // namespace

void register_mongo_sink(SinkRegistry& registry) {
  SinkBackend backend{
      .scheme = "mongodb",
      .summary = "MongoDB (mongodb://[user:password@]host[:port]/DB[?options], or --db DB)",
      .capabilities = "transactions where the server has them (single, stream: at most 50,000 documents or 64 MiB "
                      "each; batch: one per bulk, with a checkpoint for --resume, and one per isolated batch for "
                      "--max-errors); without them stream loads a staging collection and swaps it in with "
                      "renameCollection, batch writes bulks that do not roll back; indexes after the data",
      .txn_modes = {TxnMode::kStream, TxnMode::kBatch, TxnMode::kSingle},
      .conflict_policies = {ConflictPolicy::kError, ConflictPolicy::kSkip, ConflictPolicy::kReplace,
                            ConflictPolicy::kMerge},
      .dry_run = true,
      .isolates_batches = true,
      .resumable = true,
      .options = {{"db", BackendOption::Type::kString, "MongoDB: the database, when the URI's path names none"}},
      .open = MongoSink::open,
  };
  backend.capabilities += "; --layout lightrag: LightRAG's own collections (SPEC 11.5.4)";
  backend.options.push_back(lightrag::layout_option());
  for (BackendOption& option : lightrag::import_options()) backend.options.push_back(std::move(option));
  registry.add(std::move(backend));
}

}  // namespace decant
