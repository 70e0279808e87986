#include "layouts/lightrag_config.h"

#include <cctype>

namespace decant::lightrag {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

template <typename Fn>
Status for_each_line(const std::string& text, const std::string& name, Fn&& fn) {
  size_t pos = 0;
  for (int64_t number = 1; pos < text.size(); ++number) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = trim(text.substr(pos, end - pos));
    pos = end + 1;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    std::string error = fn(line);
    if (!error.empty()) return Status::usage(name + ":" + std::to_string(number) + ": " + error);
  }
  return Status::ok();
}

// libpq takes percent-encoded user, password, host and database in a URI: a password with
// '@' or '/', or a socket directory as host, then survives.
std::string percent_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// LightRAG passes MONGO_URI to the driver and picks the database by MONGO_DATABASE; decant's
// mongodb URIs carry the database as their path, so it replaces whatever path the URI had.
std::string mongo_uri_with_database(const std::string& uri, const std::string& database) {
  size_t authority = uri.find("://");
  size_t start = authority == std::string::npos ? 0 : authority + 3;
  size_t path = uri.find_first_of("/?", start);
  std::string base = uri.substr(0, path);
  std::string query;
  if (path != std::string::npos) {
    size_t q = uri.find('?', path);
    if (q != std::string::npos) query = uri.substr(q);
  }
  return base + "/" + percent_encode(database) + query;
}

}  // namespace

Result<IniFile> IniFile::parse(const std::string& text, const std::string& name) {
  IniFile ini;
  std::string section;
  Status status = for_each_line(text, name, [&](const std::string& line) -> std::string {
    if (line.front() == '[') {
      if (line.back() != ']') return "a section header must end with ']'";
      section = lower(trim(line.substr(1, line.size() - 2)));
      ini.sections_[section];
      return "";
    }
    size_t split = line.find_first_of("=:");
    if (split == std::string::npos) return "expected `key = value`, got \"" + line.substr(0, 60) + "\"";
    if (section.empty()) return "`" + trim(line.substr(0, split)) + "` comes before any [section]";
    ini.sections_[section][lower(trim(line.substr(0, split)))] = trim(line.substr(split + 1));
    return "";
  });
  if (!status) return status;
  return ini;
}

std::optional<std::string> IniFile::get(const std::string& section, const std::string& key) const {
  auto s = sections_.find(lower(section));
  if (s == sections_.end()) return std::nullopt;
  auto k = s->second.find(lower(key));
  if (k == s->second.end()) return std::nullopt;
  return k->second;
}

bool IniFile::has_section(const std::string& section) const { return sections_.count(lower(section)) > 0; }

Result<std::map<std::string, std::string>> parse_dotenv(const std::string& text, const std::string& name) {
  std::map<std::string, std::string> values;
  Status status = for_each_line(text, name, [&](const std::string& line) -> std::string {
    std::string assignment = line.rfind("export ", 0) == 0 ? trim(line.substr(7)) : line;
    size_t eq = assignment.find('=');
    if (eq == std::string::npos || eq == 0) return "expected KEY=VALUE, got \"" + line.substr(0, 60) + "\"";
    std::string key = trim(assignment.substr(0, eq));
    std::string value = trim(assignment.substr(eq + 1));
    if (!value.empty() && (value[0] == '"' || value[0] == '\'')) {
      size_t close = value.find(value[0], 1);
      if (close == std::string::npos) return "the quoted value of " + key + " is not closed";
      value = value.substr(1, close - 1);
    } else if (size_t comment = value.find(" #"); comment != std::string::npos) {
      value = trim(value.substr(0, comment));
    }
    values[key] = value;
    return "";
  });
  if (!status) return status;
  return values;
}

std::vector<ConfiguredStore> configured_stores(const EnvLookup& env, const IniFile& ini) {
  // LightRAG's order for every setting: variable, then config.ini, then its default.
  auto setting = [&](const std::string& variable, const std::string& section, const std::string& key,
                     const std::string& fallback) {
    if (std::optional<std::string> v = env(variable)) return *v;
    return ini.get(section, key).value_or(fallback);
  };
  // Where a store is configured: its first variable that is set, or its config.ini section;
  // empty when neither names it.
  auto origin_of = [&](const std::vector<std::string>& variables, const std::string& section) -> std::string {
    for (const std::string& v : variables)
      if (env(v)) return v;
    return ini.has_section(section) ? "config.ini [" + section + "]" : "";
  };

  std::vector<ConfiguredStore> stores;
  std::optional<std::string> working_dir = env("WORKING_DIR");
  stores.push_back({"json", "lightrag:" + working_dir.value_or("./rag_storage"), working_dir ? "WORKING_DIR" : "default",
                    env("WORKSPACE")});
  if (std::string origin = origin_of({"REDIS_URI"}, "redis"); !origin.empty())
    stores.push_back({"redis", setting("REDIS_URI", "redis", "uri", "redis://localhost:6379"), origin, env("REDIS_WORKSPACE")});
  if (std::string origin = origin_of({"POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_USER", "POSTGRES_DATABASE"}, "postgres");
      !origin.empty()) {
    std::string password = setting("POSTGRES_PASSWORD", "postgres", "password", "");
    std::string workspace = setting("POSTGRES_WORKSPACE", "postgres", "workspace", "");
    stores.push_back({"postgres",
                      "postgres://" + percent_encode(setting("POSTGRES_USER", "postgres", "user", "postgres")) +
                          (password.empty() ? "" : ":" + percent_encode(password)) + "@" +
                          percent_encode(setting("POSTGRES_HOST", "postgres", "host", "localhost")) + ":" +
                          setting("POSTGRES_PORT", "postgres", "port", "5432") + "/" +
                          percent_encode(setting("POSTGRES_DATABASE", "postgres", "database", "postgres")),
                      origin, workspace.empty() ? std::nullopt : std::optional<std::string>(workspace)});
  }
  if (std::string origin = origin_of({"MONGO_URI", "MONGO_DATABASE"}, "mongodb"); !origin.empty())
    stores.push_back({"mongo",
                      mongo_uri_with_database(setting("MONGO_URI", "mongodb", "uri", "mongodb://root:root@localhost:27017/"),
                                              setting("MONGO_DATABASE", "mongodb", "database", "LightRAG")),
                      origin, env("MONGODB_WORKSPACE")});
  return stores;
}

}  // namespace decant::lightrag
