// MongoDB through the decant binary, against both throwaway servers: SecantusDB
// (tools/servers/secantus.sh, with transactions) and mongo-java-server (tools/servers/mongo-java.sh,
// without). Every test works in databases of its own. Contents are checked with libmongoc
// directly, byte for byte (documents in _id order, their raw BSON), and with `decant diff`, so
// that a mistake in decant's own reading cannot hide itself.
#include <gtest/gtest.h>
#include <mongoc/mongoc.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness.h"
#include "pg_database.h"
#include "pg_database.h"

// std::vector<bson_t*> drops bson_t's alignment attribute, which only matters for values.
#pragma GCC diagnostic ignored "-Wignored-attributes"

namespace decant::test {
namespace {

const std::string kData = DECANT_TEST_DATA_DIR;

std::string server_uri(const std::string& server) {
  std::string prefix = server == "secantus" ? "DECANT_TEST_SECANTUS" : "DECANT_TEST_MONGO_JAVA";
  return server_env(server, prefix + "_URI");  // mongodb://127.0.0.1:PORT/
}

// One database on one server, for setting up data and reading it back without decant.
class Mongo {
 public:
  Mongo(const std::string& server, const std::string& name) : server_(server), name_(name) {
    static bool initialized = (mongoc_init(), true);
    (void)initialized;
    base_ = server_uri(server);
    client_ = mongoc_client_new(base_.c_str());
    EXPECT_NE(client_, nullptr);
    db_ = mongoc_client_get_database(client_, name.c_str());
    mongoc_database_drop_with_opts(db_, nullptr, nullptr);
  }
  ~Mongo() {
    mongoc_database_drop_with_opts(db_, nullptr, nullptr);
    mongoc_database_destroy(db_);
    mongoc_client_destroy(client_);
  }
  std::string uri() const { return base_ + name_; }
  bool transactions() const { return server_ == "secantus"; }

