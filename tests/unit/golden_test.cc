// Golden archives written by format 1.0 writers. Every future reader must still read them and
// decode the same values; never regenerate them, add new ones instead.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

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

}  // namespace
}  // namespace decant
