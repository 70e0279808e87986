// The SQLite source and sink, on real database files in a temporary directory.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "export/source.h"
#include "backends/sqlite_client.h"
#include "format/value_codec.h"
#include "import/sink.h"

namespace decant {
namespace {

namespace fs = std::filesystem;

// Every storage class, the edges of each, and identifiers that need quoting.
const char* const kFixtureSql = R"sql(
  BEGIN;
  CREATE TABLE mixed (id INTEGER PRIMARY KEY, v);
  INSERT INTO mixed VALUES
    (1, 42), (2, 1.5), (3, 'text'), (4, x'00ff'), (5, NULL),
    (6, -9223372036854775808), (7, 9223372036854775807), (8, 9007199254740993),
    (9, -0.0), (10, ''), (11, x''), (12, 'h€llo ✓ 😀'),
    (13, CAST(x'610062' AS TEXT)),
    (14, CAST(x'ff41fe' AS TEXT));

  CREATE TABLE "order lines" (
    "order id" INTEGER NOT NULL,
    "line;no" INTEGER NOT NULL,
    "say ""hi""" NVARCHAR(20) DEFAULT 'x',
    price REAL,
    PRIMARY KEY ("order id", "line;no"));
  CREATE INDEX "idx ""q""; x" ON "order lines" (price);
  CREATE UNIQUE INDEX uq_say ON "order lines" ("say ""hi""", "order id");
  INSERT INTO "order lines" VALUES (1, 1, 'a', 9.99), (1, 2, 'b', 0.5), (2, 1, 'a', NULL);

  CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID, STRICT;
  INSERT INTO kv VALUES ('c', x'03'), ('a', x'01'), ('b', x'02');

  CREATE TABLE gen (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL);
  CREATE INDEX gen_expr ON gen (a + 1);
  CREATE INDEX gen_partial ON gen (a) WHERE a > 0;
  INSERT INTO gen (a) VALUES (3), (-1);
  COMMIT;
)sql";

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "decant_sqlite_XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (fs::path(path_) / name).string(); }

 private:
  std::string path_;
};

SqliteDb open_db(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr), SQLITE_OK);
  return SqliteDb(db);
}

void exec(const std::string& path, const std::string& sql) {
  SqliteDb db = open_db(path);
  char* error = nullptr;
  ASSERT_EQ(sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &error), SQLITE_OK) << error;
}

std::string hex(const void* data, size_t size) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    unsigned char byte = static_cast<const unsigned char*>(data)[i];
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  return out;
}

// Rows of a query, cells joined by '|', each cell as storage class and exact content (the bits
// of a REAL, so -0.0 and 0.0 differ), sorted so that row order does not matter.
std::vector<std::string> dump(const std::string& path, const std::string& sql) {
  SqliteDb db = open_db(path);
  sqlite3_stmt* raw = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &raw, nullptr), SQLITE_OK) << sqlite3_errmsg(db.get());
  SqliteStatement statement(raw);
  std::vector<std::string> rows;
  while (sqlite3_step(raw) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < sqlite3_column_count(raw); ++i) {
      if (i) row += '|';
      switch (sqlite3_column_type(raw, i)) {
        case SQLITE_INTEGER: row += "int:" + std::to_string(sqlite3_column_int64(raw, i)); break;
        case SQLITE_FLOAT: {
          double d = sqlite3_column_double(raw, i);
          row += "real:" + hex(&d, sizeof d);
          break;
        }
        case SQLITE_TEXT: {
          std::string_view text = sqlite_column_text(raw, i);
          row += "text:" + hex(text.data(), text.size());
          break;
        }
        case SQLITE_BLOB: {
          const void* blob = sqlite3_column_blob(raw, i);
          row += "blob:" + hex(blob, static_cast<size_t>(sqlite3_column_bytes(raw, i)));
          break;
        }
        default: row += "null";
      }
    }
    rows.push_back(row);
  }
  std::sort(rows.begin(), rows.end());
  return rows;
}

std::vector<std::string> dump_table(const std::string& path, const std::string& table) {
  return dump(path, "SELECT * FROM " + sqlite_quote(table));
}

