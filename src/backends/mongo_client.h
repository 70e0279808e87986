// Helpers shared by the MongoDB source and sink: the location (mongodb:// URI, database from its
// path or --db), one libmongoc client, commands, what the server offers (hello), and the BSON
// <-> Value mapping of format/SPEC.md 11.4.
#pragma once

#include <mongoc/mongoc.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "format/status.h"
#include "format/value.h"

namespace decant {

struct BsonFree {
  void operator()(bson_t* b) const { bson_destroy(b); }
};
// bson_t is declared 128-byte aligned, an attribute a template argument drops (harmless here:
// the pointer is only handed back to libbson).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
using BsonPtr = std::unique_ptr<bson_t, BsonFree>;
#pragma GCC diagnostic pop

struct MongoClientFree {
  void operator()(mongoc_client_t* c) const { mongoc_client_destroy(c); }
};
struct MongoCursorFree {
  void operator()(mongoc_cursor_t* c) const { mongoc_cursor_destroy(c); }
};
using MongoCursor = std::unique_ptr<mongoc_cursor_t, MongoCursorFree>;

// What `hello` and `buildInfo` say, and whether multi-document transactions really work: a
// standalone mongod advertises sessions but refuses transactions, so a probe decides.
struct MongoServerInfo {
  std::string version;
  int32_t max_wire_version = 0;
  bool sessions = false;      // hello has logicalSessionTimeoutMinutes
  bool transactions = false;  // a probe transaction committed
  int32_t max_bson_size = 16 * 1024 * 1024;
  int32_t max_message_size = 48000000;
};

class MongoClient {
 public:
  // `uri`: mongodb://...; `db`: the database, or "" to take it from the URI's path. Fails
  // when neither names one. Messages never contain the password.
  static Result<std::unique_ptr<MongoClient>> open(const std::string& uri, const std::string& db, Side side);
  // The same, the database taken from a backend's `--db` setting when given.
  static Result<std::unique_ptr<MongoClient>> open(const std::string& uri, const nlohmann::json& settings, Side side);
  ~MongoClient();

  mongoc_client_t* get() const { return client_.get(); }
  const std::string& db() const { return db_; }
  mongoc_database_t* database() const { return database_; }
  Side side() const { return side_; }

  // Runs `command` on the database; `reply` is filled either way.
  Status command(const bson_t* command, bson_t* reply, const bson_t* opts = nullptr);
  Result<MongoServerInfo> server_info();

  // A Status for the side this client serves, one line; transient (retried by `import
  // --retries`) when mongo_transient says so of the error and the server's reply.
  Status failure(const std::string& what, const bson_error_t& error, const bson_t* reply = nullptr) const;

 private:
  std::unique_ptr<mongoc_client_t, MongoClientFree> client_;
  mongoc_database_t* database_ = nullptr;
  std::string db_;
  Side side_ = Side::kSource;
};

// Whether a failure may go away when the same work is tried again (SPEC 11.4.3): the connection
// lost or refused, no server selectable, a network timeout, the server shutting down or
// stepping down, a write conflict, or a reply labelled TransientTransactionError or
// RetryableWriteError. Everything else (a duplicate key, a refused login, a bad document) is
// permanent.
bool mongo_transient(const bson_error_t& error, const bson_t* reply);
bool mongo_transient_code(int64_t code);

// BSON -> Value (SPEC 11.4.2). Fails on the deprecated types decant does not carry (symbol,
// undefined, DBPointer, code with scope), naming them.
Status bson_to_value(const bson_iter_t* iter, Value& out);
Status bson_to_record(const bson_t* doc, Record& out);
// Value -> BSON, appended to `parent` under `key` (SPEC 11.4.3 for kinds BSON lacks).
Status append_value(bson_t* parent, std::string_view key, const Value& value);
Status record_to_bson(const Record& record, bson_t* out);

// Extended JSON text of a BSON document (relaxed), for index keys and options in the stream
// description, and its inverse.
std::string bson_to_json(const bson_t* doc);
BsonPtr bson_from_json_text(const std::string& json, std::string& error);

}  // namespace decant