  void insert(const std::string& coll, const std::vector<bson_t*>& docs) {
    mongoc_collection_t* c = mongoc_database_get_collection(db_, coll.c_str());
    bson_error_t error;
    for (size_t i = 0; i < docs.size(); i += 1000) {
      mongoc_bulk_operation_t* bulk = mongoc_collection_create_bulk_operation_with_opts(c, nullptr);
      for (size_t j = i; j < docs.size() && j < i + 1000; ++j) mongoc_bulk_operation_insert(bulk, docs[j]);
      bson_t reply;
      EXPECT_TRUE(mongoc_bulk_operation_execute(bulk, &reply, &error)) << error.message;
      bson_destroy(&reply);
      mongoc_bulk_operation_destroy(bulk);
    }
    for (bson_t* d : docs) bson_destroy(d);
    mongoc_collection_destroy(c);
  }
  void insert_json(const std::string& coll, const std::vector<std::string>& docs) {
    std::vector<bson_t*> parsed;
    bson_error_t error;
    for (const std::string& j : docs) {
      bson_t* b = bson_new_from_json(reinterpret_cast<const uint8_t*>(j.data()), j.size(), &error);
      EXPECT_NE(b, nullptr) << error.message << " in " << j;
      if (b) parsed.push_back(b);
    }
    insert(coll, parsed);
  }
  void command(const std::string& json) {
    bson_error_t error;
    bson_t* cmd = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()), json.size(), &error);
    ASSERT_NE(cmd, nullptr) << error.message;
    bson_t reply;
    EXPECT_TRUE(mongoc_database_command_simple(db_, cmd, nullptr, &reply, &error)) << error.message << ": " << json;
    bson_destroy(&reply);
    bson_destroy(cmd);
  }
  // Every document of `coll` in _id order, as its raw bytes (hex) and canonical Extended JSON.
  std::vector<std::string> documents(const std::string& coll) const {
    std::vector<std::string> out;
    mongoc_collection_t* c = mongoc_database_get_collection(db_, coll.c_str());
    bson_t filter = BSON_INITIALIZER;
    bson_t* opts = BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}");
    mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(c, &filter, opts, nullptr);
    const bson_t* doc;
    while (mongoc_cursor_next(cursor, &doc)) {
      std::string hex;
      static const char kHex[] = "0123456789abcdef";
      const uint8_t* data = bson_get_data(doc);
      for (uint32_t i = 0; i < doc->len; ++i) {
        hex += kHex[data[i] >> 4];
        hex += kHex[data[i] & 15];
      }
      out.push_back(hex);
    }
    bson_error_t error;
    EXPECT_FALSE(mongoc_cursor_error(cursor, &error)) << error.message;
    mongoc_cursor_destroy(cursor);
    bson_destroy(opts);
    mongoc_collection_destroy(c);
    return out;
  }
  std::string json(const std::string& coll, const std::string& id_json) const {
    mongoc_collection_t* c = mongoc_database_get_collection(db_, coll.c_str());
    std::string filter_json = "{\"_id\":" + id_json + "}";
    bson_t* filter = bson_new_from_json(reinterpret_cast<const uint8_t*>(filter_json.data()), filter_json.size(), nullptr);
    mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(c, filter, nullptr, nullptr);
    const bson_t* doc;
    std::string out = "none";
    if (mongoc_cursor_next(cursor, &doc)) {
      char* j = bson_as_relaxed_extended_json(doc, nullptr);
      out = j;
      bson_free(j);
    }
    mongoc_cursor_destroy(cursor);
    bson_destroy(filter);
    mongoc_collection_destroy(c);
    return out;
  }
  int64_t count(const std::string& coll) const {
    mongoc_collection_t* c = mongoc_database_get_collection(db_, coll.c_str());
    bson_t filter = BSON_INITIALIZER;
    int64_t n = mongoc_collection_count_documents(c, &filter, nullptr, nullptr, nullptr, nullptr);
    mongoc_collection_destroy(c);
    return n;
  }
  std::vector<std::string> collections() const {
    std::vector<std::string> out;
    char** names = mongoc_database_get_collection_names_with_opts(db_, nullptr, nullptr);
    for (int i = 0; names && names[i]; ++i) out.push_back(names[i]);
    bson_strfreev(names);
    std::sort(out.begin(), out.end());
    return out;
  }
  // The listCollections options of `coll`, as canonical Extended JSON ("none" when absent).
  std::string options(const std::string& coll) const {
    bson_t* opts = BCON_NEW("filter", "{", "name", BCON_UTF8(coll.c_str()), "}");
    mongoc_cursor_t* cursor = mongoc_database_find_collections_with_opts(db_, opts);
    const bson_t* spec;
    std::string out = "none";
    bson_iter_t it;
    if (mongoc_cursor_next(cursor, &spec) && bson_iter_init_find(&it, spec, "options") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
      uint32_t length;
      const uint8_t* data;
      bson_iter_document(&it, &length, &data);
      bson_t doc;
      bson_init_static(&doc, data, length);
      char* j = bson_as_canonical_extended_json(&doc, nullptr);
      out = j;
      bson_free(j);
    }
    mongoc_cursor_destroy(cursor);
    bson_destroy(opts);
    return out;
  }
  // Index specifications without the server's own members (v, ns), sorted by name.
  std::vector<std::string> indexes(const std::string& coll) const {
    std::vector<std::string> out;
    mongoc_collection_t* c = mongoc_database_get_collection(db_, coll.c_str());
    mongoc_cursor_t* cursor = mongoc_collection_find_indexes_with_opts(c, nullptr);
    const bson_t* spec;
    while (mongoc_cursor_next(cursor, &spec)) {
      bson_t kept = BSON_INITIALIZER;
      bson_copy_to_excluding_noinit(spec, &kept, "v", "ns", nullptr);
      char* j = bson_as_canonical_extended_json(&kept, nullptr);
      out.push_back(j);
      bson_free(j);
      bson_destroy(&kept);
    }
    mongoc_cursor_destroy(cursor);
    mongoc_collection_destroy(c);
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::string server_, name_, base_;
  mongoc_client_t* client_ = nullptr;
  mongoc_database_t* db_ = nullptr;
};

CommandResult run_ok(const std::string& args) {
  CommandResult r = decant(args);
  EXPECT_EQ(r.exit_code, 0) << "decant " << args << "\n" << r.err;
  return r;
}