std::vector<std::string> schema(const std::string& path) {
  return dump(path, "SELECT type, name, tbl_name, sql FROM sqlite_schema");
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::unique_ptr<Source> open_source(const std::string& uri, nlohmann::json settings = nlohmann::json::object()) {
  SourceRegistry registry;
  register_sqlite_source(registry);
  Result<std::unique_ptr<Source>> source = registry.find(uri)->open(uri, SourceOptions{settings});
  EXPECT_TRUE(source.is_ok()) << source.status().message();
  return source ? std::move(source.value()) : nullptr;
}

std::unique_ptr<Sink> open_sink(const std::string& uri, const SinkOptions& options) {
  SinkRegistry registry;
  register_sqlite_sink(registry);
  Result<std::unique_ptr<Sink>> sink = registry.find(uri)->open(uri, options);
  EXPECT_TRUE(sink.is_ok()) << sink.status().message();
  return sink ? std::move(sink.value()) : nullptr;
}

std::vector<Record> read_all(Source& source, const StreamInfo& stream) {
  std::vector<Record> records;
  Status status = source.read(stream, [&](const Record& r) {
    records.push_back(r);
    return Status::ok();
  });
  EXPECT_TRUE(status.is_ok()) << status.message();
  return records;
}

const StreamInfo* find_stream(const std::vector<StreamInfo>& streams, const std::string& name) {
  for (const StreamInfo& s : streams)
    if (s.name == name) return &s;
  return nullptr;
}

// Drives a sink the way the import driver does: rollback on the first failure.
// `edit` may rename or otherwise change each stream before the sink sees it.
Status copy_database(const std::string& from, const std::string& to, const SinkOptions& options,
                     const std::function<void(StreamInfo&)>& edit = nullptr) {
  std::unique_ptr<Source> source = open_source(from);
  Result<std::vector<StreamInfo>> streams = source->streams();
  if (!streams) return streams.take_status();
  std::unique_ptr<Sink> sink = open_sink(to, options);
  auto run = [&]() -> Status {
    DECANT_TRY(sink->begin());
    for (const StreamInfo& stream : streams.value()) {
      StreamInfo target = stream;
      if (edit) edit(target);
      DECANT_TRY(sink->begin_stream(target));
      DECANT_TRY(source->read(stream, [&](const Record& r) { return sink->write(target.name, r); }));
      DECANT_TRY(sink->end_stream(target.name));
    }
    return sink->commit();
  };
  Status status = run();
  if (!status) sink->rollback();
  return status;
}

class SqliteBackend : public ::testing::Test {
 protected:
  void SetUp() override { exec(source_path_, kFixtureSql); }
  TempDir dir_;
  std::string source_path_ = dir_.file("source.db");
};

TEST_F(SqliteBackend, SourceDescribesEveryTable) {
  std::unique_ptr<Source> source = open_source("sqlite:" + source_path_);
  SourceDescription description = source->describe();
  EXPECT_EQ(description.backend, "sqlite");
  EXPECT_EQ(description.location, source_path_);
  EXPECT_EQ(description.snapshot, nlohmann::json({{"kind", "sqlite_txn"}}));
  EXPECT_EQ(description.details["sqlite_version"], sqlite3_libversion());

  Result<std::vector<StreamInfo>> streams = source->streams();
  ASSERT_TRUE(streams.is_ok()) << streams.status().message();
  std::vector<std::string> names;
  for (const StreamInfo& s : streams.value()) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"mixed", "order lines", "kv", "gen"}));

  const StreamInfo& mixed = streams.value()[0];
  EXPECT_EQ(mixed.kind, "table");
  ASSERT_EQ(mixed.columns.size(), 2u);
  EXPECT_EQ(mixed.columns[0].type, "int64");
  EXPECT_EQ(mixed.columns[0].source_type, "INTEGER");
  EXPECT_EQ(mixed.columns[1].type, "any");
  EXPECT_EQ(mixed.key, std::vector<std::string>{"id"});
  EXPECT_EQ(mixed.estimated_rows, 14);
  EXPECT_EQ(mixed.estimated_bytes, -1);
  EXPECT_EQ(mixed.options["source_backend"], "sqlite");
  EXPECT_EQ(mixed.options["source_table"], "mixed");
  EXPECT_EQ(mixed.options["without_rowid"], false);
  EXPECT_EQ(mixed.options["strict"], false);
  EXPECT_EQ(mixed.options["create_sql"], "CREATE TABLE mixed (id INTEGER PRIMARY KEY, v)");

  const StreamInfo& lines = streams.value()[1];
  ASSERT_EQ(lines.columns.size(), 4u);
  EXPECT_EQ(lines.columns[1].name, "line;no");
  EXPECT_FALSE(lines.columns[1].nullable);
  EXPECT_EQ(lines.columns[2].name, "say \"hi\"");
  EXPECT_EQ(lines.columns[2].type, "text");
  EXPECT_EQ(lines.columns[2].source_type, "NVARCHAR(20)");
  EXPECT_EQ(lines.columns[2].default_expr, "'x'");
  EXPECT_TRUE(lines.columns[2].nullable);
  EXPECT_EQ(lines.columns[3].type, "float64");
  EXPECT_EQ(lines.key, (std::vector<std::string>{"order id", "line;no"}));
  // The PRIMARY KEY autoindex comes back with CREATE TABLE, so only the explicit ones are listed.
  ASSERT_EQ(lines.indexes.size(), 2u);
  EXPECT_EQ(lines.indexes[0].name, "idx \"q\"; x");
  EXPECT_FALSE(lines.indexes[0].unique);
  EXPECT_EQ(lines.indexes[0].columns, std::vector<std::string>{"price"});
  EXPECT_EQ(lines.indexes[0].definition, "CREATE INDEX \"idx \"\"q\"\"; x\" ON \"order lines\" (price)");
  EXPECT_EQ(lines.indexes[1].name, "uq_say");
  EXPECT_TRUE(lines.indexes[1].unique);
  EXPECT_EQ(lines.indexes[1].columns, (std::vector<std::string>{"say \"hi\"", "order id"}));

  const StreamInfo& kv = streams.value()[2];
  EXPECT_EQ(kv.options["without_rowid"], true);
  EXPECT_EQ(kv.options["strict"], true);
  EXPECT_EQ(kv.columns[1].type, "bytes");  // STRICT guarantees a BLOB column holds blobs only

  const StreamInfo& gen = streams.value()[3];
  ASSERT_EQ(gen.columns.size(), 1u);  // the generated column is computed, not exported
  EXPECT_EQ(gen.options["generated_columns"], nlohmann::json::array({"b"}));
  EXPECT_TRUE(gen.key.empty());
  ASSERT_EQ(gen.indexes.size(), 2u);
  // Expression and partial indexes are described by their definition alone.
  EXPECT_TRUE(gen.indexes[0].columns.empty());
  EXPECT_EQ(gen.indexes[0].definition, "CREATE INDEX gen_expr ON gen (a + 1)");
  EXPECT_TRUE(gen.indexes[1].columns.empty());
}

