// PostgreSQL through the decant binary against the throwaway server of tools/servers/postgres.sh.
// Every test works in databases of its own (tests run in parallel on one server). Results are
// checked two ways: `decant diff`, and psql reading both databases directly, so that a mistake
// in decant's own reading cannot hide itself.
#include <gtest/gtest.h>

#include <fstream>

#include "harness.h"
#include "pg_database.h"

namespace decant::test {
namespace {

const std::string kData = DECANT_TEST_DATA_DIR;

constexpr const char* kTypeMatrix = R"sql(
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE types (
  id serial PRIMARY KEY, i2 int2, i4 int4, i8 int8, n numeric, n2 numeric(10,2), f4 float4, f8 float8,
  b bool, t text, vc varchar(10), c char(5), by bytea, d date, tm time, ttz timetz, ts timestamp,
  tstz timestamptz, iv interval, u uuid, j json, jb jsonb, ai int[], at2 text[], an numeric[], ad date[],
  m mood, ma mood[], p posint, ie inet, ci cidr, mac macaddr, tsv tsvector);
INSERT INTO types (i2, i4, i8, n, n2, f4, f8, b, t, vc, c, by, d, tm, ttz, ts, tstz, iv, u, j, jb, ai, at2, an, ad,
                   m, ma, p, ie, ci, mac, tsv) VALUES
 (-32768, -2147483648, -9223372036854775808, 'NaN', 12345678.99, 'NaN', '-0', true,
  E'tab\there\nnl \\ "q" \u00e9', 'abcdefghij', 'ab', '\x00ff10', '4713-01-01 BC', '24:00:00',
  '23:59:59.999999+15:59', '294276-12-31 23:59:59.999999', 'infinity', '-178000000 years',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"b": 1,  "a": [1.0e5, "x\u00e9"], "a": 2}',
  '{"b": 1, "a": 1.50, "a": 3}', '{{1,NULL},{3,4}}', '{{"a","NULL"},{NULL,"b,c\"}"}}', '{NaN,1.5,-0}',
  '{2024-02-29,infinity}', 'happy', '{sad,NULL}', 5, '::1/128', '10.0.0.0/8', '08:00:2b:01:02:03',
  'a fat:2 cat:3A'),
 (32767, 2147483647, 9223372036854775807, '-1.000000000000000000000000000001e-100', -99999999.99, 'Infinity',
  '-Infinity', false, '', '', '', '', 'infinity', '00:00', '00:00-15:59', '-infinity',
  '2000-01-01 00:00:00.000001+00', '1 mon -2 days 3 microseconds', '00000000-0000-0000-0000-000000000000',
  'null', '[]', '{}', '{}', '{}', '{}', 'sad', '{}', 2147483647, '192.168.0.1/24', '::/0', '00:00:00:00:00:00', ''),
 (0, 0, 9007199254740993, 123456789012345678901234567890.123456789012345678901234567890, 0, 3.4028235e38,
  1.7976931348623157e308, NULL, 'Ünïcødé 中文 😀', NULL, NULL, NULL, '2024-02-29', '12:34:56.5', '12:00+05:30',
  '1999-12-31 23:59:59', '1970-01-01 00:00:00+00', '0', NULL, '"s"', '{"k": {"z": null}}', '{NULL}', NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (NULL, NULL, NULL, '-0.000', 0.01, 1.4e-45, 5e-324, NULL, NULL, NULL, NULL, NULL, '-infinity', NULL, NULL,
  '0001-01-01 00:00:00', '-infinity', '-1 days -00:00:00.000001', NULL, '[1, 2 ,3]', '123.4500', NULL,
  '{{{"deep"}}}', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT nextval('types_id_seq');  -- the sequence is ahead of the rows: that state must travel too
)sql";

TEST(PostgresRoundTrip, TypeMatrixWithExtremesRoundTripsExactly) {
  Pg source("type_matrix_src"), target("type_matrix_dst");
  source.exec(kTypeMatrix);
  TempDir dir;
  std::string archive = dir.path("types.ndjson");
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(archive));
  run_ok("import " + quote(target.uri()) + " -q -i " + quote(archive));
  expect_diff_equal(source.uri(), target.uri());
  expect_diff_equal(archive, target.uri());
  EXPECT_EQ(table_contents(source), table_contents(target));
  EXPECT_EQ(schema_of(source), schema_of(target));
  EXPECT_EQ(target.query("SELECT nextval('types_id_seq')"), "6\n");
  // The encodings SPEC 11.2 promises, spot-checked in the archive itself.
  std::ifstream in(archive);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* expected : {R"("n":{"$numberDecimal":"NaN"})", R"("f8":{"$numberDouble":"-0.0"})",
                               R"("i8":{"$numberLong":"-9223372036854775808"})", R"("d":{"$localDate":"-4712-01-01"})",
                               R"("tstz":{"$offsetDateTime":"infinity"})", R"("ai":[[1,null],[3,4]])",
                               R"("jb":{"$json":{"a":3,"b":1}})", R"("j":{"$json":{"b":1,"a":[1.0e5,"xé"],"a":2}})",
                               R"("tm":{"$localTime":"24:00:00"})", R"("m":"happy")"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
}

TEST(PostgresRoundTrip, ChinookExportImportIsEqual) {
  Pg source("chinook_src"), target("chinook_dst");
  // The script creates and connects to a database "chinook" of its own; it runs in ours instead.
  source.load_file("sed '1,/^\\\\c chinook;/d' " + quote(kData + "/chinook/Chinook_PostgreSql.sql"));
  TempDir dir;
  std::string archive = dir.path("chinook.ndjson.zst");
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(archive));
  run_ok("import " + quote(target.uri()) + " -q -i " + quote(archive));
  expect_diff_equal(archive, target.uri());
  expect_diff_equal(source.uri(), target.uri());
  EXPECT_EQ(table_contents(source), table_contents(target));
  EXPECT_EQ(schema_of(source), schema_of(target));
  EXPECT_EQ(target.query("SELECT count(*) FROM pg_constraint WHERE contype = 'f'"), "11\n");
}

TEST(PostgresRoundTrip, ParallelExportEqualsSequentialExport) {
  Pg source("parallel_src");
  source.load_file("sed '1,/^\\\\c chinook;/d' " + quote(kData + "/chinook/Chinook_PostgreSql.sql"));
  TempDir dir;
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(dir.path("one.ndjson")));
  run_ok("export " + quote(source.uri()) + " -q --jobs 3 -o " + quote(dir.path("three.ndjson")));
  expect_diff_equal(dir.path("one.ndjson"), dir.path("three.ndjson"));
  // Streams interleave in the parallel archive, which the reader must take as well.
  CommandResult verify = run_ok("verify " + quote(dir.path("three.ndjson")));
  EXPECT_EQ(verify.exit_code, 0);
  Pg target("parallel_dst");
  run_ok("import " + quote(target.uri()) + " -q --conflict merge -i " + quote(dir.path("three.ndjson")));
  EXPECT_EQ(table_contents(source), table_contents(target));
}