void expect_diff_equal(const std::string& a, const std::string& b) {
  CommandResult r = decant("diff " + quote(a) + " " + quote(b));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class MongoRoundTrip : public ::testing::TestWithParam<std::string> {
 protected:
  std::string server() const { return GetParam(); }
  std::string db(const std::string& name) const { return name + "_" + (server() == "secantus" ? "s" : "j"); }
};

// Every BSON type of the matrix the server can hold. mongo-java-server stores binary subtype
// 0x80 as 0 and rejects subtype 5, and SecantusDB (pymongo's datetime) refuses dates past
// 9999-12-31: each of those is tested on the server that keeps it (README, "MongoDB test servers").
std::vector<std::string> bson_matrix(const std::string& server) {
  std::string bin = R"({"$binary":{"base64":"ABEiM0RVZneImaq7zN3u/w==","subType":")";
  std::vector<std::string> docs = {
      R"({"_id":{"$numberInt":"1"},"i32":{"$numberInt":"-2147483648"},"i64":{"$numberLong":"9223372036854775807"},)"
      R"("i64small":{"$numberLong":"5"},"dbl":{"$numberDouble":"1.5"},"negzero":{"$numberDouble":"-0.0"},)"
      R"("nan":{"$numberDouble":"NaN"},"inf":{"$numberDouble":"Infinity"},"ninf":{"$numberDouble":"-Infinity"},)"
      R"("dblint":{"$numberDouble":"3.0"},"s":"h\u00e9llo \u2603 \ud83d\ude00","empty":"","t":true,"f":false,"n":null,)"
      R"("sub":{"z":{"$numberInt":"1"},"a":{"b":[{"$numberInt":"1"},[{"$numberInt":"2"}],{}]}},"arr":[],)"
      R"("bin0":)" + bin + R"(00"}},"bin3":)" + bin + R"(03"}},"bin4":)" + bin + R"(04"}},)"
      R"("oid":{"$oid":"5f1d7a9b2c3d4e5f60718293"},"date":{"$date":{"$numberLong":"1700000000123"}},)"
      R"("dateneg":{"$date":{"$numberLong":"-62135596800000"}},"date9999":{"$date":{"$numberLong":"253402300799999"}},)"
      R"("re":{"$regularExpression":{"pattern":"^ab.*\"c$","options":"imsx"}},)"
      R"("ts":{"$timestamp":{"t":1700000000,"i":7}},"dec":{"$numberDecimal":"1234567890.123456789012345678901234"},)"
      R"("decexp":{"$numberDecimal":"1.23E+5"},"decnegzero":{"$numberDecimal":"-0.000"},"decnan":{"$numberDecimal":"NaN"},"decinf":{"$numberDecimal":"-Infinity"},)"
      R"("min":{"$minKey":1},"max":{"$maxKey":1},"code":{"$code":"function(){return 1;}"},)"
      R"("dollar":{"$set":{"$numberInt":"1"}},"dotted.key":{"$numberInt":"2"}})",
      R"({"_id":{"$oid":"000000000000000000000001"},"z":{"$numberInt":"1"},"a":{"$numberInt":"2"}})",
      R"({"_id":"text id","v":{"$numberLong":"1"}})",
  };
  if (server == "secantus") {
    docs.push_back(R"({"_id":{"$numberInt":"2"},"bin5":)" + bin + R"(05"}},"bin80":)" + bin + R"(80"}}})");
  } else {
    docs.push_back(R"({"_id":{"$numberInt":"2"},"datebig":{"$date":{"$numberLong":"253402300800000"}},)"
                   R"("datemax":{"$date":{"$numberLong":"9223372036854775807"}}})");
  }
  return docs;
}

TEST_P(MongoRoundTrip, BsonMatrixRoundTripsByteForByte) {
  Mongo source(server(), db("matrix_src")), target(server(), db("matrix_dst"));
  source.insert_json("types", bson_matrix(server()));
  TempDir dir;
  std::string archive = dir.path("a.ndjson");
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(archive));
  std::string text = read_file(archive);
  for (const char* form : {R"({"$oid":"5f1d7a9b2c3d4e5f60718293"})", R"({"$date":{"$numberLong":"-62135596800000"}})",
                           R"({"$timestamp":{"t":1700000000,"i":7}})", R"({"$minKey":1})", R"({"$maxKey":1})",
                           R"({"$code":"function(){return 1;}"})", R"("options":"imsx")", R"({"$numberInt":"-2147483648"})",
                           R"({"$numberDouble":"-0.0"})", R"({"$literal":{"$set":{"$numberInt":"1"}}})",
                           R"("subType":"04")", R"({"$numberDecimal":"1.23e+5"})"})
    EXPECT_NE(text.find(form), std::string::npos) << form;
  run_ok("import " + quote(target.uri()) + " -q -i " + quote(archive));
  EXPECT_EQ(source.documents("types"), target.documents("types"));
  EXPECT_EQ(source.documents("types").size(), 4u);
  expect_diff_equal(source.uri(), target.uri());
  expect_diff_equal(archive, target.uri());
}