TEST_F(SqliteBackend, SourceKeepsExactStorageClasses) {
  std::unique_ptr<Source> source = open_source(source_path_);
  Result<std::vector<StreamInfo>> streams = source->streams();
  ASSERT_TRUE(streams.is_ok());
  std::vector<Record> rows = read_all(*source, *find_stream(streams.value(), "mixed"));
  ASSERT_EQ(rows.size(), 14u);

  std::map<int64_t, Value> v;
  for (const Record& row : rows) {
    ASSERT_EQ(row.size(), 2u);
    EXPECT_EQ(row[0].name, "id");
    EXPECT_EQ(row[1].name, "v");
    v[row[0].value.integer] = row[1].value;
  }
  EXPECT_EQ(v[1], Value::of_int(42));
  EXPECT_EQ(v[2], Value::of_double(1.5));
  EXPECT_EQ(v[3], Value::of_text("text"));
  EXPECT_EQ(v[4], Value::of_bytes(std::string("\x00\xff", 2)));
  EXPECT_EQ(v[5], Value::null());
  EXPECT_EQ(v[6], Value::of_int(std::numeric_limits<int64_t>::min()));
  EXPECT_EQ(v[7], Value::of_int(std::numeric_limits<int64_t>::max()));
  EXPECT_EQ(v[8], Value::of_int((int64_t{1} << 53) + 1));
  EXPECT_EQ(v[9].kind, Kind::kFloat64);
  EXPECT_EQ(v[9].real, 0.0);
  EXPECT_TRUE(std::signbit(v[9].real));
  EXPECT_EQ(v[10], Value::of_text(""));       // empty text is neither NULL...
  EXPECT_EQ(v[11], Value::of_bytes(""));      // ...nor an empty blob
  EXPECT_EQ(v[12], Value::of_text("h€llo ✓ 😀"));
  EXPECT_EQ(v[13], Value::of_text(std::string("a\0b", 3)));
  EXPECT_EQ(v[14], Value::with_text(Kind::kRawText, "\xff" "A\xfe"));
}

TEST_F(SqliteBackend, SourceReadsInStorageOrder) {
  std::unique_ptr<Source> source = open_source("sqlite://" + source_path_);
  Result<std::vector<StreamInfo>> streams = source->streams();
  ASSERT_TRUE(streams.is_ok());
  std::vector<Record> kv = read_all(*source, *find_stream(streams.value(), "kv"));
  ASSERT_EQ(kv.size(), 3u);
  EXPECT_EQ(kv[0].find("k")->text, "a");  // WITHOUT ROWID: primary key order
  EXPECT_EQ(kv[2].find("k")->text, "c");
  std::vector<Record> gen = read_all(*source, *find_stream(streams.value(), "gen"));
  ASSERT_EQ(gen.size(), 2u);
  EXPECT_EQ(gen[0].size(), 1u);
  EXPECT_EQ(gen[0].find("a")->integer, 3);  // rowid order
}

