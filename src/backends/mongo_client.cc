#include "backends/mongo_client.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "format/uri.h"
#include "format/value_codec.h"

namespace decant {
namespace {

void init_driver() {
  static std::once_flag once;
  std::call_once(once, [] {
    mongoc_init();
    // The driver would log handshake and cursor warnings to stderr, which belongs to decant.
    mongoc_log_set_handler([](mongoc_log_level_t, const char*, const char*, void*) {}, nullptr);
  });
}

std::string_view as_view(const char* s, uint32_t length) { return std::string_view(s, length); }

}  // namespace

Result<std::unique_ptr<MongoClient>> MongoClient::open(const std::string& uri, const std::string& db, Side side) {
  init_driver();
  bson_error_t error;
  mongoc_uri_t* parsed = mongoc_uri_new_with_error(uri.c_str(), &error);
  if (!parsed) return Status::error(Side::kUsage, "invalid MongoDB URI " + redact_uri(uri) + ": " + error.message);
  std::string name = db;
  if (name.empty() && mongoc_uri_get_database(parsed)) name = mongoc_uri_get_database(parsed);
  // Fail fast on an unreachable server instead of libmongoc's 30 s default.
  if (!mongoc_uri_has_option(parsed, MONGOC_URI_SERVERSELECTIONTIMEOUTMS))
    mongoc_uri_set_option_as_int32(parsed, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 10000);
  mongoc_uri_set_appname(parsed, "decant");
  auto out = std::unique_ptr<MongoClient>(new MongoClient());
  out->client_.reset(mongoc_client_new_from_uri_with_error(parsed, &error));
  mongoc_uri_destroy(parsed);
  if (!out->client_) return Status::error(Side::kUsage, "cannot use " + redact_uri(uri) + ": " + error.message);
  if (name.empty())
    return Status::usage("no database: name it in the URI's path (mongodb://host/DB) or with --db");
  mongoc_client_set_error_api(out->client_.get(), MONGOC_ERROR_API_VERSION_2);
  out->db_ = name;
  out->side_ = side;
  out->database_ = mongoc_client_get_database(out->client_.get(), name.c_str());
  bson_t* ping = BCON_NEW("ping", BCON_INT32(1));
  bson_t reply;
  bool ok = mongoc_client_command_simple(out->client_.get(), "admin", ping, nullptr, &reply, &error);
  bson_destroy(ping);
  Status reached = ok ? Status::ok() : out->failure("cannot reach " + redact_uri(uri), error, &reply);
  bson_destroy(&reply);
  if (!reached) return reached;
  return out;
}

Result<std::unique_ptr<MongoClient>> MongoClient::open(const std::string& uri, const nlohmann::json& settings,
                                                       Side side) {
  std::string db;
  if (settings.is_object() && settings.contains("db") && settings["db"].is_string()) db = settings["db"].get<std::string>();
  return open(uri, db, side);
}

MongoClient::~MongoClient() {
  if (database_) mongoc_database_destroy(database_);
}

bool mongo_transient_code(int64_t code) {
  switch (code) {
    case 6:      // HostUnreachable
    case 7:      // HostNotFound
    case 89:     // NetworkTimeout
    case 91:     // ShutdownInProgress
    case 112:    // WriteConflict
    case 189:    // PrimarySteppedDown
    case 9001:   // SocketException
    case 10107:  // NotWritablePrimary
    case 11600:  // InterruptedAtShutdown
    case 11602:  // InterruptedDueToReplStateChange
    case 13435:  // NotPrimaryNoSecondaryOk
    case 13436:  // NotPrimaryOrSecondary
      return true;
    default: return false;
  }
}

bool mongo_transient(const bson_error_t& error, const bson_t* reply) {
  if (reply && (mongoc_error_has_label(reply, "TransientTransactionError") ||
                mongoc_error_has_label(reply, "RetryableWriteError")))
    return true;
  switch (error.domain) {
    // Name resolution, connect, a socket closed or timed out.
    case MONGOC_ERROR_STREAM: return true;
    case MONGOC_ERROR_SERVER_SELECTION: return error.code == MONGOC_ERROR_SERVER_SELECTION_FAILURE;
    case MONGOC_ERROR_SERVER:
    case MONGOC_ERROR_WRITE_CONCERN: return mongo_transient_code(error.code);
    default: return false;
  }
}

Status MongoClient::failure(const std::string& what, const bson_error_t& error, const bson_t* reply) const {
  std::string message = what + ": " + error.message;
  return mongo_transient(error, reply) ? Status::transient(side_, message) : Status::error(side_, message);
}

Status MongoClient::command(const bson_t* command, bson_t* reply, const bson_t* opts) {
  bson_error_t error;
  if (mongoc_database_command_with_opts(database_, command, nullptr, opts, reply, &error)) return Status::ok();
  bson_iter_t it;
  std::string name = bson_iter_init(&it, command) && bson_iter_next(&it) ? bson_iter_key(&it) : "command";
  return failure(name, error, reply);
}

Result<MongoServerInfo> MongoClient::server_info() {
  MongoServerInfo info;
  bson_t reply;
  bson_error_t error;
  // mongo-java-server knows only the legacy name, isMaster (same reply).
  bool ok = false;
  for (const char* name : {"hello", "isMaster"}) {
    bson_t* hello = BCON_NEW(name, BCON_INT32(1));
    ok = mongoc_client_command_simple(client_.get(), "admin", hello, nullptr, &reply, &error);
    bson_destroy(hello);
    if (ok) break;
    bson_destroy(&reply);
  }
  if (!ok) return failure("isMaster", error);
  bson_iter_t it;
  if (bson_iter_init_find(&it, &reply, "maxWireVersion")) info.max_wire_version = bson_iter_as_int64(&it);
  if (bson_iter_init_find(&it, &reply, "maxBsonObjectSize")) info.max_bson_size = bson_iter_as_int64(&it);
  if (bson_iter_init_find(&it, &reply, "maxMessageSizeBytes")) info.max_message_size = bson_iter_as_int64(&it);
  info.sessions = bson_iter_init_find(&it, &reply, "logicalSessionTimeoutMinutes") && !BSON_ITER_HOLDS_NULL(&it);
  bson_destroy(&reply);
  bson_t* build = BCON_NEW("buildInfo", BCON_INT32(1));
  if (mongoc_client_command_simple(client_.get(), "admin", build, nullptr, &reply, &error) &&
      bson_iter_init_find(&it, &reply, "version") && BSON_ITER_HOLDS_UTF8(&it))
    info.version = bson_iter_utf8(&it, nullptr);
  bson_destroy(build);
  bson_destroy(&reply);
  if (!info.sessions || info.max_wire_version < 7) return info;
  // The probe: an empty transaction commits without the server ever seeing it, so it carries
  // a read of a collection that need not exist. A standalone mongod refuses it (code 20).
  mongoc_client_session_t* session = mongoc_client_start_session(client_.get(), nullptr, &error);
  if (!session) return info;
  if (mongoc_client_session_start_transaction(session, nullptr, &error)) {
    bson_t opts = BSON_INITIALIZER;
    mongoc_client_session_append(session, &opts, &error);
    mongoc_collection_t* probe = mongoc_database_get_collection(database_, "_decant_txn_probe");
    bson_t filter = BSON_INITIALIZER;
    int64_t n = mongoc_collection_count_documents(probe, &filter, &opts, nullptr, nullptr, &error);
    info.transactions = n >= 0 && mongoc_client_session_commit_transaction(session, nullptr, &error);
    bson_destroy(&filter);
    bson_destroy(&opts);
    mongoc_collection_destroy(probe);
  }
  mongoc_client_session_destroy(session);
  return info;
}

Status bson_to_record(const bson_t* doc, Record& out) {
  out.clear_keep_capacity();
  bson_iter_t it;
  if (!bson_iter_init(&it, doc)) return Status::source("malformed BSON document");
  while (bson_iter_next(&it)) {
    uint32_t length = bson_iter_key_len(&it);
    Value& value = out.add(as_view(bson_iter_key(&it), length));
    if (Status s = bson_to_value(&it, value); !s) return std::move(s).context(bson_iter_key(&it));
  }
  return Status::ok();
}

Status bson_to_value(const bson_iter_t* iter, Value& out) {
  out.clear();
  switch (bson_iter_type(iter)) {
    case BSON_TYPE_DOUBLE: out.kind = Kind::kFloat64; out.real = bson_iter_double(iter); return Status::ok();
    case BSON_TYPE_UTF8: {
      uint32_t length = 0;
      const char* s = bson_iter_utf8(iter, &length);
      out.text.assign(s, length);
      out.kind = is_valid_utf8(out.text) ? Kind::kText : Kind::kRawText;
      return Status::ok();
    }
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY: {
      bool array = bson_iter_type(iter) == BSON_TYPE_ARRAY;
      bson_iter_t child;
      if (!bson_iter_recurse(iter, &child)) return Status::source("malformed BSON");
      out.kind = array ? Kind::kArray : Kind::kDocument;
      while (bson_iter_next(&child)) {
        Value* slot;
        if (array) {
          slot = &out.items.emplace_back();
        } else {
          Field& f = out.fields.emplace_back();
          f.name.assign(bson_iter_key(&child), bson_iter_key_len(&child));
          slot = &f.value;
        }
        if (Status s = bson_to_value(&child, *slot); !s) return std::move(s).context(bson_iter_key(&child));
      }
      return Status::ok();
    }
    case BSON_TYPE_BINARY: {
      bson_subtype_t subtype;
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      bson_iter_binary(iter, &subtype, &length, &data);
      out.kind = Kind::kBytes;
      out.subtype = static_cast<uint8_t>(subtype);
      out.text.assign(reinterpret_cast<const char*>(data), length);
      return Status::ok();
    }
    case BSON_TYPE_OID: {
      char hex[25];
      bson_oid_to_string(bson_iter_oid(iter), hex);
      out.kind = Kind::kObjectId;
      out.text.assign(hex, 24);
      return Status::ok();
    }
    case BSON_TYPE_BOOL: out.kind = Kind::kBool; out.boolean = bson_iter_bool(iter); return Status::ok();
    case BSON_TYPE_DATE_TIME: out.kind = Kind::kDateTime; out.integer = bson_iter_date_time(iter); return Status::ok();
    case BSON_TYPE_NULL: return Status::ok();
    case BSON_TYPE_REGEX: {
      const char* options = nullptr;
      const char* pattern = bson_iter_regex(iter, &options);
      out.kind = Kind::kRegex;
      out.text = pattern;
      out.options = options ? options : "";
      return Status::ok();
    }
    case BSON_TYPE_CODE: {
      uint32_t length = 0;
      const char* code = bson_iter_code(iter, &length);
      out.kind = Kind::kCode;
      out.text.assign(code, length);
      return Status::ok();
    }
    case BSON_TYPE_INT32: out.kind = Kind::kInt32; out.integer = bson_iter_int32(iter); return Status::ok();
    case BSON_TYPE_TIMESTAMP: {
      uint32_t t = 0, i = 0;
      bson_iter_timestamp(iter, &t, &i);
      out.kind = Kind::kBsonTimestamp;
      out.integer = static_cast<int64_t>(uint64_t{t} << 32 | i);
      return Status::ok();
    }
    case BSON_TYPE_INT64: out.kind = Kind::kInt64; out.integer = bson_iter_int64(iter); return Status::ok();
    case BSON_TYPE_DECIMAL128: {
      bson_decimal128_t d;
      char text[BSON_DECIMAL128_STRING];
      bson_iter_decimal128(iter, &d);
      bson_decimal128_to_string(&d, text);
      out.kind = Kind::kDecimal;
      out.text = text;
      // The archive's exponent marker is 'e' (SPEC 4.5.4); libbson prints 'E'.
      std::replace(out.text.begin(), out.text.end(), 'E', 'e');
      return Status::ok();
    }
    case BSON_TYPE_MINKEY: out.kind = Kind::kMinKey; return Status::ok();
    case BSON_TYPE_MAXKEY: out.kind = Kind::kMaxKey; return Status::ok();
    case BSON_TYPE_SYMBOL: return Status::source("BSON symbol (deprecated) is not supported");
    case BSON_TYPE_UNDEFINED: return Status::source("BSON undefined (deprecated) is not supported");
    case BSON_TYPE_DBPOINTER: return Status::source("BSON DBPointer (deprecated) is not supported");
    case BSON_TYPE_CODEWSCOPE: return Status::source("BSON code with scope (deprecated) is not supported");
    default: return Status::source("unknown BSON type " + std::to_string(int(bson_iter_type(iter))));
  }
}

namespace {

bool append_text(bson_t* parent, std::string_view key, std::string_view text) {
  return bson_append_utf8(parent, key.data(), static_cast<int>(key.size()), text.data(), static_cast<int>(text.size()));
}

}  // namespace

Status append_value(bson_t* parent, std::string_view key, const Value& v) {
  const char* k = key.data();
  int kl = static_cast<int>(key.size());
  bool ok = true;
  switch (v.kind) {
    case Kind::kNull: ok = bson_append_null(parent, k, kl); break;
    case Kind::kBool: ok = bson_append_bool(parent, k, kl, v.boolean); break;
    case Kind::kInt64: ok = bson_append_int64(parent, k, kl, v.integer); break;
    case Kind::kInt32: ok = bson_append_int32(parent, k, kl, static_cast<int32_t>(v.integer)); break;
    case Kind::kFloat64: ok = bson_append_double(parent, k, kl, v.real); break;
    case Kind::kDecimal: {
      // Decimal128 when it prints the same text back (34 digits at most), else the text
      // itself: a longer PostgreSQL numeric is not rounded.
      bson_decimal128_t d;
      char back[BSON_DECIMAL128_STRING];
      if (bson_decimal128_from_string(v.text.c_str(), &d)) {
        bson_decimal128_to_string(&d, back);
        std::replace(back, back + std::strlen(back), 'E', 'e');
        if (v.text == back) {
          ok = bson_append_decimal128(parent, k, kl, &d);
          break;
        }
      }
      ok = append_text(parent, key, v.text);
      break;
    }
    case Kind::kText:
    case Kind::kRawText:
    case Kind::kDate:
    case Kind::kTime:
    case Kind::kTimeTz:
    case Kind::kTimestamp:
    case Kind::kTimestampTz:
    case Kind::kJson: ok = append_text(parent, key, v.text); break;
    case Kind::kUuid: {
      uint8_t bytes[16];
      size_t n = 0;
      for (size_t i = 0; i + 1 < v.text.size() && n < 16; ++i) {
        if (v.text[i] == '-') continue;
        bytes[n++] = static_cast<uint8_t>(std::stoi(v.text.substr(i, 2), nullptr, 16));
        ++i;
      }
      ok = bson_append_binary(parent, k, kl, BSON_SUBTYPE_UUID, bytes, 16);
      break;
    }
    case Kind::kBytes:
      ok = bson_append_binary(parent, k, kl, static_cast<bson_subtype_t>(v.subtype),
                              reinterpret_cast<const uint8_t*>(v.text.data()), static_cast<uint32_t>(v.text.size()));
      break;
    case Kind::kInterval: {
      std::string encoded;
      encode_value(v, encoded);
      ok = append_text(parent, key, encoded);
      break;
    }
    case Kind::kVector:
    case Kind::kHalfVector: {
      bson_t child;
      ok = bson_append_array_begin(parent, k, kl, &child);
      char index[16];
      for (size_t i = 0; ok && i < v.floats.size(); ++i) {
        const char* ik;
        size_t il = bson_uint32_to_string(static_cast<uint32_t>(i), &ik, index, sizeof index);
        ok = bson_append_double(&child, ik, static_cast<int>(il), v.floats[i]);
      }
      ok = bson_append_array_end(parent, &child) && ok;
      break;
    }
    case Kind::kArray: {
      bson_t child;
      if (!bson_append_array_begin(parent, k, kl, &child)) return Status::target("document too large");
      char index[16];
      for (size_t i = 0; i < v.items.size(); ++i) {
        const char* ik;
        size_t il = bson_uint32_to_string(static_cast<uint32_t>(i), &ik, index, sizeof index);
        if (Status s = append_value(&child, std::string_view(ik, il), v.items[i]); !s)
          return std::move(s).context(std::to_string(i));
      }
      ok = bson_append_array_end(parent, &child);
      break;
    }
    case Kind::kDocument: {
      bson_t child;
      if (!bson_append_document_begin(parent, k, kl, &child)) return Status::target("document too large");
      for (const Field& f : v.fields)
        if (Status s = append_value(&child, f.name, f.value); !s) return std::move(s).context(f.name);
      ok = bson_append_document_end(parent, &child);
      break;
    }
    case Kind::kObjectId: {
      bson_oid_t oid;
      bson_oid_init_from_string(&oid, v.text.c_str());
      ok = bson_append_oid(parent, k, kl, &oid);
      break;
    }
    case Kind::kDateTime: ok = bson_append_date_time(parent, k, kl, v.integer); break;
    case Kind::kRegex: ok = bson_append_regex(parent, k, kl, v.text.c_str(), v.options.c_str()); break;
    case Kind::kBsonTimestamp:
      ok = bson_append_timestamp(parent, k, kl, static_cast<uint32_t>(static_cast<uint64_t>(v.integer) >> 32),
                                 static_cast<uint32_t>(v.integer & 0xFFFFFFFF));
      break;
    case Kind::kMinKey: ok = bson_append_minkey(parent, k, kl); break;
    case Kind::kMaxKey: ok = bson_append_maxkey(parent, k, kl); break;
    case Kind::kCode: ok = bson_append_code(parent, k, kl, v.text.c_str()); break;
  }
  if (!ok) return Status::target("value does not fit in a BSON document (the 2 GiB builder limit or a key with U+0000)");
  return Status::ok();
}

Status record_to_bson(const Record& record, bson_t* out) {
  for (const Field& f : record)
    if (Status s = append_value(out, f.name, f.value); !s) return std::move(s).context(f.name);
  return Status::ok();
}

std::string bson_to_json(const bson_t* doc) {
  size_t length = 0;
  char* json = bson_as_canonical_extended_json(doc, &length);
  std::string out = json ? std::string(json, length) : "{}";
  bson_free(json);
  return out;
}

BsonPtr bson_from_json_text(const std::string& json, std::string& error) {
  bson_error_t e;
  bson_t* b = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()), static_cast<ssize_t>(json.size()), &e);
  if (!b) error = e.message;
  return BsonPtr(b);
}

}  // namespace decant
