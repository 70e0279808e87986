// The Redis helpers that need no server: location URIs, Redis glob patterns, byte strings as
// values, the wire format of commands.
#include <gtest/gtest.h>

#include <cstdlib>

#include "backends/redis_client.h"
#include "format/uri.h"

namespace decant {
namespace {

TEST(RedisUri, ReadsHostPortDatabaseAndCredentials) {
  Result<RedisLocation> l = parse_redis_uri("redis://app:s%40cret@db.example:6380/3");
  ASSERT_TRUE(l) << l.status().message();
  EXPECT_EQ(l->host, "db.example");
  EXPECT_EQ(l->port, 6380);
  EXPECT_EQ(l->db, 3);
  EXPECT_EQ(l->user, "app");
  EXPECT_EQ(l->password, "s@cret");
}

TEST(RedisUri, DefaultsAndPasswordFromTheEnvironment) {
  setenv("REDISCLI_AUTH", "from-env", 1);
  Result<RedisLocation> l = parse_redis_uri("redis://");
  unsetenv("REDISCLI_AUTH");
  ASSERT_TRUE(l) << l.status().message();
  EXPECT_EQ(l->host, "127.0.0.1");
  EXPECT_EQ(l->port, 6379);
  EXPECT_EQ(l->db, -1);
  EXPECT_EQ(l->password, "from-env");
}

TEST(RedisUri, RefusesWhatItCannotServeWithoutShowingThePassword) {
  for (const char* bad : {"redis://h:0/1", "redis://h:port/1", "redis://h/x", "redis://h/-1", "redis://h/0?db=2",
                          "rediss://u:topsecret@h/0", "redis:h", "redis://u:%zz@h/0"}) {
    Result<RedisLocation> l = parse_redis_uri(bad);
    ASSERT_FALSE(l) << bad;
    EXPECT_EQ(l.status().side(), Side::kUsage) << bad;
    EXPECT_EQ(l.status().message().find("topsecret"), std::string::npos) << l.status().message();
  }
}

TEST(RedisUri, RedactedLocationHasNoPassword) {
  EXPECT_EQ(redact_uri("redis://app:topsecret@h:6380/2"), "redis://app@h:6380/2");
  EXPECT_EQ(redact_uri("redis://:topsecret@h/0"), "redis://@h/0");
}

TEST(RedisGlob, MatchesAsScanMatchDoes) {
  EXPECT_TRUE(redis_glob_match("*", ""));
  EXPECT_TRUE(redis_glob_match("tenantA:*", "tenantA:user:1"));
  EXPECT_FALSE(redis_glob_match("tenantA:*", "tenantB:user:1"));
  EXPECT_TRUE(redis_glob_match("h?llo", "hello"));
  EXPECT_FALSE(redis_glob_match("h?llo", "hllo"));
  EXPECT_TRUE(redis_glob_match("h[ae]llo", "hallo"));
  EXPECT_FALSE(redis_glob_match("h[^e]llo", "hello"));
  EXPECT_TRUE(redis_glob_match("h[a-c]llo", "hbllo"));
  EXPECT_TRUE(redis_glob_match("h[c-a]llo", "hbllo"));  // a reversed range, as Redis takes it
  EXPECT_TRUE(redis_glob_match("a\\*b", "a*b"));
  EXPECT_FALSE(redis_glob_match("a\\*b", "axb"));
  EXPECT_TRUE(redis_glob_match("*a*b*c", "xxaxxbxxc"));
  EXPECT_FALSE(redis_glob_match("*a*b*c", "xxaxxcxxb"));
  EXPECT_TRUE(redis_glob_match(std::string_view("k\0*", 3), std::string_view("k\0\xff", 3)));
}

TEST(RedisGlob, EscapedLiteralMatchesOnlyItself) {
  std::string literal = "we[ir]d*key?\\^-";
  std::string pattern = redis_glob_escape(literal);
  EXPECT_TRUE(redis_glob_match(pattern, literal));
  EXPECT_FALSE(redis_glob_match(pattern, "weid*key?\\^-"));
  EXPECT_TRUE(redis_glob_match(pattern + "*", literal + ":1"));
}

TEST(RedisValues, ByteStringsAreTextOnlyWhenValidUtf8) {
  Value v;
  set_byte_string(v, "caf\xc3\xa9");
  EXPECT_EQ(v.kind, Kind::kText);
  set_byte_string(v, std::string_view("\xff\x00", 2));
  EXPECT_EQ(v.kind, Kind::kBytes);
  EXPECT_EQ(v.text, std::string("\xff\x00", 2));
  set_byte_string(v, "");
  EXPECT_EQ(v.kind, Kind::kText);

  std::string out;
  EXPECT_TRUE(byte_string_of(Value::of_int(-42), out));
  EXPECT_EQ(out, "-42");
  EXPECT_TRUE(byte_string_of(Value::of_double(0.1), out));
  EXPECT_EQ(out, "0.1");
  EXPECT_TRUE(byte_string_of(Value::with_text(Kind::kRawText, "\xe9"), out));
  EXPECT_EQ(out, "\xe9");
  EXPECT_FALSE(byte_string_of(Value::null(), out));
}

TEST(RedisValues, KeysInMessagesArePrintable) {
  EXPECT_EQ(describe_key(std::string_view("a\"b\n\xff", 5)), "\"a\\\"b\\x0a\\xff\"");
  EXPECT_EQ(describe_key(std::string(100, 'k')).size(), 80u + 5u);
}

TEST(RespBuffer, WritesBulkStringArrays) {
  RespBuffer b;
  b.command({"SET", "k", std::string_view("v\0", 2)});
  b.begin(2);
  b.arg("PEXPIREAT");
  b.arg(int64_t{-7});
  static const char kWire[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv\0\r\n*2\r\n$9\r\nPEXPIREAT\r\n$2\r\n-7\r\n";
  EXPECT_EQ(b.data(), std::string(kWire, sizeof kWire - 1));
  EXPECT_EQ(b.commands(), 2u);
}

TEST(RedisKeyspace, ColumnsAreTheRecordFields) {
  std::vector<std::string> names;
  for (const Column& c : redis_keyspace_columns(false)) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"key", "type", "value", "expire_at", "page"}));
  names.clear();
  for (const Column& c : redis_keyspace_columns(true)) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"key", "type", "dump", "expire_at"}));
}

}  // namespace
}  // namespace decant