TEST(PostgresRoundTrip, ChinookSqliteToPostgresToSqliteIsEqual) {
  Pg middle("chinook_from_sqlite");
  TempDir dir;
  std::string sqlite = kData + "/chinook/Chinook_Sqlite.sqlite", back = dir.path("back.db");
  run_ok("export " + quote(sqlite) + " -q -o " + quote(dir.path("a.ndjson")));
  run_ok("import " + quote(middle.uri()) + " -q -i " + quote(dir.path("a.ndjson")));
  // The documented mapping: INTEGER and TEXT columns get native types, the rest hold encodings.
  EXPECT_EQ(middle.query("SELECT data_type FROM information_schema.columns WHERE table_name = 'Artist' ORDER BY ordinal_position"),
            "bigint\ntext\n");
  EXPECT_EQ(middle.query("SELECT \"Name\" FROM \"Artist\" WHERE \"ArtistId\" = 1"), "AC/DC\n");
  run_ok("export " + quote(middle.uri()) + " --strip-schema -q -o " + quote(dir.path("b.ndjson")));
  run_ok("import " + quote(back) + " -q -i " + quote(dir.path("b.ndjson")));
  expect_diff_equal(sqlite, back);
}

// A table of 12,000 rows, then `extra` tables, then one whose 10,001st row breaks a CHECK the
// target has; the archive of them in `archive`.
void export_failing_load(const Pg& source, const Pg& target, const std::string& extra, const std::string& archive) {
  source.exec("CREATE TABLE a (id int PRIMARY KEY, payload text);"
              "INSERT INTO a SELECT i, repeat('x', i % 50) FROM generate_series(1, 12000) i;" + extra +
              "CREATE TABLE z (id int PRIMARY KEY);"
              "INSERT INTO z SELECT i FROM generate_series(1, 12000) i;");
  target.exec("CREATE TABLE z (id int CHECK (id <= 11000));");
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(archive));
}

