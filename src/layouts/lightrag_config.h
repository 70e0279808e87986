// Where a LightRAG deployment keeps its data, read the way LightRAG itself reads it: process
// environment first, then `.env` (LightRAG loads it with override=False, so the environment
// wins), then `config.ini`, then LightRAG's defaults. `decant migrate` offers these stores.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "format/status.h"

namespace decant::lightrag {

// An INI file as Python's configparser reads LightRAG's config.ini: [section], `key = value` or
// `key: value`, '#' and ';' comment lines; section and key names are case-insensitive.
class IniFile {
 public:
  static Result<IniFile> parse(const std::string& text, const std::string& name);
  std::optional<std::string> get(const std::string& section, const std::string& key) const;
  bool has_section(const std::string& section) const;

 private:
  std::map<std::string, std::map<std::string, std::string>> sections_;
};

// `.env` lines: KEY=VALUE, optional `export `, values optionally in single or double quotes,
// '#' comments. Fails on a line that is none of these, naming the file and line.
Result<std::map<std::string, std::string>> parse_dotenv(const std::string& text, const std::string& name);

// One store a LightRAG deployment is configured to use.
struct ConfiguredStore {
  std::string name;     // "json", "redis", "postgres", "mongo": what --from / --to accept
  std::string uri;      // may hold a password: show only redact_uri(uri)
  std::string origin;   // where the setting came from: "REDIS_URI", "config.ini [redis]", "default"
  // The workspace LightRAG uses in this store when its own variable sets one (REDIS_WORKSPACE,
  // POSTGRES_WORKSPACE, MONGODB_WORKSPACE, or WORKSPACE for the working directory).
  std::optional<std::string> workspace;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The stores LightRAG would use: the working directory always (WORKING_DIR, default
// ./rag_storage), and Redis, PostgreSQL and MongoDB when a variable or config.ini section names
// them. Nothing is contacted.
std::vector<ConfiguredStore> configured_stores(const EnvLookup& env, const IniFile& ini);

}  // namespace decant::lightrag
