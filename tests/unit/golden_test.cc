// Golden archives written by format 1.0 writers. Every future reader must still read them and
// decode the same values; never regenerate them, add new ones instead.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include <sqlite3.h>

#include <filesystem>

#include "export/export.h"
#include "format/archive.h"
#include "format/value_codec.h"

namespace decant {
namespace {

std::string golden(const std::string& name) {
  std::ifstream f(std::string(DECANT_TEST_DATA_DIR) + "/golden/" + name, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_FALSE(ss.str().empty()) << name;
  return ss.str();
}

// Decodes every record of a golden archive, checking its framing and digests on the way.
std::vector<Record> read_records(const std::string& name) {
  MemorySource source(golden(name));
  ArchiveReader reader(source, name);
  Status opened = reader.open();
  EXPECT_TRUE(opened) << opened.message();
  std::vector<Record> records;
  for (;;) {
    Result<ArchiveEvent> e = reader.next();
    EXPECT_TRUE(e) << e.status().message();
    if (!e || *e == ArchiveEvent::kEnd) break;
    if (*e == ArchiveEvent::kRecord) records.push_back(reader.record());
  }
  return records;
}

TEST(Golden, SpecExampleArchiveVerifies) {
  std::vector<Record> records = read_records("spec-example.ndjson");
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records[2].find("ProductId")->integer, 9007199254740993);
  EXPECT_EQ(records[2].find("Note")->kind, Kind::kRawText);
  EXPECT_EQ(records[2].find("Note")->text, "caf\xe9");
  EXPECT_EQ(records[1].find("Price")->kind, Kind::kFloat64);
  EXPECT_EQ(records[1].find("Price")->real, 3.0);
}

TEST(Golden, EveryTypeArchiveDecodesToTheExpectedValues) {
  std::vector<Record> records = read_records("every-type.ndjson");
  ASSERT_EQ(records.size(), 35u);
  std::map<std::string, Value> by_kind;
  for (const Record& r : records) by_kind[r.find("kind")->text] = *r.find("v");
  EXPECT_EQ(by_kind["int64 2^53"].integer, 9007199254740992);
  EXPECT_EQ(by_kind["int64 min"].integer, INT64_MIN);
  EXPECT_EQ(by_kind["int32"].kind, Kind::kInt32);
  EXPECT_TRUE(std::signbit(by_kind["float64 -0.0"].real));
  EXPECT_TRUE(std::isnan(by_kind["float64 NaN"].real));
  EXPECT_EQ(by_kind["float64 subnormal"].real, 5e-324);
  EXPECT_EQ(by_kind["rawtext"].text, std::string("caf\xe9\0x", 6));
  EXPECT_EQ(by_kind["bytes"].text, std::string("\0\1\xfe\xff", 4));
  EXPECT_EQ(by_kind["bytes subtype 04"].subtype, 4);
  EXPECT_EQ(by_kind["timestamp"].text, "2024-02-29T23:59:59.123456789");
  EXPECT_EQ(by_kind["interval"].integer, -9007199254740993);
  EXPECT_EQ(by_kind["json"].text, R"({"a":[1,2.50,{"b":null}],"big":12345678901234567890})");
  EXPECT_EQ(by_kind["array 2-d with NULL"].items.size(), 2u);
  EXPECT_EQ(by_kind["vector"].floats, (std::vector<float>{0.1f, -1.0f, 3.4028235e38f}));
  EXPECT_EQ(by_kind["document needing $literal"].fields[0].name, "$set");
}

// The jq contract: `jq -c .` keeps every value except the number spellings inside $json.
TEST(Golden, EveryTypeSurvivesJqIdentity) {
  std::string path = std::string(DECANT_TEST_DATA_DIR) + "/golden/every-type.ndjson";
  FILE* pipe = popen(("jq -c . '" + path + "'").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string through_jq;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) through_jq.append(buf, n);
  ASSERT_EQ(pclose(pipe), 0) << "jq must be installed";
  MemorySource source(through_jq);
  ReaderOptions options;
  options.strict_digests = false;
  ArchiveReader reader(source, "jq", options);
  ASSERT_TRUE(reader.open());
  std::vector<Record> original = read_records("every-type.ndjson");
  size_t i = 0;
  for (;;) {
    Result<ArchiveEvent> e = reader.next();
    ASSERT_TRUE(e) << e.status().message();
    if (*e == ArchiveEvent::kEnd) break;
    if (*e != ArchiveEvent::kRecord) continue;
    const Record& r = reader.record();
    if (r.find("kind")->text == "json") {
      EXPECT_FALSE(r == original[i]) << "jq rewrites number text inside $json";
    } else {
      EXPECT_TRUE(r == original[i]) << r.find("kind")->text;
    }
    ++i;
  }
  EXPECT_EQ(i, original.size());
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// format/SPEC.md section 10 shows the example archive between two markers; it must be the
// golden file byte for byte.
TEST(Golden, SpecShowsTheGoldenExampleArchive) {
  std::ifstream spec(std::string(DECANT_SOURCE_DIR) + "/format/SPEC.md");
  std::string text((std::istreambuf_iterator<char>(spec)), {});
  size_t begin = text.find("<!-- decant:example-archive begin");
  size_t end = text.find("<!-- decant:example-archive end");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::string block = text.substr(begin, end - begin);
  size_t open = block.find("```ndjson\n");
  size_t close = block.rfind("```");
  ASSERT_NE(open, std::string::npos);
  EXPECT_EQ(block.substr(open + 10, close - open - 10), golden("spec-example.ndjson"));
}

// The SPEC's example database, exported by today's decant, gives the example's record lines,
// end lines and trailer byte for byte, and its stream descriptions.
TEST(Golden, ExportOfTheSpecExampleDatabaseMatchesTheExample) {
  std::string dir = std::filesystem::temp_directory_path() / ("decant-golden-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string db_path = dir + "/shop.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  const char* sql = R"sql(
    CREATE TABLE [Product] ([ProductId] INTEGER PRIMARY KEY NOT NULL, [Name] NVARCHAR(120) NOT NULL, [Price] REAL, [Image] BLOB, [Note] TEXT DEFAULT 'none');
    CREATE UNIQUE INDEX [IX_Product_Name] ON [Product] ([Name]);
    CREATE TABLE [ProductTag] ([ProductId] INTEGER NOT NULL REFERENCES [Product] ([ProductId]), [Tag] TEXT NOT NULL, PRIMARY KEY ([ProductId], [Tag])) WITHOUT ROWID;
    INSERT INTO Product VALUES (1, 'Café crème', 2.5, x'89504e470d0a1a0a', NULL),
      (2, 'Thé "Earl Grey"', 3.0, NULL, 'loose leaf' || char(10) || '100 g'),
      (9007199254740993, 'Gift card', 0.1, NULL, CAST(x'636166e9' AS TEXT));
    INSERT INTO ProductTag VALUES (2, 'tea'), (1, 'new'), (1, 'hot');
  )sql";
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);

  Result<std::unique_ptr<Source>> source = builtin_sources().find(db_path)->open(db_path, SourceOptions{});
  ASSERT_TRUE(source) << source.status().message();
  MemorySink sink;
  ArchiveWriter writer(sink);
  ExportSummary summary;
  ASSERT_TRUE(export_archive(**source, writer, StreamSelection(), nullptr, summary));
  std::filesystem::remove_all(dir);

  std::vector<std::string> exported = lines_of(sink.data());
  std::vector<std::string> example = lines_of(golden("spec-example.ndjson"));
  ASSERT_EQ(exported.size(), example.size());
  for (size_t i = 1; i < example.size(); ++i) {
    nlohmann::json want = nlohmann::json::parse(example[i]);
    if (want["t"] != "stream") {
      EXPECT_EQ(exported[i], example[i]) << "line " << i + 1;
      continue;
    }
    nlohmann::json got = nlohmann::json::parse(exported[i]);
    EXPECT_EQ(got["name"], want["name"]);
    EXPECT_EQ(got["kind"], want["kind"]);
    EXPECT_EQ(got["schema"], want["schema"]) << "line " << i + 1;
    EXPECT_EQ(got["estimate"], want["estimate"]);
    for (auto& [key, value] : want["options"].items()) EXPECT_EQ(got["options"][key], value) << key;
  }
  nlohmann::json header = nlohmann::json::parse(exported[0]);
  EXPECT_EQ(header["snapshot"], nlohmann::json::parse(example[0])["snapshot"]);
}

}  // namespace
}  // namespace decant
