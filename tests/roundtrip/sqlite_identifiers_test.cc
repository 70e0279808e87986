// Identifiers that try SQL injection, through the binary: table, column and index names with
// quotes, semicolons, "--" and brackets survive export, import and diff unchanged, and never run
// as SQL. DDL carried in an archive (create_sql, index definitions) may create its own table
// and indexes and nothing else.
#include <gtest/gtest.h>

#include <filesystem>

#include "harness.h"

namespace decant::test {
namespace {

const char* const kHostileSchema = R"sql(
  CREATE TABLE victim (x INTEGER);
  INSERT INTO victim VALUES (1), (2);
  CREATE TABLE "t""; DROP TABLE victim; --" (
    "'); DELETE FROM victim; --" INTEGER PRIMARY KEY,
    "]" TEXT,
    "[x]" TEXT,
    "a""b" TEXT,
    "--" TEXT,
    ";" TEXT);
  INSERT INTO "t""; DROP TABLE victim; --" VALUES (1, 'a', 'b', 'c', 'd', 'e'), (2, NULL, '; DROP TABLE victim', '"', '''', '--');
  CREATE INDEX "i""; DROP TABLE victim; --" ON "t""; DROP TABLE victim; --" ("]", "a""b");
  CREATE TABLE "[brackets]" ("`tick`" TEXT, "x]; DROP TABLE victim; --" TEXT);
  INSERT INTO "[brackets]" VALUES ('1', '2');
  CREATE TABLE "it's; --" (v TEXT);
  INSERT INTO "it's; --" VALUES ('ok');
)sql";

void expect_victim_intact(const std::string& db) {
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM victim"), "2") << db;
}

TEST(SqliteIdentifiers, HostileNamesRoundTripUnchanged) {
  TempDir dir;
  std::string source = dir.path("source.db"), copy = dir.path("copy.db"), archive = dir.path("a.ndjson");
  exec_sql(source, kHostileSchema);
  CommandResult exported = decant("export -q sqlite:" + quote(source) + " -o " + quote(archive));
  ASSERT_EQ(exported.exit_code, 0) << exported.err;

  // Into an empty file (verbatim DDL from the archive) and into one that has its own victim.
  exec_sql(copy, "CREATE TABLE keep (x INTEGER); INSERT INTO keep VALUES (7);");
  CommandResult imported = decant("import -q sqlite:" + quote(copy) + " -i " + quote(archive));
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(query_one(copy, "SELECT count(*) FROM keep"), "1");
  expect_victim_intact(copy);
  std::vector<std::string> a = dump_database(source), b = dump_database(copy);
  b.erase(std::remove_if(b.begin(), b.end(), [](const std::string& l) { return l.find(" keep") != std::string::npos; }),
          b.end());
  EXPECT_EQ(a, b);
  CommandResult diff = decant("diff sqlite:" + quote(source) + " sqlite:" + quote(copy) + " --exclude keep");
  EXPECT_EQ(diff.exit_code, 0) << diff.out << diff.err;
  expect_victim_intact(source);
}

TEST(SqliteIdentifiers, RenamedToHostileNamesGetsQuotedDdl) {
  // A renamed stream gets DDL that decant writes itself, with every name quoted.
  TempDir dir;
  std::string source = dir.path("source.db"), copy = dir.path("copy.db"), archive = dir.path("a.ndjson");
  exec_sql(source, kHostileSchema);
  exec_sql(copy, "CREATE TABLE victim (x INTEGER); INSERT INTO victim VALUES (1), (2);");
  std::string hostile = "x\"); DROP TABLE victim; --";
  CommandResult r = decant("export -q sqlite:" + quote(source) + " --only '[[]brackets]' | " + DECANT_BINARY +
                           " import -q sqlite:" + quote(copy) + " --rename-stream " + quote("[brackets]=" + hostile));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_victim_intact(copy);
  EXPECT_EQ(query_one(copy, "SELECT \"x]; DROP TABLE victim; --\" FROM \"x\"\"); DROP TABLE victim; --\""), "2");
}

// An archive is untrusted: its create_sql and index definitions run only to create that
// stream's own table and indexes.
TEST(SqliteIdentifiers, ArchiveDdlThatDoesMoreIsRefused) {
  TempDir dir;
  std::string source = dir.path("source.db"), archive = dir.path("a.ndjson");
  exec_sql(source, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1); CREATE INDEX tx ON t (x);");
  ASSERT_EQ(decant("export -q sqlite:" + quote(source) + " -o " + quote(archive)).exit_code, 0);
  std::string evil = dir.path("evil.db");
  struct {
    std::string name;
    std::string jq;
  } cases[] = {
      {"a second statement in create_sql",
       R"j(.options.create_sql = "CREATE TABLE t (x INTEGER); DROP TABLE victim")j"},
      {"another table in create_sql", R"j(.options.create_sql = "CREATE TABLE victim2 (x INTEGER)")j"},
      {"data from another table", R"j(.options.create_sql = "CREATE TABLE t AS SELECT x FROM victim")j"},
      {"an ATTACH in an index definition",
       ".schema.indexes[0].definition = \"CREATE INDEX tx ON t (x); ATTACH DATABASE '" + evil + "' AS e\""},
      {"an index on another table", R"j(.schema.indexes[0].definition = "CREATE INDEX tx ON victim (x)")j"},
  };
  for (const auto& c : cases) {
    std::string target = dir.path("target.db");
    std::filesystem::remove(target);
    exec_sql(target, "CREATE TABLE victim (x INTEGER); INSERT INTO victim VALUES (1), (2);");
    std::string crafted = dir.path("crafted.ndjson");
    CommandResult jq = run_shell("jq -c " + quote("if .t == \"stream\" then " + c.jq + " else . end") + " " +
                                 quote(archive) + " > " + quote(crafted));
    ASSERT_EQ(jq.exit_code, 0) << jq.err;
    CommandResult r = decant("import -q sqlite:" + quote(target) + " -i " + quote(crafted));
    EXPECT_EQ(r.exit_code, 4) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find("refusing the archive's"), std::string::npos) << c.name << ": " << r.err;
    EXPECT_NE(r.err.find("nothing was committed"), std::string::npos) << c.name << ": " << r.err;
    expect_victim_intact(target);
    EXPECT_EQ(query_one(target, "SELECT count(*) FROM sqlite_schema WHERE name IN ('t', 'victim2')"), "0") << c.name;
    EXPECT_FALSE(std::filesystem::exists(evil)) << c.name;
  }
}

}  // namespace
}  // namespace decant::test