TEST_F(SqliteBackend, SourceSeesOneSnapshot) {
  std::unique_ptr<Source> source = open_source(source_path_);
  Result<std::vector<StreamInfo>> streams = source->streams();
  ASSERT_TRUE(streams.is_ok());
  // A writer cannot commit while the snapshot is held (rollback journal), and the source's
  // reads are unaffected by its attempt.
  SqliteDb writer = open_db(source_path_);
  EXPECT_NE(sqlite3_exec(writer.get(), "DELETE FROM kv", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(read_all(*source, *find_stream(streams.value(), "kv")).size(), 3u);
}

TEST_F(SqliteBackend, SourceTablesSetting) {
  std::unique_ptr<Source> source = open_source(source_path_, {{"tables", {"kv", "MIXED", "kv"}}});
  Result<std::vector<StreamInfo>> streams = source->streams();
  ASSERT_TRUE(streams.is_ok());
  ASSERT_EQ(streams->size(), 2u);
  EXPECT_EQ(streams.value()[0].name, "mixed");  // database order
  EXPECT_EQ(streams.value()[1].name, "kv");

  std::unique_ptr<Source> unknown = open_source(source_path_, {{"tables", {"nope"}}});
  Result<std::vector<StreamInfo>> missing = unknown->streams();
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().side(), Side::kUsage);
  EXPECT_NE(missing.status().message().find("\"nope\""), std::string::npos);

  SourceRegistry registry;
  register_sqlite_source(registry);
  Result<std::unique_ptr<Source>> bad = registry.all()[0].open(source_path_, SourceOptions{{{"tables", "kv"}}});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().side(), Side::kUsage);
}

TEST_F(SqliteBackend, SourceSkipsVirtualTables) {
  exec(source_path_, "CREATE VIRTUAL TABLE docs USING fts5(body); INSERT INTO docs VALUES ('hello');");
  std::unique_ptr<Source> source = open_source(source_path_);
  Result<std::vector<StreamInfo>> streams = source->streams();
  ASSERT_TRUE(streams.is_ok());
  EXPECT_EQ(streams->size(), 4u);  // neither docs nor its shadow tables
  std::unique_ptr<Source> named = open_source(source_path_, {{"tables", {"docs"}}});
  Result<std::vector<StreamInfo>> refused = named->streams();
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("virtual"), std::string::npos);
}

TEST_F(SqliteBackend, SourceMissingFileIsNotCreated) {
  std::string missing = dir_.file("missing.db");
  SourceRegistry registry;
  register_sqlite_source(registry);
  Result<std::unique_ptr<Source>> source = registry.all()[0].open("sqlite:" + missing, SourceOptions{});
  ASSERT_FALSE(source.is_ok());
  EXPECT_EQ(source.status().side(), Side::kSource);
  EXPECT_NE(source.status().message().find(missing), std::string::npos);
  EXPECT_FALSE(fs::exists(missing));

  std::string not_db = dir_.file("not.db");
  std::ofstream(not_db) << "this is not a database, just long enough text to have a header...........";
  Result<std::unique_ptr<Source>> garbage = registry.all()[0].open(not_db, SourceOptions{});
  ASSERT_FALSE(garbage.is_ok());
  EXPECT_NE(garbage.status().message().find(not_db), std::string::npos);
}

TEST_F(SqliteBackend, RoundTripKeepsEveryCellAndIndex) {
  std::string target = dir_.file("target.db");
  Status status = copy_database(source_path_, "sqlite:" + target, SinkOptions{});
  ASSERT_TRUE(status.is_ok()) << status.message();

  for (const char* table : {"mixed", "order lines", "kv", "gen"})
    EXPECT_EQ(dump_table(target, table), dump_table(source_path_, table)) << table;
  // Same tables, indexes and DDL, generated column and STRICT included.
  EXPECT_EQ(schema(target), schema(source_path_));

  // Invalid UTF-8 went back as TEXT, byte for byte; text with NUL kept its length.
  EXPECT_EQ(dump(target, "SELECT typeof(v), hex(v) FROM mixed WHERE id IN (13, 14) ORDER BY id"),
            (std::vector<std::string>{"text:74657874|text:363130303632", "text:74657874|text:464634314645"}));
  // -0.0 kept its sign in the untyped column.
  EXPECT_EQ(dump(target, "SELECT v FROM mixed WHERE id = 9"), dump(source_path_, "SELECT v FROM mixed WHERE id = 9"));
}

