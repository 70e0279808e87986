// pgvector columns through the decant binary against the throwaway PostgreSQL + pgvector of
// tools/servers/pgvector.sh: vector and halfvec values, arrays of them and their indexes.
#include <gtest/gtest.h>

#include <fstream>

#include "harness.h"
#include "pg_database.h"

namespace decant::test {
namespace {

Pg vector_database(const std::string& name) { return Pg(name, "pgvector", "DECANT_TEST_PGVECTOR"); }

TEST(PgvectorRoundTrip, VectorsAndHalfVectorsRoundTripExactly) {
  Pg source = vector_database("vectors_src"), target = vector_database("vectors_dst");
  source.exec(R"sql(
    CREATE TABLE emb (id text PRIMARY KEY, v vector(3), h halfvec(3), vs vector[], big vector);
    INSERT INTO emb VALUES
      ('extremes', '[0.1,-2.5,3.4028235e38]', '[0.1,65504,-0.000061035156]', ARRAY['[1,2]'::vector, NULL], NULL),
      ('tiny', '[1e-45,-0,1.17549435e-38]', '[5.96e-08,-0,1]', '{}', NULL),
      ('nulls', NULL, NULL, NULL, NULL);
    INSERT INTO emb (id, big) SELECT 'dim1536', array_agg(sin(i)::real)::vector FROM generate_series(1, 1536) i;
    CREATE INDEX emb_hnsw ON emb USING hnsw (v vector_cosine_ops);
    CREATE INDEX emb_h_hnsw ON emb USING hnsw (h halfvec_l2_ops);
  )sql");
  TempDir dir;
  std::string archive = dir.path("v.ndjson");
  run_ok("export " + quote(source.uri()) + " -q -o " + quote(archive));
  std::ifstream in(archive);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(R"("v":{"$vector":[0.1,-2.5,3.4028235e+38]})"), std::string::npos) << text.substr(0, 3000);
  EXPECT_NE(text.find(R"("h":{"$halfvec":[0.099975586,65504,-6.1035156e-05]})"), std::string::npos);
  EXPECT_NE(text.find(R"("vs":[{"$vector":[1,2]},null])"), std::string::npos);
  run_ok("import " + quote(target.uri()) + " -q -i " + quote(archive));
  expect_diff_equal(source.uri(), target.uri());
  EXPECT_EQ(table_contents(source), table_contents(target));
  EXPECT_EQ(schema_of(source), schema_of(target));
  // The exact float32 bits, not only their text.
  EXPECT_EQ(target.query("SELECT v = '[1e-45,-0,1.17549435e-38]'::vector FROM emb WHERE id = 'tiny'"), "t\n");
}

TEST(PgvectorRoundTrip, VectorColumnsFromTypesOrFromLogicalTypes) {
  Pg source = vector_database("vectors_json_src"), target = vector_database("vectors_json_dst");
  source.exec("CREATE TABLE emb (id int PRIMARY KEY, v vector(2), h halfvec(2));"
              "INSERT INTO emb VALUES (1, '[0.5,-1]', '[1,2]');");
  TempDir dir;
  // Renamed: a PostgreSQL stream keeps its declared types in another table.
  run_ok("export " + quote(source.uri()) + " -q --rename-stream public.emb=copy.emb -o " + quote(dir.path("v.ndjson")));
  run_ok("import " + quote(target.uri()) + " -q -i " + quote(dir.path("v.ndjson")));
  std::string types = "SELECT string_agg(format_type(atttypid, atttypmod), ' ' ORDER BY attnum) FROM pg_attribute"
                      " WHERE attrelid = 'copy.emb'::regclass AND attnum > 0";
  EXPECT_EQ(target.query(types), "integer vector(2) halfvec(2)\n");
  // Without the PostgreSQL options, as from another backend: the logical types decide.
  CommandResult stripped = run_shell("jq -c 'if .t == \"stream\" then .options = {} else . end' " +
                                     quote(dir.path("v.ndjson")) + " > " + quote(dir.path("plain.ndjson")));
  ASSERT_EQ(stripped.exit_code, 0) << stripped.err;
  run_ok("import " + quote(target.uri()) + " -q --drop -i " + quote(dir.path("plain.ndjson")));
  EXPECT_EQ(target.query(types), "integer vector halfvec\n");
  EXPECT_EQ(target.query("SELECT v::text || ' ' || h::text FROM copy.emb"), "[0.5,-1] [1,2]\n");
}

}  // namespace
}  // namespace decant::test