// What each transaction mode leaves behind after that failure.
class TxnModes : public ::testing::TestWithParam<const char*> {};

TEST_P(TxnModes, FailureMidLoadKeepsOnlyWhatTheModeCommitted) {
  std::string mode = GetParam();
  Pg source("txn_src_" + mode), target("txn_dst_" + mode);
  TempDir dir;
  std::string archive = dir.path("a.ndjson");
  export_failing_load(source, target, "", archive);
  CommandResult r = decant("import " + quote(target.uri()) + " -q --txn " + mode + " -i " + quote(archive));
  EXPECT_EQ(r.exit_code, 4) << r.err;  // the target failed
  EXPECT_NE(r.err.find("violates check constraint"), std::string::npos) << r.err;
  bool a_exists = target.query("SELECT to_regclass('public.a') IS NOT NULL") == "t\n";
  std::string a_rows = a_exists ? target.query("SELECT count(*) FROM a") : "no table\n";
  std::string z_rows = target.query("SELECT count(*) FROM z");
  if (mode == "single") {
    EXPECT_EQ(a_rows, "no table\n");  // not even the table it created is left
    EXPECT_EQ(z_rows, "0\n");
  } else if (mode == "stream") {
    EXPECT_EQ(a_rows, "12000\n");
    EXPECT_EQ(z_rows, "0\n");
  } else {
    EXPECT_EQ(a_rows, "12000\n");
    EXPECT_EQ(z_rows, "10000\n");  // the first batch of 10,000 rows
  }
  // Without the failure every mode loads everything.
  target.exec("DROP TABLE z; DROP TABLE IF EXISTS a;");
  run_ok("import " + quote(target.uri()) + " -q --txn " + mode + " -i " + quote(archive));
  expect_diff_equal(archive, target.uri());
}

INSTANTIATE_TEST_SUITE_P(Modes, TxnModes, ::testing::Values("single", "stream", "batch"));