TEST_F(SqliteBackend, RenamedStreamGetsGeneratedDdl) {
  std::string target = dir_.file("target.db");
  Status status = copy_database(source_path_, target, SinkOptions{}, [](StreamInfo& s) { s.name += "_2"; });
  ASSERT_TRUE(status.is_ok()) << status.message();

  EXPECT_EQ(dump(target, "SELECT sql FROM sqlite_schema WHERE name = 'order lines_2'"),
            dump(source_path_, "SELECT 'CREATE TABLE \"order lines_2\" (\"order id\" INTEGER NOT NULL, "
                               "\"line;no\" INTEGER NOT NULL, \"say \"\"hi\"\"\" NVARCHAR(20) DEFAULT (''x''), "
                               "\"price\" REAL, PRIMARY KEY (\"order id\", \"line;no\"))'"));
  EXPECT_EQ(dump(target, "SELECT sql FROM sqlite_schema WHERE name = 'kv_2'"),
            dump(source_path_, "SELECT 'CREATE TABLE \"kv_2\" (\"k\" TEXT NOT NULL, \"v\" BLOB, PRIMARY KEY (\"k\")) WITHOUT ROWID, STRICT'"));
  // Column-list indexes are regenerated on the new table; expression and partial ones cannot be.
  EXPECT_EQ(dump(target, "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL"),
            dump(source_path_, "SELECT 'idx \"q\"; x', 'order lines_2', 'CREATE INDEX \"idx \"\"q\"\"; x\" ON \"order lines_2\" (\"price\")'"
                               " UNION ALL SELECT 'uq_say', 'order lines_2', "
                               "'CREATE UNIQUE INDEX \"uq_say\" ON \"order lines_2\" (\"say \"\"hi\"\"\", \"order id\")'"));
  EXPECT_EQ(dump_table(target, "mixed_2"), dump_table(source_path_, "mixed"));
  EXPECT_EQ(dump_table(target, "order lines_2"), dump_table(source_path_, "order lines"));
  EXPECT_EQ(dump(target, "SELECT * FROM gen_2"), dump(source_path_, "SELECT a FROM gen"));
}

TEST_F(SqliteBackend, ForeignStreamGetsTypesFromLogicalTypes) {
  std::string target = dir_.file("target.db");
  StreamInfo stream;
  stream.name = "prices";
  stream.columns = {{"id", "int64", "bigint", false, "nextval('s')"},
                    {"amount", "decimal", "numeric(10,2)", true, ""},
                    {"seen", "timestamptz", "timestamp with time zone", true, ""},
                    {"flag", "bool", "boolean", true, ""},
                    {"raw", "bytes", "bytea", true, ""},
                    {"extra", "any", "", true, ""}};
  stream.key = {"id"};
  std::unique_ptr<Sink> sink = open_sink(target, SinkOptions{});
  ASSERT_TRUE(sink->begin().is_ok());
  Status begun = sink->begin_stream(stream);
  ASSERT_TRUE(begun.is_ok()) << begun.message();
  Record record;
  record.add("id") = Value::of_int(1);
  record.add("amount") = Value::with_text(Kind::kDecimal, "1.50");
  record.add("seen") = Value::with_text(Kind::kTimestampTz, "2024-01-02T03:04:05+01:00");
  record.add("flag") = Value::of_bool(true);
  record.add("raw") = Value::of_bytes("");
  ASSERT_TRUE(sink->write("prices", record).is_ok());
  ASSERT_TRUE(sink->end_stream("prices").is_ok());
  ASSERT_TRUE(sink->commit().is_ok());
  sink.reset();

  // No source defaults and no foreign declared types: "1.50" must not become the REAL 1.5.
  EXPECT_EQ(dump(target, "SELECT sql FROM sqlite_schema"),
            dump(target, "SELECT 'CREATE TABLE \"prices\" (\"id\" INTEGER NOT NULL, \"amount\" TEXT, "
                         "\"seen\" TEXT, \"flag\" INTEGER, \"raw\" BLOB, \"extra\", PRIMARY KEY (\"id\"))'"));
  EXPECT_EQ(dump(target, "SELECT typeof(amount), amount, seen, flag, typeof(raw), typeof(extra) FROM prices"),
            dump(target, "SELECT 'text', '1.50', '2024-01-02T03:04:05+01:00', 1, 'blob', 'null'"));
}

