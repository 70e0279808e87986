// Running the decant binary and inspecting SQLite files from round-trip tests.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <vector>

namespace decant::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `command` through /bin/sh with stdout and stderr captured separately.
CommandResult run_shell(const std::string& command);
// Runs the decant binary with `args` (already shell-quoted where needed).
CommandResult decant(const std::string& args);
std::string quote(const std::string& s);

class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

// Every table's rows as text lines "typeof|hex" per cell, ordered by rowid or primary key, plus
// the schema objects: a faithful, storage-class-exact picture of a database for comparison.
std::vector<std::string> dump_database(const std::string& path);

// A setting of a running throwaway server (tools/servers/SERVER.sh), read from its env file,
// e.g. server_env("redis", "DECANT_TEST_REDIS_URL"). Fails the test when the server is not up.
std::string server_env(const std::string& server, const std::string& key);
void exec_sql(const std::string& path, const std::string& sql);
std::string query_one(const std::string& path, const std::string& sql);

}  // namespace decant::test