// --jobs N: Chinook (foreign keys between most tables) from a sequential and from an
// interleaved archive, loaded on several connections, ends up as a serial import does; again
// over the loaded tables with --drop, and with --truncate over tables without foreign keys.
TEST(PostgresRoundTrip, ParallelImportEqualsSerialImport) {
  Pg source("pjobs_src"), serial("pjobs_serial"), stream("pjobs_stream"), batch("pjobs_batch");
  source.load_file("sed '1,/^\\\\c chinook;/d' " + quote(kData + "/chinook/Chinook_PostgreSql.sql"));
  TempDir dir;
  std::string one = dir.path("one.ndjson"), three = dir.path("three.ndjson.zst");
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(one));
  run_ok("export " + quote(source.uri()) + " -q --jobs 3 -o " + quote(three));
  run_ok("import " + quote(serial.uri()) + " -q --txn stream -i " + quote(one));
  run_ok("import " + quote(stream.uri()) + " -q --txn stream --jobs 3 -i " + quote(three));
  run_ok("import " + quote(batch.uri()) + " -q --txn batch --jobs 2 -i " + quote(one));
  for (const Pg* db : {&stream, &batch}) {
    expect_diff_equal(serial.uri(), db->uri());
    expect_diff_equal(one, db->uri());
    EXPECT_EQ(table_contents(serial), table_contents(*db));
    EXPECT_EQ(schema_of(serial), schema_of(*db));
    EXPECT_EQ(db->query("SELECT count(*) FROM pg_constraint WHERE contype = 'f'"), "11\n");
  }
  // Dropping tables that foreign keys tie together: their loads share a lane, in archive order.
  run_ok("import " + quote(stream.uri()) + " -q --txn stream --jobs 3 --drop -i " + quote(three));
  expect_diff_equal(one, stream.uri());
  EXPECT_EQ(schema_of(serial), schema_of(stream));
  EXPECT_EQ(stream.query("SELECT count(*) FROM pg_constraint WHERE contype = 'f'"), "11\n");

  Pg plain_src("pjobs_plain_src"), plain_dst("pjobs_plain_dst");
  plain_src.exec("CREATE TABLE a (id int PRIMARY KEY, v text); CREATE TABLE b (id int PRIMARY KEY, v text);"
                 "CREATE TABLE c (id text PRIMARY KEY);"
                 "INSERT INTO a SELECT i, repeat('a', i % 40) FROM generate_series(1, 30000) i;"
                 "INSERT INTO b SELECT i, md5(i::text) FROM generate_series(1, 25000) i;"
                 "INSERT INTO c SELECT md5(i::text) FROM generate_series(1, 20000) i;");
  std::string plain = dir.path("plain.ndjson");
  run_ok("export " + quote(plain_src.uri()) + " -q --jobs 3 -o " + quote(plain));
  plain_dst.exec("CREATE TABLE a (id int PRIMARY KEY, v text); INSERT INTO a VALUES (-1, 'gone');"
                 "CREATE TABLE b (id int PRIMARY KEY, v text); INSERT INTO b VALUES (-1, 'gone');");
  run_ok("import " + quote(plain_dst.uri()) + " -q --txn batch --jobs 3 --truncate -i " + quote(plain));
  expect_diff_equal(plain_src.uri(), plain_dst.uri());
  EXPECT_EQ(table_contents(plain_src), table_contents(plain_dst));
}

// --jobs with one transaction, or with --staged, is refused before anything is touched.
TEST(PostgresRoundTrip, ParallelImportRefusesOneTransaction) {
  Pg target("pjobs_refused");
  TempDir dir;
  run_ok("export " + quote(target.uri()) + " -q -o " + quote(dir.path("empty.ndjson")));
  for (const char* flags : {"--txn single --jobs 2", "--txn stream --staged --jobs 2", "--jobs 0"}) {
    CommandResult r = decant("import " + quote(target.uri()) + " -q " + flags + " -i " + quote(dir.path("empty.ndjson")));
    EXPECT_EQ(r.exit_code, 2) << flags << ": " << r.err;
    EXPECT_NE(r.err.find("--jobs"), std::string::npos) << flags << ": " << r.err;
  }
}

// A failure in one table while others load beside it: in stream mode the tables that had
// ended before it stay, whole; the failing one is undone; the error names it.
class ParallelFailure : public ::testing::TestWithParam<const char*> {};