TEST_F(SqliteBackend, SinkStoresValuesWithoutStorageClassAsJsonText) {
  std::string target = dir_.file("target.db");
  StreamInfo stream;
  stream.name = "t";
  stream.columns = {{"id", "int64", "", false, ""}, {"v", "any", "", true, ""}};
  std::vector<std::string> notes;
  SinkOptions options;
  options.note = [&](const std::string& note) { notes.push_back(note); };
  std::unique_ptr<Sink> sink = open_sink(target, options);
  ASSERT_TRUE(sink->begin().is_ok());
  ASSERT_TRUE(sink->begin_stream(stream).is_ok());

  std::vector<Value> values;
  values.push_back(Value::of_double(std::nan("")));
  values.push_back(decode_value_text(R"([1,{"$numberLong":"9007199254740993"},null])").value());
  values.push_back(decode_value_text(R"({"a":{"$binary":{"base64":"AAE=","subType":"04"}},"b":[]})").value());
  values.push_back(decode_value_text(R"({"$interval":{"months":1,"days":-3,"micros":"5"}})").value());
  for (size_t i = 0; i < values.size(); ++i) {
    Record record;
    record.add("id") = Value::of_int(static_cast<int64_t>(i));
    record.add("v") = values[i];
    ASSERT_TRUE(sink->write("t", record).is_ok());
  }
  ASSERT_TRUE(sink->end_stream("t").is_ok());
  ASSERT_TRUE(sink->commit().is_ok());
  sink.reset();

  // Each TEXT decodes to exactly the value written, and the user was told once for the column.
  SqliteDb db = open_db(target);
  sqlite3_stmt* raw = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db.get(), "SELECT typeof(v), v FROM t ORDER BY id", -1, &raw, nullptr), SQLITE_OK);
  SqliteStatement select(raw);
  for (const Value& expected : values) {
    ASSERT_EQ(sqlite3_step(raw), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(raw, 0)), "text");
    Result<Value> decoded = decode_value_text(std::string(sqlite_column_text(raw, 1)));
    ASSERT_TRUE(decoded) << decoded.status().message();
    EXPECT_TRUE(*decoded == expected) << sqlite_column_text(raw, 1);
  }
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("table \"t\" column \"v\""), std::string::npos) << notes[0];
  EXPECT_NE(notes[0].find("JSON text"), std::string::npos) << notes[0];
}

TEST_F(SqliteBackend, SinkBindsFieldsByName) {
  std::string target = dir_.file("target.db");
  StreamInfo stream;
  stream.name = "t";
  stream.columns = {{"a", "int64", "", true, ""}, {"b", "text", "", true, ""}};
  std::unique_ptr<Sink> sink = open_sink(target, SinkOptions{});
  ASSERT_TRUE(sink->begin().is_ok());
  ASSERT_TRUE(sink->begin_stream(stream).is_ok());
  Record record;
  record.add("b") = Value::of_text("x");
  record.add("a") = Value::of_int(1);
  ASSERT_TRUE(sink->write("t", record).is_ok());
  record.clear_keep_capacity();
  record.add("b") = Value::of_text("only b");  // a is missing: NULL
  ASSERT_TRUE(sink->write("t", record).is_ok());
  ASSERT_TRUE(sink->end_stream("t").is_ok());
  ASSERT_TRUE(sink->commit().is_ok());
  sink.reset();
  EXPECT_EQ(dump(target, "SELECT a, b FROM t"), dump(target, "SELECT 1, 'x' UNION ALL SELECT NULL, 'only b'"));
}

TEST_F(SqliteBackend, ConflictErrorFailsAndRollsBack) {
  std::string target = dir_.file("target.db");
  ASSERT_TRUE(copy_database(source_path_, target, SinkOptions{}).is_ok());
  exec(target, "UPDATE mixed SET v = 'changed' WHERE id = 1");
  std::vector<std::string> before = schema(target);
  std::vector<std::string> rows_before = dump_table(target, "mixed");

  Status status = copy_database(source_path_, target, SinkOptions{});
  ASSERT_FALSE(status.is_ok());
  EXPECT_EQ(status.side(), Side::kTarget);
  EXPECT_NE(status.message().find("table \"mixed\""), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("id=1"), std::string::npos) << status.message();
  EXPECT_EQ(schema(target), before);
  EXPECT_EQ(dump_table(target, "mixed"), rows_before);
}

