// PostgreSQL round-trip helpers shared by the postgres and pgvector tests: a fresh database of a
// test server driven with psql, and direct comparisons of two databases.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "harness.h"

namespace decant::test {

// One database of a test server (`server`, whose env names its URI `prefix`_URI), made fresh
// for the test, driven with psql.
class Pg {
 public:
  explicit Pg(const std::string& name, const std::string& server = "postgres", const std::string& prefix = "DECANT_TEST_PG")
      : name_(name) {
    std::string uri = server_env(server, prefix + "_URI");  // postgres://postgres@127.0.0.1:PORT/postgres
    base_ = uri.substr(0, uri.rfind('/'));
    psql_ = "/usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1";
    admin("DROP DATABASE IF EXISTS " + ident() + " WITH (FORCE)");
    admin("CREATE DATABASE " + ident());
  }
  std::string uri() const { return base_ + "/" + name_; }
  std::string ident() const { return "\"" + name_ + "\""; }

  // Runs SQL in this database; fails the test on an error.
  void exec(const std::string& sql) const {
    TempDir dir;
    std::ofstream(dir.path("q.sql")) << sql;
    CommandResult r = run_shell(psql_ + " -d " + quote(uri()) + " -f " + quote(dir.path("q.sql")));
    ASSERT_EQ(r.exit_code, 0) << sql << "\n" << r.err;
  }
  // Unaligned rows, one per line, columns separated by '|'.
  std::string query(const std::string& sql) const {
    TempDir dir;
    std::ofstream(dir.path("q.sql")) << sql;
    CommandResult r = run_shell(psql_ + " -A -t -d " + quote(uri()) + " -f " + quote(dir.path("q.sql")));
    EXPECT_EQ(r.exit_code, 0) << sql << "\n" << r.err;
    return r.out;
  }
  void load_file(const std::string& command) const {
    CommandResult r = run_shell(command + " | " + psql_ + " -d " + quote(uri()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

 private:
  void admin(const std::string& sql) const {
    CommandResult r = run_shell(psql_ + " -d " + quote(base_ + "/postgres") + " -c " + quote(sql));
    ASSERT_EQ(r.exit_code, 0) << sql << "\n" << r.err;
  }
  std::string name_, base_, psql_;
};

inline void expect_diff_equal(const std::string& a, const std::string& b, const std::string& flags = "") {
  CommandResult r = decant("diff " + flags + " " + quote(a) + " " + quote(b));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("equal:"), std::string::npos) << r.out;
}

inline CommandResult run_ok(const std::string& args) {
  CommandResult r = decant(args);
  EXPECT_EQ(r.exit_code, 0) << "decant " << args << "\n" << r.out << r.err;
  return r;
}

// Every user table's rows as text, sorted, by psql: the direct comparison.
inline std::string table_contents(const Pg& db) {
  std::string tables = db.query(
      "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables"
      " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1");
  std::string all;
  size_t start = 0;
  while (start < tables.size()) {
    size_t end = tables.find('\n', start);
    std::string table = tables.substr(start, end - start);
    start = end == std::string::npos ? tables.size() : end + 1;
    if (table.empty()) continue;
    all += table + ":\n" + db.query("SELECT t::text FROM " + table + " t ORDER BY 1");
  }
  return all;
}

// Columns with types, nullability and defaults; constraints; indexes: the schema as psql sees it.
inline std::string schema_of(const Pg& db) {
  return db.query(
      "SELECT format('%s.%s.%s %s %s %s', table_schema, table_name, column_name, data_type, is_nullable,"
      " column_default) FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
      " ORDER BY 1") +
         db.query("SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)"
                  " FROM pg_constraint WHERE connamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema')"
                  " ORDER BY 1") +
         db.query("SELECT indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1");
}

}  // namespace decant::test