TEST_P(ParallelFailure, KeepsFinishedTablesAndNamesTheFailingOne) {
  std::string mode = GetParam();
  Pg source("pfail_src_" + mode), target("pfail_dst_" + mode);
  TempDir dir;
  std::string archive = dir.path("a.ndjson");
  export_failing_load(source, target,
                      "CREATE TABLE b (id int PRIMARY KEY); INSERT INTO b SELECT i FROM generate_series(1, 3000) i;",
                      archive);
  CommandResult r = decant("import " + quote(target.uri()) + " -q --jobs 3 --txn " + mode + " -i " + quote(archive));
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("table \"public.z\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("violates check constraint"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("stays there"), std::string::npos) << r.err;
  EXPECT_EQ(target.query("SELECT count(*) FROM a"), "12000\n");
  EXPECT_EQ(target.query("SELECT count(*) FROM b"), "3000\n");
  EXPECT_EQ(target.query("SELECT count(*) FROM z"), mode == "stream" ? "0\n" : "10000\n");
  // The finished tables are complete, constraints included.
  EXPECT_EQ(target.query("SELECT count(*) FROM pg_constraint WHERE contype = 'p' AND connamespace = 'public'::regnamespace"), "2\n");
}

INSTANTIATE_TEST_SUITE_P(Modes, ParallelFailure, ::testing::Values("stream", "batch"));

TEST(PostgresRoundTrip, ConflictPolicies) {
  Pg source("conflict_src"), target("conflict_dst");
  source.exec("CREATE TABLE t (id int PRIMARY KEY, v text);"
              "INSERT INTO t VALUES (1, 'new 1'), (2, 'new 2'), (3, 'new 3');");
  TempDir dir;
  std::string archive = dir.path("a.ndjson");
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(archive));
  auto reset = [&] {
    target.exec("DROP TABLE IF EXISTS t; CREATE TABLE t (id int PRIMARY KEY, v text, extra text DEFAULT 'd');"
                "INSERT INTO t VALUES (1, 'old 1', 'kept'), (9, 'old 9', 'kept');");
  };
  auto rows = [&] { return target.query("SELECT id, v, extra FROM t ORDER BY id"); };
  reset();
  CommandResult error = decant("import " + quote(target.uri()) + " -q -i " + quote(archive));
  EXPECT_EQ(error.exit_code, 4);
  EXPECT_NE(error.err.find("Key (id)=(1) already exists"), std::string::npos) << error.err;
  EXPECT_EQ(rows(), "1|old 1|kept\n9|old 9|kept\n");
  reset();
  run_ok("import " + quote(target.uri()) + " -q --conflict skip -i " + quote(archive));
  EXPECT_EQ(rows(), "1|old 1|kept\n2|new 2|d\n3|new 3|d\n9|old 9|kept\n");
  reset();
  run_ok("import " + quote(target.uri()) + " -q --conflict replace -i " + quote(archive));
  EXPECT_EQ(rows(), "1|new 1|d\n2|new 2|d\n3|new 3|d\n9|old 9|kept\n");
  reset();
  run_ok("import " + quote(target.uri()) + " -q --conflict merge -i " + quote(archive));
  EXPECT_EQ(rows(), "1|new 1|kept\n2|new 2|d\n3|new 3|d\n9|old 9|kept\n");
  // --truncate empties the table first; --drop recreates it from the stream.
  reset();
  run_ok("import " + quote(target.uri()) + " -q --truncate -i " + quote(archive));
  EXPECT_EQ(rows(), "1|new 1|d\n2|new 2|d\n3|new 3|d\n");
  reset();
  run_ok("import " + quote(target.uri()) + " -q --drop -i " + quote(archive));
  EXPECT_EQ(target.query("SELECT * FROM t ORDER BY id"), "1|new 1\n2|new 2\n3|new 3\n");
}