TEST_F(SqliteBackend, ConflictSkipKeepsExistingRows) {
  std::string target = dir_.file("target.db");
  exec(target, "CREATE TABLE mixed (id INTEGER PRIMARY KEY, v NOT NULL); INSERT INTO mixed VALUES (1, 'old');");
  SinkOptions options;
  options.conflict = ConflictPolicy::kSkip;
  std::unique_ptr<Source> source = open_source(source_path_, {{"tables", {"mixed"}}});
  std::vector<StreamInfo> streams = source->streams().value();
  std::unique_ptr<Sink> sink = open_sink(target, options);
  ASSERT_TRUE(sink->begin().is_ok());
  ASSERT_TRUE(sink->begin_stream(streams[0]).is_ok());
  Status status = source->read(streams[0], [&](const Record& r) {
    // Only key conflicts are skipped: the NULL in row 5 still breaks NOT NULL.
    if (r[0].value.integer == 5) return Status::ok();
    return sink->write("mixed", r);
  });
  ASSERT_TRUE(status.is_ok()) << status.message();
  Record null_row;
  null_row.add("id") = Value::of_int(5);
  null_row.add("v") = Value::null();
  EXPECT_FALSE(sink->write("mixed", null_row).is_ok());
  ASSERT_TRUE(sink->end_stream("mixed").is_ok());
  ASSERT_TRUE(sink->commit().is_ok());
  sink.reset();

  EXPECT_EQ(dump(target, "SELECT v FROM mixed WHERE id = 1"), dump(target, "SELECT 'old'"));
  EXPECT_EQ(dump(target, "SELECT count(*) FROM mixed"), dump(target, "SELECT 13"));
}

TEST_F(SqliteBackend, ConflictReplaceOverwritesRows) {
  std::string target = dir_.file("target.db");
  exec(target, "CREATE TABLE mixed (id INTEGER PRIMARY KEY, v); INSERT INTO mixed VALUES (1, 'old'), (100, 'kept');");
  SinkOptions options;
  options.conflict = ConflictPolicy::kReplace;
  Status status = copy_database(source_path_, target, options);
  ASSERT_TRUE(status.is_ok()) << status.message();
  std::vector<std::string> expected = dump_table(source_path_, "mixed");
  expected.push_back("int:100|text:6b657074");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(dump_table(target, "mixed"), expected);
}

TEST_F(SqliteBackend, DropReplacesTableAndTruncateEmptiesIt) {
  std::string target = dir_.file("target.db");
  exec(target, "CREATE TABLE mixed (other TEXT); INSERT INTO mixed VALUES ('gone');"
               "CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB, note TEXT); INSERT INTO kv VALUES ('a', x'09', 'n');");
  SinkOptions missing_column;
  Status refused = copy_database(source_path_, target, missing_column);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.message().find("no column \"id\""), std::string::npos) << refused.message();

  SinkOptions drop;
  drop.drop = true;
  Status dropped = copy_database(source_path_, target, drop);
  ASSERT_TRUE(dropped.is_ok()) << dropped.message();
  EXPECT_EQ(dump_table(target, "mixed"), dump_table(source_path_, "mixed"));
  EXPECT_EQ(schema(target), schema(source_path_));

  exec(target, "CREATE TABLE extra (x); DROP TABLE kv; CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB, note TEXT);"
               "INSERT INTO kv VALUES ('zz', x'09', 'n');");
  SinkOptions truncate;
  truncate.truncate = true;
  truncate.conflict = ConflictPolicy::kReplace;
  Status truncated = copy_database(source_path_, target, truncate);
  ASSERT_TRUE(truncated.is_ok()) << truncated.message();
  EXPECT_EQ(dump(target, "SELECT k, v FROM kv"), dump_table(source_path_, "kv"));
}

TEST_F(SqliteBackend, FailureMidStreamLeavesFileByteIdentical) {
  std::string target = dir_.file("target.db");
  ASSERT_TRUE(copy_database(source_path_, target, SinkOptions{}).is_ok());
  std::string before = read_bytes(target);

  SinkOptions drop;
  drop.drop = true;
  std::unique_ptr<Source> source = open_source(source_path_);
  std::vector<StreamInfo> streams = source->streams().value();
  std::unique_ptr<Sink> sink = open_sink(target, drop);
  ASSERT_TRUE(sink->begin().is_ok());
  ASSERT_TRUE(sink->begin_stream(streams[0]).is_ok());
  ASSERT_TRUE(source->read(streams[0], [&](const Record& r) { return sink->write("mixed", r); }).is_ok());
  Record bad;
  bad.add("id") = Value::of_int(1000);
  bad.add("no such column") = Value::of_int(1);
  Status status = sink->write("mixed", bad);
  ASSERT_FALSE(status.is_ok());
  EXPECT_EQ(status.side(), Side::kTarget);
  EXPECT_NE(status.message().find("\"no such column\""), std::string::npos) << status.message();
  sink->rollback();
  sink.reset();

  EXPECT_EQ(read_bytes(target), before);
  EXPECT_FALSE(fs::exists(target + "-journal"));
}