TEST_P(MongoRoundTrip, DocumentNearThe16MiBLimit) {
  Mongo source(server(), db("big_src")), target(server(), db("big_dst"));
  std::string big(16 * 1024 * 1024 - 4096, 'x');
  source.insert("big", {BCON_NEW("_id", BCON_INT32(1), "s", BCON_UTF8(big.c_str())), BCON_NEW("_id", BCON_INT32(2))});
  TempDir dir;
  std::string archive = dir.path("a.ndjson.zst");
  run_ok("export " + quote(source.uri()) + " -q --compress zstd -o " + quote(archive));
  run_ok("import " + quote(target.uri()) + " -q -i " + quote(archive));
  EXPECT_EQ(source.documents("big"), target.documents("big"));
}

TEST_P(MongoRoundTrip, HundredThousandDocuments) {
  Mongo source(server(), db("many_src")), target(server(), db("many_dst"));
  std::vector<bson_t*> docs;
  for (int i = 0; i < 100000; ++i)
    docs.push_back(BCON_NEW("_id", BCON_INT32(i), "name", BCON_UTF8(("user " + std::to_string(i)).c_str()), "n",
                            BCON_INT64(int64_t{i} * 1000003)));
  source.insert("people", docs);
  TempDir dir;
  std::string archive = dir.path("a.ndjson.zst");
  run_ok("export " + quote(source.uri()) + " -q --compress zstd -o " + quote(archive));
  // A transaction of 100k documents is refused, at once and with a message (SecantusDB loses
  // the connection committing one); batch mode writes each bulk on its own.
  if (target.transactions()) {
    CommandResult r = decant("import " + quote(target.uri()) + " -q -i " + quote(archive));
    EXPECT_EQ(r.exit_code, 4) << r.err;
    EXPECT_NE(r.err.find("use --txn batch"), std::string::npos) << r.err;
    EXPECT_EQ(target.count("people"), 0);
  }
  run_ok("import " + quote(target.uri()) + " -q --txn batch -i " + quote(archive));
  EXPECT_EQ(target.count("people"), 100000);
  expect_diff_equal(archive, target.uri());
}

TEST_P(MongoRoundTrip, IndexesAreRecreatedAfterTheData) {
  Mongo source(server(), db("idx_src")), target(server(), db("idx_dst"));
  source.insert_json("events", {R"({"_id":1,"email":"a@x","city":"A","age":30,"at":{"$date":"2024-01-01T00:00:00Z"}})",
                                R"({"_id":2,"email":"b@x","city":"B","age":40,"at":{"$date":"2024-01-02T00:00:00Z"}})"});
  source.command(R"({"createIndexes":"events","indexes":[)"
                 R"({"key":{"email":1},"name":"email_unique","unique":true},)"
                 R"({"key":{"city":1,"age":-1},"name":"city_age"},)"
                 R"({"key":{"at":1},"name":"at_ttl","expireAfterSeconds":3600},)"
                 R"({"key":{"age":1},"name":"adults","partialFilterExpression":{"age":{"$gte":18}}}]})");
  // Collection options travel too, and a collection without documents is still made.
  source.command(R"({"create":"checked","validator":{"age":{"$gte":0}}})");
  source.command(R"({"create":"empty"})");
  TempDir dir;
  std::string archive = dir.path("a.ndjson");
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(archive));
  run_ok("import " + quote(target.uri()) + " -q -i " + quote(archive));
  EXPECT_EQ(target.collections(), (std::vector<std::string>{"checked", "empty", "events"}));
  EXPECT_EQ(source.options("checked"), target.options("checked"));
  // mongo-java-server keeps no collection options (its listCollections shows none).
  if (server() == "secantus") {
    EXPECT_NE(target.options("checked").find("validator"), std::string::npos) << target.options("checked");
  }
  EXPECT_EQ(source.indexes("events"), target.indexes("events"));
  EXPECT_EQ(target.indexes("events").size(), 5u);
  // The unique index is really there: a duplicate email is refused.
  mongoc_client_t* c = mongoc_client_new(target.uri().c_str());
  mongoc_collection_t* coll = mongoc_client_get_collection(c, db("idx_dst").c_str(), "events");
  bson_t* dup = BCON_NEW("_id", BCON_INT32(3), "email", BCON_UTF8("a@x"));
  EXPECT_FALSE(mongoc_collection_insert_one(coll, dup, nullptr, nullptr, nullptr));
  bson_destroy(dup);
  mongoc_collection_destroy(coll);
  mongoc_client_destroy(c);
}