TEST(PostgresRoundTrip, StagedImportPromotesVerifiedTablesAndKeepsTheOldOnes) {
  Pg source("staged_src"), target("staged_dst");
  source.exec("CREATE TABLE parent (id serial PRIMARY KEY, v numeric);"
              "CREATE TABLE child (id int PRIMARY KEY, parent int REFERENCES parent (id));"
              "INSERT INTO parent (v) SELECT i * 1.5 FROM generate_series(1, 100) i;"
              "INSERT INTO child SELECT i, i FROM generate_series(1, 100) i;");
  target.exec("CREATE TABLE parent (id serial PRIMARY KEY, v numeric);"
              "CREATE TABLE child (id int PRIMARY KEY, parent int REFERENCES parent (id));"
              "INSERT INTO parent (v) VALUES (-1), (-2); INSERT INTO child VALUES (1, 2);");
  TempDir dir;
  std::string archive = dir.path("a.ndjson");
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(archive));
  std::string before = table_contents(target);

  CommandResult dry = run_ok("import " + quote(target.uri()) + " --staged --dry-run -i " + quote(archive));
  EXPECT_NE(dry.err.find("would stage \"public\".\"parent\""), std::string::npos) << dry.err;
  EXPECT_NE(dry.err.find("would promote"), std::string::npos) << dry.err;
  EXPECT_EQ(table_contents(target), before);

  CommandResult staged = run_ok("import " + quote(target.uri()) + " --staged -i " + quote(archive));
  EXPECT_NE(staged.err.find("count and digest checked"), std::string::npos) << staged.err;
  expect_diff_equal(archive, target.uri(), "--exclude 'public._decant_*'");
  EXPECT_EQ(target.query("SELECT v FROM _decant_replaced_parent ORDER BY id"), "-1\n-2\n");
  EXPECT_EQ(target.query("SELECT nextval('parent_id_seq')"), "101\n");  // the sequence came along
  EXPECT_EQ(target.query("SELECT confrelid::regclass FROM pg_constraint WHERE conrelid = 'child'::regclass AND contype = 'f'"),
            "parent\n");
  // A second staged import refuses to overwrite what the first one kept.
  CommandResult again = decant("import " + quote(target.uri()) + " --staged -q -i " + quote(archive));
  EXPECT_EQ(again.exit_code, 4);
  EXPECT_NE(again.err.find("kept by an earlier staged import"), std::string::npos) << again.err;

  // Rolling back with the statements the import printed.
  size_t undo = staged.err.find("to undo this import, run: ");
  ASSERT_NE(undo, std::string::npos) << staged.err;
  std::string script = staged.err.substr(undo + 26, staged.err.find('\n', undo) - undo - 26);
  EXPECT_NE(script.find("OWNED BY \"public\".\"_decant_replaced_parent\".\"id\""), std::string::npos) << script;
  target.exec(script);
  EXPECT_EQ(table_contents(target), before);
  target.exec("INSERT INTO parent (v) VALUES (0); DROP TABLE child, parent;");  // the restored defaults work, nothing is left
  EXPECT_EQ(target.query("SELECT count(*) FROM pg_class WHERE relname LIKE '\\_decant%'"), "0\n");
}

TEST(PostgresRoundTrip, StagedImportThatFailsVerificationPromotesNothing) {
  Pg source("staged_bad_src"), target("staged_bad_dst");
  source.exec("CREATE TABLE t (id int PRIMARY KEY, v numeric); INSERT INTO t VALUES (1, 1.5), (2, 2);"
              "CREATE TABLE u (id int PRIMARY KEY); INSERT INTO u VALUES (1);");
  // The live table rounds: what it would hold is not what the archive has.
  target.exec("CREATE TABLE t (id int PRIMARY KEY, v numeric(10,0)); INSERT INTO t VALUES (7, 7);"
              "CREATE TABLE u (id int PRIMARY KEY); CREATE TABLE outside (u int REFERENCES u (id));");
  TempDir dir;
  std::string archive = dir.path("a.ndjson");
  run_ok("export " + quote(source.uri()) + " -q --table t -o " + quote(archive));
  std::string before = table_contents(target);
  CommandResult r = decant("import " + quote(target.uri()) + " --staged --txn stream -q -i " + quote(archive));
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("nothing was promoted"), std::string::npos) << r.err;
  EXPECT_EQ(table_contents(target), before);  // live table untouched, staging table gone
  // A table another table outside the archive references cannot be swapped.
  run_ok("export " + quote(source.uri()) + " -q --table u -o " + quote(dir.path("u.ndjson")));
  CommandResult referenced = decant("import " + quote(target.uri()) + " --staged -q -i " + quote(dir.path("u.ndjson")));
  EXPECT_EQ(referenced.exit_code, 4);
  EXPECT_NE(referenced.err.find("foreign key \"outside_u_fkey\" of outside"), std::string::npos) << referenced.err;
  EXPECT_EQ(table_contents(target), before);
}