TEST_F(SqliteBackend, FailedImportLeavesNoNewFile) {
  std::string target = dir_.file("new.db");
  Status status = copy_database(source_path_, target, SinkOptions{}, [](StreamInfo& s) {
    if (s.name == "kv") s.columns.push_back({"phantom", "int64", "", false, ""});  // NOT NULL, never set
  });
  ASSERT_FALSE(status.is_ok());
  EXPECT_FALSE(fs::exists(target));
  EXPECT_FALSE(fs::exists(target + "-journal"));
}

TEST_F(SqliteBackend, StreamModeKeepsCommittedStreams) {
  std::string target = dir_.file("new.db");
  SinkOptions options;
  options.txn = TxnMode::kStream;
  Status status = copy_database(source_path_, target, options, [](StreamInfo& s) {
    if (s.name == "kv") s.columns.push_back({"phantom", "int64", "", false, ""});
  });
  ASSERT_FALSE(status.is_ok());
  EXPECT_EQ(dump_table(target, "mixed"), dump_table(source_path_, "mixed"));
  EXPECT_EQ(dump_table(target, "order lines"), dump_table(source_path_, "order lines"));
  EXPECT_EQ(dump(target, "SELECT name FROM sqlite_schema WHERE name IN ('kv', 'gen')"), std::vector<std::string>{});
}

TEST_F(SqliteBackend, BatchModeCommitsEveryBatch) {
  std::string target = dir_.file("new.db");
  SinkOptions options;
  options.txn = TxnMode::kBatch;
  options.batch_rows = 4;
  std::unique_ptr<Source> source = open_source(source_path_, {{"tables", {"mixed"}}});
  std::vector<StreamInfo> streams = source->streams().value();
  std::unique_ptr<Sink> sink = open_sink(target, options);
  ASSERT_TRUE(sink->begin().is_ok());
  ASSERT_TRUE(sink->begin_stream(streams[0]).is_ok());
  int written = 0;
  Status status = source->read(streams[0], [&](const Record& r) {
    if (++written == 11) return Status::target("injected");
    return sink->write("mixed", r);
  });
  ASSERT_FALSE(status.is_ok());
  sink->rollback();
  sink.reset();
  EXPECT_EQ(dump(target, "SELECT count(*) FROM mixed"), dump(target, "SELECT 8"));
}

TEST_F(SqliteBackend, DryRunChecksEverythingAndWritesNothing) {
  SinkOptions dry;
  dry.dry_run = true;
  std::string fresh = dir_.file("fresh.db");
  ASSERT_TRUE(copy_database(source_path_, fresh, dry).is_ok());
  EXPECT_FALSE(fs::exists(fresh));

  std::string existing = dir_.file("existing.db");
  ASSERT_TRUE(copy_database(source_path_, existing, SinkOptions{}).is_ok());
  std::string before = read_bytes(existing);
  // Every key is already there: the dry run finds the conflicts, as the real import would, and
  // counts them all rather than stop at the first.
  Status conflict = copy_database(source_path_, existing, dry);
  ASSERT_FALSE(conflict.is_ok());
  EXPECT_NE(conflict.message().find("records have keys already in the table"), std::string::npos) << conflict.message();
  EXPECT_NE(conflict.message().find("the first, record 1 (key "), std::string::npos) << conflict.message();
  EXPECT_NE(conflict.message().find("UNIQUE constraint failed"), std::string::npos) << conflict.message();
  dry.drop = true;
  ASSERT_TRUE(copy_database(source_path_, existing, dry).is_ok());
  EXPECT_EQ(read_bytes(existing), before);

  dry.txn = TxnMode::kBatch;
  Status refused = copy_database(source_path_, existing, dry);
  EXPECT_EQ(refused.side(), Side::kUsage) << refused.message();
}

TEST_F(SqliteBackend, SinkRejectsMergeAndNonDatabaseFiles) {
  SinkRegistry registry;
  register_sqlite_sink(registry);
  SinkOptions merge;
  merge.conflict = ConflictPolicy::kMerge;
  Result<std::unique_ptr<Sink>> refused = registry.all()[0].open(dir_.file("x.db"), merge);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().side(), Side::kUsage);
  EXPECT_FALSE(fs::exists(dir_.file("x.db")));

  std::string not_db = dir_.file("not.db");
  std::ofstream(not_db) << "this is not a database, just long enough text to have a header...........";
  Result<std::unique_ptr<Sink>> garbage = registry.all()[0].open(not_db, SinkOptions{});
  ASSERT_FALSE(garbage.is_ok());
  EXPECT_EQ(garbage.status().side(), Side::kTarget);
  EXPECT_NE(garbage.status().message().find(not_db), std::string::npos);
}

}  // namespace
}  // namespace decant