TEST_P(MongoRoundTrip, ConflictPolicies) {
  Mongo source(server(), db("conflict_src"));
  source.insert_json("t", {R"({"_id":1,"a":"new 1"})", R"({"_id":3,"a":"new 3"})"});
  TempDir dir;
  std::string archive = dir.path("a.ndjson");
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(archive));
  struct {
    const char* policy;
    const char* txn;
    int exit_code;
    const char* doc1;
  } cases[] = {
      {"error", "stream", 4, R"({ "_id" : 1, "a" : "old 1", "keep" : true })"},
      {"error", "batch", 4, R"({ "_id" : 1, "a" : "old 1", "keep" : true })"},
      {"skip", "batch", 0, R"({ "_id" : 1, "a" : "old 1", "keep" : true })"},
      {"replace", "stream", 0, R"({ "_id" : 1, "a" : "new 1" })"},
      {"merge", "stream", 0, R"({ "_id" : 1, "a" : "new 1", "keep" : true })"},
  };
  for (const auto& c : cases) {
    Mongo target(server(), db(std::string("conflict_") + c.policy + "_" + c.txn));
    target.insert_json("t", {R"({"_id":1,"a":"old 1","keep":true})", R"({"_id":2,"a":"old 2"})"});
    CommandResult r = decant("import " + quote(target.uri()) + " -q --txn " + c.txn + " --conflict " + c.policy +
                             " -i " + quote(archive));
    EXPECT_EQ(r.exit_code, c.exit_code) << c.policy << " " << c.txn << ": " << r.err;
    EXPECT_EQ(target.json("t", "1"), c.doc1) << c.policy << " " << c.txn;
    EXPECT_EQ(target.json("t", "2"), R"({ "_id" : 2, "a" : "old 2" })") << c.policy;
    if (c.exit_code == 0) {
      EXPECT_EQ(target.json("t", "3"), R"({ "_id" : 3, "a" : "new 3" })") << c.policy;
    } else {
      EXPECT_NE(r.err.find("E11000"), std::string::npos) << r.err;
      // stream: the transaction (SecantusDB) or the staging collection (mongo-java-server) is
      // undone; batch: the bulk's transaction is undone (SecantusDB), or its other documents
      // went in (mongo-java-server).
      bool undone = std::string(c.txn) == "stream" || target.transactions();
      EXPECT_EQ(target.json("t", "3"), undone ? "none" : R"({ "_id" : 3, "a" : "new 3" })") << c.txn;
      EXPECT_EQ(target.collections(), std::vector<std::string>{"t"});
    }
  }
}

