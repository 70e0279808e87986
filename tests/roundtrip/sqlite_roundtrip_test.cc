// SQLite -> archive -> SQLite through the decant binary, checked two ways: `decant diff` and a
// direct, storage-class-exact comparison of the databases.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness.h"

namespace decant::test {
namespace {

const std::string kChinook = std::string(DECANT_TEST_DATA_DIR) + "/chinook/Chinook_Sqlite.sqlite";

void expect_same_databases(const std::string& a, const std::string& b) {
  std::vector<std::string> da = dump_database(a), db = dump_database(b);
  ASSERT_FALSE(da.empty());
  EXPECT_EQ(da.size(), db.size());
  for (size_t i = 0; i < std::min(da.size(), db.size()); ++i) ASSERT_EQ(da[i], db[i]) << "at line " << i;
}

void expect_diff_equal(const std::string& a, const std::string& b) {
  CommandResult r = decant("diff " + quote(a) + " " + quote(b));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("equal:"), std::string::npos) << r.out;
}

// A table of the values most likely to be mangled on the way through JSON.
void create_edge_cases(const std::string& path) {
  exec_sql(path, R"sql(
    CREATE TABLE edge ("id" INTEGER PRIMARY KEY, "v" ANY, "note" TEXT);
    INSERT INTO edge VALUES
      (1, -9223372036854775808, 'int64 min'),
      (2, 9223372036854775807, 'int64 max'),
      (3, 9007199254740993, '2^53+1'),
      (4, -0.0, 'negative zero'),
      (5, 0.1, 'inexact double'),
      (6, 2.0, 'integral double'),
      (7, 1e300, 'huge double'),
      (8, 5e-324, 'smallest subnormal'),
      (9, '', 'empty string'),
      (10, NULL, 'null'),
      (11, x'', 'empty blob'),
      (12, x'00010200ff', 'blob with NUL bytes'),
      (13, CAST(x'61ff62c328' AS TEXT), 'invalid UTF-8 text'),
      (14, 'naïve café 日本語 🎉 "quoted" \ back\slash', 'unicode'),
      (15, 'line1' || char(10) || 'line2' || char(9) || char(0) || 'after NUL', 'control characters'),
      (16, 42, 'integer in an ANY column'),
      (17, '{"$numberLong":"1"}', 'text that looks like a tag');
    INSERT INTO edge VALUES (18, replace(hex(zeroblob(100000)), '00', 'abcdefghij'), 'very long text (1 MB)');
    CREATE TABLE "odd ""name""; DROP TABLE edge" ("key with space" TEXT, "Ünïcode" REAL, PRIMARY KEY ("key with space")) WITHOUT ROWID;
    INSERT INTO "odd ""name""; DROP TABLE edge" VALUES ('a', 1.5), ('b', NULL);
    CREATE UNIQUE INDEX "edge note" ON edge(note);
  )sql");
  // -0.0 literal parses as 0 in SQLite; store a true negative zero through arithmetic.
  exec_sql(path, "UPDATE edge SET v = -1e-320 * 1e-10 WHERE id = 4");
}

class SqliteRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(SqliteRoundTrip, ChinookThroughArchive) {
  TempDir dir;
  std::string archive = dir.path("chinook" + GetParam());
  std::string copy = dir.path("copy.db");
  CommandResult ex = decant("export " + quote(kChinook) + " -o " + quote(archive));
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  EXPECT_TRUE(ex.out.empty()) << "export must keep stdout for data";
  CommandResult ve = decant("verify " + quote(archive));
  ASSERT_EQ(ve.exit_code, 0) << ve.err;
  CommandResult im = decant("import " + quote("sqlite:" + copy) + " -i " + quote(archive));
  ASSERT_EQ(im.exit_code, 0) << im.err;
  expect_diff_equal(archive, copy);
  expect_diff_equal(kChinook, copy);
  expect_same_databases(kChinook, copy);
}

TEST_P(SqliteRoundTrip, EdgeCasesThroughArchive) {
  TempDir dir;
  std::string source = dir.path("edge.db");
  create_edge_cases(source);
  ASSERT_EQ(query_one(source, "SELECT typeof(v) || ':' || hex(v) FROM edge WHERE id = 13"), "text:61FF62C328");
  std::string archive = dir.path("edge" + GetParam());
  std::string copy = dir.path("copy.db");
  ASSERT_EQ(decant("export " + quote(source) + " -o " + quote(archive)).exit_code, 0);
  CommandResult im = decant("import " + quote(copy) + " -i " + quote(archive));
  ASSERT_EQ(im.exit_code, 0) << im.err;
  expect_diff_equal(source, copy);
  expect_diff_equal(archive, copy);
  expect_same_databases(source, copy);
  EXPECT_EQ(query_one(copy, "SELECT hex(v) FROM edge WHERE id = 4"), query_one(source, "SELECT hex(v) FROM edge WHERE id = 4"));
  EXPECT_EQ(query_one(copy, "SELECT v FROM edge WHERE id = 3"), "9007199254740993");
}

INSTANTIATE_TEST_SUITE_P(Formats, SqliteRoundTrip, ::testing::Values(".ndjson", ".ndjson.zst"),
                         [](const auto& info) { return info.param == ".ndjson" ? "plain" : "zstd"; });

TEST(SqliteRoundTripPipes, ExportToStdoutImportFromStdin) {
  TempDir dir;
  std::string copy = dir.path("copy.db");
  CommandResult r = run_shell(std::string(DECANT_BINARY) + " export " + quote(kChinook) + " --compress zstd | " +
                              DECANT_BINARY + " import " + quote(copy));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_same_databases(kChinook, copy);
}

TEST(SqliteRoundTripPipes, JqFilterThenImport) {
  TempDir dir;
  std::string copy = dir.path("long-tracks.db");
  std::string filter = R"(select(.t != "rec" or .s != "Track" or .r.Milliseconds > 300000))";
  CommandResult r = run_shell(std::string(DECANT_BINARY) + " export " + quote(kChinook) + " | jq -c " + quote(filter) +
                              " | " + DECANT_BINARY + " import --transformed " + quote(copy));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(query_one(copy, "SELECT count(*) FROM Track"),
            query_one(kChinook, "SELECT count(*) FROM Track WHERE Milliseconds > 300000"));
  EXPECT_EQ(query_one(copy, "SELECT count(*) FROM Album"), query_one(kChinook, "SELECT count(*) FROM Album"));
  EXPECT_NE(r.err.find("transformed"), std::string::npos) << r.err;
}

TEST(SqliteRoundTripPipes, TransformWithoutFlagIsRefusedAndNothingIsWritten) {
  TempDir dir;
  std::string copy = dir.path("copy.db");
  std::string filter = R"(select(.t != "rec" or .s != "Track" or .r.Milliseconds > 300000))";
  CommandResult r = run_shell(std::string(DECANT_BINARY) + " export " + quote(kChinook) + " | jq -c " + quote(filter) +
                              " | " + DECANT_BINARY + " import " + quote(copy));
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_NE(r.err.find("count mismatch"), std::string::npos) << r.err;
  EXPECT_EQ(query_one(copy, "SELECT count(*) FROM sqlite_schema"), "0");
}

TEST(SqliteDiff, NamesTheChangedRecord) {
  TempDir dir;
  std::string copy = dir.path("copy.db");
  std::filesystem::copy_file(kChinook, copy);
  exec_sql(copy, "UPDATE Track SET Name = 'changed' WHERE TrackId = 1234; DELETE FROM Genre WHERE GenreId = 25");
  CommandResult r = decant("diff --records 10 " + quote(kChinook) + " " + quote(copy));
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("changed    Track {\"TrackId\":1234}"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("only in A  Genre {\"GenreId\":25}"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("different: 2 of 11 streams differ"), std::string::npos) << r.out;
}

TEST(SqliteImport, TruncatedArchiveLeavesExistingTargetUntouched) {
  TempDir dir;
  std::string archive = dir.path("full.ndjson");
  std::string cut = dir.path("cut.ndjson");
  std::string target = dir.path("target.db");
  ASSERT_EQ(decant("export " + quote(kChinook) + " -o " + quote(archive)).exit_code, 0);
  // Keep everything but the trailer: every record is there, the archive is still incomplete.
  ASSERT_EQ(run_shell("head -n -1 " + quote(archive) + " > " + quote(cut)).exit_code, 0);
  exec_sql(target, "CREATE TABLE keep (x); INSERT INTO keep VALUES (1)");
  std::vector<std::string> before = dump_database(target);
  CommandResult r = decant("import " + quote(target) + " -i " + quote(cut));
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_NE(r.err.find("truncated archive"), std::string::npos) << r.err;
  EXPECT_EQ(dump_database(target), before);
}

}  // namespace
}  // namespace decant::test
