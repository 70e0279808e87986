#include <gtest/gtest.h>

#include <map>

#include "layouts/lightrag_config.h"

namespace decant::lightrag {
namespace {

EnvLookup env_of(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

IniFile ini_of(const std::string& text) {
  Result<IniFile> ini = IniFile::parse(text, "config.ini");
  EXPECT_TRUE(ini) << ini.status().message();
  return ini ? *ini : IniFile();
}

const ConfiguredStore* find(const std::vector<ConfiguredStore>& stores, const std::string& name) {
  for (const ConfiguredStore& s : stores)
    if (s.name == name) return &s;
  return nullptr;
}

TEST(LightragConfig, IniReadsLikeConfigparser) {
  IniFile ini = ini_of("# comment\n[Redis]\nURI = redis://h:1/2\n; other\n[postgres]\nhost: db.local\nport=6543\n");
  EXPECT_EQ(ini.get("redis", "uri"), "redis://h:1/2");
  EXPECT_EQ(ini.get("POSTGRES", "Host"), "db.local");
  EXPECT_EQ(ini.get("postgres", "port"), "6543");
  EXPECT_FALSE(ini.get("postgres", "user"));
  EXPECT_FALSE(ini.has_section("mongodb"));
}

TEST(LightragConfig, MalformedIniAndDotenvNameTheLine) {
  Result<IniFile> ini = IniFile::parse("[redis]\nuri\n", "config.ini");
  ASSERT_FALSE(ini);
  EXPECT_EQ(ini.status().message().rfind("config.ini:2: ", 0), 0u) << ini.status().message();
  EXPECT_FALSE(IniFile::parse("uri = x\n", "config.ini"));  // a key before any section
  Result<std::map<std::string, std::string>> env = parse_dotenv("A=1\n\nB\n", ".env");
  ASSERT_FALSE(env);
  EXPECT_EQ(env.status().message().rfind(".env:3: ", 0), 0u) << env.status().message();
  EXPECT_FALSE(parse_dotenv("A=\"open\n", ".env"));
}

TEST(LightragConfig, DotenvQuotesExportAndComments) {
  Result<std::map<std::string, std::string>> env =
      parse_dotenv("export A=1\nB = \"two words # kept\"\nC='x=y'\nD=plain # comment\nE=\n", ".env");
  ASSERT_TRUE(env) << env.status().message();
  EXPECT_EQ((*env)["A"], "1");
  EXPECT_EQ((*env)["B"], "two words # kept");
  EXPECT_EQ((*env)["C"], "x=y");
  EXPECT_EQ((*env)["D"], "plain");
  EXPECT_EQ((*env)["E"], "");
}

TEST(LightragConfig, OnlyTheWorkingDirectoryWhenNothingElseIsConfigured) {
  std::vector<ConfiguredStore> stores = configured_stores(env_of({}), IniFile());
  ASSERT_EQ(stores.size(), 1u);
  EXPECT_EQ(stores[0].name, "json");
  EXPECT_EQ(stores[0].uri, "lightrag:./rag_storage");
  EXPECT_EQ(stores[0].origin, "default");
  EXPECT_FALSE(stores[0].workspace);
}

TEST(LightragConfig, VariablesWinOverConfigIni) {
  IniFile ini = ini_of("[redis]\nuri = redis://ini:1\n[mongodb]\nuri = mongodb://ini:2/\n");
  std::vector<ConfiguredStore> stores =
      configured_stores(env_of({{"REDIS_URI", "redis://env:3/4"}, {"REDIS_WORKSPACE", "ws"}, {"WORKING_DIR", "/data/rag"}}), ini);
  const ConfiguredStore* redis = find(stores, "redis");
  ASSERT_TRUE(redis);
  EXPECT_EQ(redis->uri, "redis://env:3/4");
  EXPECT_EQ(redis->origin, "REDIS_URI");
  EXPECT_EQ(redis->workspace, "ws");
  const ConfiguredStore* mongo = find(stores, "mongo");
  ASSERT_TRUE(mongo);
  EXPECT_EQ(mongo->uri, "mongodb://ini:2/LightRAG");  // LightRAG's default MONGO_DATABASE
  EXPECT_EQ(mongo->origin, "config.ini [mongodb]");
  EXPECT_EQ(find(stores, "json")->uri, "lightrag:/data/rag");
}

TEST(LightragConfig, PostgresUriIsPercentEncoded) {
  std::vector<ConfiguredStore> stores = configured_stores(
      env_of({{"POSTGRES_HOST", "/var/run/postgresql"}, {"POSTGRES_USER", "rag user"}, {"POSTGRES_PASSWORD", "p@ss/w:rd"},
              {"POSTGRES_DATABASE", "rag"}, {"POSTGRES_WORKSPACE", "prod"}}),
      IniFile());
  const ConfiguredStore* pg = find(stores, "postgres");
  ASSERT_TRUE(pg);
  EXPECT_EQ(pg->uri, "postgres://rag%20user:p%40ss%2Fw%3Ard@%2Fvar%2Frun%2Fpostgresql:5432/rag");
  EXPECT_EQ(pg->workspace, "prod");
  EXPECT_EQ(pg->origin, "POSTGRES_HOST");
}

TEST(LightragConfig, MongoDatabaseReplacesTheUriPathAndKeepsItsOptions) {
  auto uri_for = [](const std::string& uri, const std::string& db) {
    std::vector<ConfiguredStore> stores = configured_stores(env_of({{"MONGO_URI", uri}, {"MONGO_DATABASE", db}}), IniFile());
    return find(stores, "mongo")->uri;
  };
  EXPECT_EQ(uri_for("mongodb://u:p@h:27017/", "rag"), "mongodb://u:p@h:27017/rag");
  EXPECT_EQ(uri_for("mongodb://h", "rag"), "mongodb://h/rag");
  EXPECT_EQ(uri_for("mongodb://h/old?authSource=admin", "rag"), "mongodb://h/rag?authSource=admin");
  EXPECT_EQ(uri_for("mongodb://h?replicaSet=rs0", "rag"), "mongodb://h/rag?replicaSet=rs0");
}

}  // namespace
}  // namespace decant::lightrag
