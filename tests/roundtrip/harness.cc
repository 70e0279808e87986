#include "harness.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace decant::test {

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

CommandResult run_shell(const std::string& command) {
  static int counter = 0;
  std::string base = std::filesystem::temp_directory_path() / ("decant-cmd-" + std::to_string(getpid()) + "-" +
                                                               std::to_string(counter++));
  std::string full = "(" + command + ") >" + base + ".out 2>" + base + ".err </dev/null";
  int status = std::system(full.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  auto slurp = [](const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  std::filesystem::remove(base + ".out");
  std::filesystem::remove(base + ".err");
  return r;
}

std::string server_env(const std::string& server, const std::string& key) {
  std::string path = std::string(DECANT_SERVERS_DIR) + "/" + server + "/env";
  std::ifstream env(path);
  // Lines are `export KEY='value'`, as tools/servers/lib.bash writes them.
  std::string prefix = "export " + key + "='";
  for (std::string line; std::getline(env, line);)
    if (line.rfind(prefix, 0) == 0 && line.size() > prefix.size() && line.back() == '\'')
      return line.substr(prefix.size(), line.size() - prefix.size() - 1);
  ADD_FAILURE() << key << " not found in " << path << ": is the " << server << " server running?";
  return "";
}

CommandResult decant(const std::string& args) { return run_shell(std::string(DECANT_BINARY) + " " + args); }

TempDir::TempDir() {
  std::random_device rd;
  dir_ = std::filesystem::temp_directory_path() / ("decant-test-" + std::to_string(rd()));
  std::filesystem::create_directories(dir_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

namespace {

struct Db {
  sqlite3* db = nullptr;
  explicit Db(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK)
      ADD_FAILURE() << "cannot open " << path;
  }
  ~Db() { sqlite3_close(db); }
};

std::vector<std::vector<std::string>> rows(sqlite3* db, const std::string& sql) {
  std::vector<std::vector<std::string>> out;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    return out;
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const unsigned char* t = sqlite3_column_text(stmt, i);
      row.push_back(t ? reinterpret_cast<const char*>(t) : "<null>");
    }
    out.push_back(row);
  }
  sqlite3_finalize(stmt);
  return out;
}

std::string ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::vector<std::string> dump_database(const std::string& path) {
  Db db(path);
  std::vector<std::string> out;
  for (const auto& t : rows(db.db, "SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")) {
    const std::string& table = t[0];
    std::string cells;
    std::vector<std::string> columns;
    for (const auto& c : rows(db.db, "SELECT name, type, \"notnull\", pk FROM pragma_table_info(" + ident(table) + ")")) {
      columns.push_back(c[0]);
      out.push_back("column " + table + "." + c[0] + " " + c[1] + " notnull=" + c[2] + " pk=" + c[3]);
    }
    for (const auto& i : rows(db.db, "SELECT name, \"unique\", origin FROM pragma_index_list(" + ident(table) + ") ORDER BY name"))
      out.push_back("index " + table + "." + (i[2] == "c" ? i[0] : "<auto>") + " unique=" + i[1] + " origin=" + i[2]);
    std::string select;
    for (const std::string& c : columns)
      select += (select.empty() ? "" : " || ',' || ") + std::string("typeof(") + ident(c) + ") || ':' || hex(" + ident(c) + ")";
    std::vector<std::string> data;
    for (const auto& r : rows(db.db, "SELECT " + select + " FROM " + ident(table))) data.push_back("row " + table + " " + r[0]);
    std::sort(data.begin(), data.end());
    out.insert(out.end(), data.begin(), data.end());
  }
  return out;
}

void exec_sql(const std::string& path, const std::string& sql) {
  Db db(path);
  char* error = nullptr;
  if (sqlite3_exec(db.db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << (error ? error : "?");
    sqlite3_free(error);
  }
}

std::string query_one(const std::string& path, const std::string& sql) {
  Db db(path);
  auto r = rows(db.db, sql);
  return r.empty() || r[0].empty() ? "" : r[0][0];
}

}  // namespace decant::test