// Two collections of 3,000 documents; the second meets a document already in the target at
// its 2,500th: what each transaction mode leaves behind on each kind of server.
TEST_P(MongoRoundTrip, FailureMidLoadKeepsOnlyWhatTheModeCommitted) {
  Mongo source(server(), db("txn_src"));
  for (const char* coll : {"a", "z"}) {
    std::vector<bson_t*> docs;
    for (int i = 1; i <= 3000; ++i) docs.push_back(BCON_NEW("_id", BCON_INT32(i), "v", BCON_UTF8(coll)));
    source.insert(coll, docs);
  }
  TempDir dir;
  std::string archive = dir.path("a.ndjson");
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(archive));
  for (std::string mode : {"single", "stream", "batch"}) {
    Mongo target(server(), db("txn_dst_" + mode));
    target.insert_json("z", {R"({"_id":2500,"v":"old"})"});
    CommandResult r = decant("import " + quote(target.uri()) + " -q --txn " + mode + " -i " + quote(archive));
    if (mode == "single" && !target.transactions()) {
      EXPECT_EQ(r.exit_code, 2) << r.err;  // refused before anything is written
      EXPECT_NE(r.err.find("--txn single needs multi-document transactions"), std::string::npos) << r.err;
      EXPECT_EQ(target.count("a"), 0);
      EXPECT_EQ(target.count("z"), 1);
      continue;
    }
    EXPECT_EQ(r.exit_code, 4) << mode << ": " << r.err;
    EXPECT_NE(r.err.find("E11000"), std::string::npos) << r.err;
    EXPECT_EQ(target.count("a"), mode == "single" ? 0 : 3000) << mode << ": " << r.err;
    if (mode == "batch") {
      EXPECT_GT(target.count("z"), 2000) << mode;  // the bulks before the failure, and the failing one's others
    } else {
      EXPECT_EQ(target.count("z"), 1) << mode << ": " << r.err;
      EXPECT_EQ(target.json("z", "2500"), R"({ "_id" : 2500, "v" : "old" })");
    }
    // What stream and batch modes committed is resumable: the checkpoint stays with it.
    for (const std::string& name : target.collections())
      if (name != "_decant_checkpoint") EXPECT_EQ(name.find("_decant_"), std::string::npos) << name;
    std::vector<std::string> names = target.collections();
    bool checkpoint = std::find(names.begin(), names.end(), "_decant_checkpoint") != names.end();
    EXPECT_EQ(checkpoint, mode != "single" && target.transactions()) << mode;
  }
}

TEST_P(MongoRoundTrip, StagedOrTransactionalStreamReplacesWithDrop) {
  Mongo source(server(), db("drop_src")), target(server(), db("drop_dst"));
  source.insert_json("t", {R"({"_id":1})", R"({"_id":2})"});
  target.insert_json("t", {R"({"_id":1,"old":true})", R"({"_id":9})"});
  TempDir dir;
  std::string archive = dir.path("a.ndjson");
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(archive));
  run_ok("import " + quote(target.uri()) + " -q --drop -i " + quote(archive));
  EXPECT_EQ(source.documents("t"), target.documents("t"));
  EXPECT_EQ(target.collections(), std::vector<std::string>{"t"});
}

TEST_P(MongoRoundTrip, ThroughSqliteUnderTheTableMapping) {
  Mongo source(server(), db("sqlite_src")), target(server(), db("sqlite_dst"));
  source.insert_json("types", bson_matrix(server()));
  TempDir dir;
  std::string sqlite = dir.path("m.db");
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(dir.path("a.ndjson")));
  run_ok("import " + quote(sqlite) + " -q -i " + quote(dir.path("a.ndjson")));
  // SPEC 11.0 rule 1: a table of _id and document, both the canonical encoding as JSON text.
  EXPECT_EQ(query_one(sqlite, "SELECT document FROM types WHERE _id = '{\"$numberInt\":\"1\"}'").substr(0, 50),
            R"({"i32":{"$numberInt":"-2147483648"},"i64":{"$numbe)");
  run_ok("export " + quote(sqlite) + " -q -o " + quote(dir.path("b.ndjson")));
  run_ok("import " + quote(target.uri()) + " -q -i " + quote(dir.path("b.ndjson")));
  EXPECT_EQ(source.documents("types"), target.documents("types"));
  expect_diff_equal(source.uri(), target.uri());
}

TEST_P(MongoRoundTrip, ThroughPostgresUnderTheTableMapping) {
  Mongo source(server(), db("pg_src")), target(server(), db("pg_dst"));
  Pg middle(db("mongo_pg"));
  source.insert_json("types", bson_matrix(server()));
  TempDir dir;
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(dir.path("a.ndjson")));
  run_ok("import " + quote(middle.uri()) + " -q -i " + quote(dir.path("a.ndjson")));
  EXPECT_EQ(middle.query("SELECT count(*) FROM types"), "4\n");
  EXPECT_EQ(middle.query("SELECT document->'oid'->>'$oid' FROM types WHERE _id->>'$numberInt' = '1'"),
            "5f1d7a9b2c3d4e5f60718293\n");
  run_ok("export " + quote(middle.uri()) + " -q -o " + quote(dir.path("b.ndjson")));
  run_ok("import " + quote(target.uri()) + " -q --rename-stream public.types=types -i " + quote(dir.path("b.ndjson")));
  EXPECT_EQ(source.documents("types"), target.documents("types"));
  expect_diff_equal(source.uri(), target.uri());
}