TEST(PostgresRoundTrip, HostileIdentifiersRoundTrip) {
  Pg source("hostile_src"), target("hostile_dst");
  source.exec(R"sql(
    CREATE SCHEMA "My ""Schema""; x";
    CREATE TYPE "My ""Schema""; x"."Mood; DROP" AS ENUM ('it''s', 'a "b"');
    CREATE TABLE bait (id int);
    CREATE TABLE "My ""Schema""; x"."Tab ""1""; DROP TABLE bait;--" (
      "Id ""q""" serial PRIMARY KEY, "Space Col" text UNIQUE, "semi;colon" "My ""Schema""; x"."Mood; DROP",
      "UPPER" int CHECK ("UPPER" > 0));
    CREATE INDEX "idx ""a""; b" ON "My ""Schema""; x"."Tab ""1""; DROP TABLE bait;--" ("UPPER", "Space Col");
    CREATE TABLE "My ""Schema""; x"."Child" (id int PRIMARY KEY,
      parent int REFERENCES "My ""Schema""; x"."Tab ""1""; DROP TABLE bait;--" ("Id ""q"""));
    INSERT INTO "My ""Schema""; x"."Tab ""1""; DROP TABLE bait;--" ("Space Col", "semi;colon", "UPPER")
      VALUES ('a;b', 'it''s', 1), ('"quoted"', 'a "b"', 2);
    INSERT INTO "My ""Schema""; x"."Child" VALUES (1, 1), (2, 2);
  )sql");
  TempDir dir;
  std::string archive = dir.path("a.ndjson");
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(archive));
  target.exec("CREATE TABLE bait (id int);");
  run_ok("import " + quote(target.uri()) + " -q -i " + quote(archive));
  expect_diff_equal(source.uri(), target.uri());
  EXPECT_EQ(table_contents(source), table_contents(target));
  EXPECT_EQ(schema_of(source), schema_of(target));
  EXPECT_EQ(target.query("SELECT to_regclass('public.bait') IS NOT NULL"), "t\n");
}

TEST(PostgresRoundTrip, DryRunCreatesAndLoadsNothing) {
  Pg source("dry_src"), target("dry_dst");
  source.exec("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);");
  TempDir dir;
  std::string archive = dir.path("a.ndjson");
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(archive));
  CommandResult r = run_ok("import " + quote(target.uri()) + " --dry-run -i " + quote(archive));
  EXPECT_NE(r.err.find("would create table \"public\".\"t\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("would load 2 records into \"public\".\"t\""), std::string::npos) << r.err;
  EXPECT_EQ(target.query("SELECT to_regclass('public.t') IS NULL"), "t\n");
}

TEST(PostgresRoundTrip, PasswordReachesNeitherArchiveNorMessages) {
  Pg source("secret_src");
  source.exec("CREATE TABLE t (id int); INSERT INTO t VALUES (1);");
  // The test cluster trusts every connection, so any password is accepted and must stay hidden.
  std::string uri = source.uri();
  uri.replace(uri.find("postgres@"), 9, "postgres:s3cr3t-pw@");
  TempDir dir;
  CommandResult r = run_ok("export " + quote(uri) + " -o " + quote(dir.path("a.ndjson")));
  std::ifstream in(dir.path("a.ndjson"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(r.err.find("s3cr3t"), std::string::npos) << r.err;
  CommandResult bad = decant("export " + quote(uri.substr(0, uri.rfind('/')) + "/no_such_db") + " -o -");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_EQ(bad.err.find("s3cr3t"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace decant::test