TEST_P(MongoRoundTrip, PostgresTableBecomesDocumentsKeyedByThePrimaryKey) {
  Mongo target(server(), db("pg_rows"));
  Pg source(db("pg_rows_src"));
  source.exec("CREATE TABLE t (id int PRIMARY KEY, name text, price numeric, at timestamptz);"
              "CREATE INDEX t_name ON t (name);"
              "INSERT INTO t VALUES (1, 'one', 1.50, '2024-01-02 03:04:05.123456+00'), (2, NULL, NULL, NULL);");
  TempDir dir;
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(dir.path("a.ndjson")));
  run_ok("import " + quote(target.uri()) + " -q --rename-stream public.t=t -i " + quote(dir.path("a.ndjson")));
  EXPECT_EQ(target.json("t", "1"),
            R"({ "_id" : 1, "name" : "one", "price" : { "$numberDecimal" : "1.50" }, "at" : "2024-01-02T03:04:05.123456+00:00" })");
  EXPECT_EQ(target.json("t", "2"), R"({ "_id" : 2, "name" : null, "price" : null, "at" : null })");
  std::vector<std::string> idx = target.indexes("t");
  ASSERT_EQ(idx.size(), 2u);
  EXPECT_NE(idx[1].find(R"("name" : "t_name")"), std::string::npos) << idx[1];
}

TEST_P(MongoRoundTrip, ThroughRedisUnderTheKeyMapping) {
  Mongo source(server(), db("redis_src")), target(server(), db("redis_dst"));
  source.insert_json("types", bson_matrix(server()));
  std::string redis = server_env("redis", "DECANT_TEST_REDIS_URL");
  redis = redis.substr(0, redis.rfind('/')) + (server() == "secantus" ? "/14" : "/15");
  TempDir dir;
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(dir.path("a.ndjson")));
  run_ok("import " + quote(redis) + " -q --flush " + redis.substr(redis.rfind('/') + 1) + " -i " + quote(dir.path("a.ndjson")));
  run_ok("export " + quote(redis) + " -q -o " + quote(dir.path("b.ndjson")));
  run_ok("import " + quote(target.uri()) + " -q -i " + quote(dir.path("b.ndjson")));
  // SPEC 11.3.4: one key per document, `types:<_id>`, holding the document's canonical
  // encoding; back in MongoDB each key is a document whose _id is the keyspace stream's key,
  // the key name and page (SPEC 11.0 rule 2: a composite key becomes a document).
  std::string doc = target.json(target.collections().at(0), R"({"key":"types:text id","page":{"$numberLong":"0"}})");
  EXPECT_NE(doc.find(R"("value" : "{\"_id\":\"text id\",\"v\":1}")"), std::string::npos) << doc;
  EXPECT_EQ(target.count(target.collections().at(0)), 4);
}

// Only SecantusDB stores code with scope; mongo-java-server rejects it on insert.
TEST(MongoSecantus, DeprecatedTypesAreRefusedByName) {
  Mongo source("secantus", "deprecated_s");
  source.insert_json("c", {R"({"_id":1,"ok":1})", R"({"_id":2,"f":{"$code":"x","$scope":{"a":1}}})"});
  TempDir dir;
  CommandResult r = decant("export " + quote(source.uri()) + " -q -o " + quote(dir.path("a.ndjson")));
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("document 2: f: BSON code with scope (deprecated) is not supported"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path("a.ndjson")));
}

TEST_P(MongoRoundTrip, PasswordReachesNoMessage) {
  std::string uri = server_uri(server());
  uri.insert(std::string("mongodb://").size(), "someone:s3cr3tpw@");
  CommandResult r = decant("export " + quote(uri + "db?serverSelectionTimeoutMS=2000") + " -q -o -");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(r.err.find("s3cr3tpw"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("s3cr3tpw"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Servers, MongoRoundTrip, ::testing::Values("secantus", "mongo-java"),
                         [](const auto& info) { return info.param == "secantus" ? "SecantusDB" : "MongoJavaServer"; });

}  // namespace
}  // namespace decant::test
