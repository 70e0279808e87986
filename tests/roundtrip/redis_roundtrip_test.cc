// Redis through the decant binary against the throwaway server of tools/servers/redis.sh.
// Every test works in databases of its own (tests run in parallel on one server). Contents
// are checked two ways: `decant diff`, and fingerprints read with plain Redis commands, so a
// mistake in decant's own reading cannot hide itself.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "backends/redis_client.h"
#include "harness.h"

namespace decant::test {
namespace {

std::string base_url() {
  std::string url = server_env("redis", "DECANT_TEST_REDIS_URL");  // redis://127.0.0.1:PORT/0
  return url.substr(0, url.rfind('/'));
}
std::string url(int db) { return base_url() + "/" + std::to_string(db); }

// A connection to one database, for setting up data and reading it back independently.
class Redis {
 public:
  explicit Redis(int db) {
    Result<RedisLocation> location = parse_redis_uri(url(db));
    EXPECT_TRUE(location) << location.status().message();
    Result<std::unique_ptr<RedisConnection>> c = RedisConnection::open(*location, Side::kTarget);
    EXPECT_TRUE(c) << c.status().message();
    if (c) connection_ = std::move(c.value());
    if (connection_) {
      EXPECT_TRUE(connection_->select(db));
    }
  }
  RedisReply cmd(std::initializer_list<std::string_view> args) {
    Result<RedisReply> r = connection_->call(args);
    EXPECT_TRUE(r) << r.status().message();
    return r ? std::move(r.value()) : nullptr;
  }
  long long integer(std::initializer_list<std::string_view> args) {
    RedisReply r = cmd(args);
    return r ? r->integer : -1000;
  }
  std::string text(std::initializer_list<std::string_view> args) {
    RedisReply r = cmd(args);
    return std::string(reply_bytes(r.get()));
  }
  void flush() { cmd({"FLUSHDB"}); }

 private:
  std::unique_ptr<RedisConnection> connection_;
};

// Length-prefixed, so that no content can be mistaken for a separator.
void flatten(const redisReply* r, std::string& out, bool sort_pairs = false, bool sort_items = false) {
  if (!r) return;
  switch (r->type) {
    case REDIS_REPLY_INTEGER: out += "i" + std::to_string(r->integer) + ";"; return;
    case REDIS_REPLY_NIL: out += "nil;"; return;
    case REDIS_REPLY_ARRAY: {
      std::vector<std::string> parts;
      size_t step = sort_pairs ? 2 : 1;
      for (size_t i = 0; i < r->elements; i += step) {
        std::string part;
        for (size_t j = i; j < i + step && j < r->elements; ++j) flatten(r->element[j], part);
        parts.push_back(part);
      }
      if (sort_pairs || sort_items) std::sort(parts.begin(), parts.end());
      out += "[" + std::to_string(parts.size());
      for (const std::string& p : parts) out += p;
      out += "]";
      return;
    }
    default: out += std::to_string(r->len) + ":" + std::string(reply_bytes(r)) + ";";
  }
}

// Everything about a key that decant carries in values mode, read with plain commands.
std::string fingerprint(Redis& redis, const std::string& key) {
  std::string type = redis.text({"TYPE", key});
  std::string out = type + " expire " + std::to_string(redis.integer({"PEXPIRETIME", key})) + " ";
  if (type == "string") flatten(redis.cmd({"GET", key}).get(), out);
  if (type == "hash") flatten(redis.cmd({"HGETALL", key}).get(), out, true);
  if (type == "list") flatten(redis.cmd({"LRANGE", key, "0", "-1"}).get(), out);
  if (type == "set") flatten(redis.cmd({"SMEMBERS", key}).get(), out, false, true);
  if (type == "zset") flatten(redis.cmd({"ZRANGE", key, "0", "-1", "WITHSCORES"}).get(), out);
  if (type == "stream") {
    flatten(redis.cmd({"XRANGE", key, "-", "+"}).get(), out);
    RedisReply info = redis.cmd({"XINFO", "STREAM", key});
    for (size_t i = 0; info && i + 1 < info->elements; i += 2) {
      std::string name(reply_bytes(info->element[i]));
      if (name == "length" || name == "last-generated-id" || name == "max-deleted-entry-id" || name == "entries-added") {
        out += name + "=";
        flatten(info->element[i + 1], out);
      }
    }
    RedisReply groups = redis.cmd({"XINFO", "GROUPS", key});
    for (size_t g = 0; groups && g < groups->elements; ++g) {
      const redisReply* group = groups->element[g];
      for (size_t i = 0; i + 1 < group->elements; i += 2) {
        std::string name(reply_bytes(group->element[i]));
        if (name == "name" || name == "last-delivered-id" || name == "entries-read") {
          out += name + "=";
          flatten(group->element[i + 1], out);
        }
      }
    }
  }
  return out;
}

std::vector<std::string> keys_of(Redis& redis) {
  RedisReply all = redis.cmd({"KEYS", "*"});
  std::vector<std::string> keys;
  for (size_t i = 0; all && i < all->elements; ++i) keys.emplace_back(reply_bytes(all->element[i]));
  std::sort(keys.begin(), keys.end());
  return keys;
}

// Same keys with the same contents, expiries to the millisecond.
void expect_same_keys(Redis& a, Redis& b) {
  std::vector<std::string> ka = keys_of(a), kb = keys_of(b);
  ASSERT_EQ(ka, kb);
  ASSERT_FALSE(ka.empty());
  for (const std::string& key : ka) EXPECT_EQ(fingerprint(a, key), fingerprint(b, key)) << describe_key(key);
}

void expect_diff_equal(int db_a, int db_b) {
  std::string rename = "db" + std::to_string(db_b) + "=db" + std::to_string(db_a);
  CommandResult r = decant("diff " + quote(url(db_a)) + " " + quote(url(db_b)) + " --rename-stream " + rename);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("equal: 1 streams"), std::string::npos) << r.out;
}

CommandResult run_ok(const std::string& args) {
  CommandResult r = decant(args);
  EXPECT_EQ(r.exit_code, 0) << "decant " << args << "\n" << r.out << r.err;
  return r;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Every type, binary keys and values, empty values, expiries, stream ids, groups and deleted
// entries, and keys large enough to be carried as several pages (> 1000 members, > 16 MiB).
void fill_every_type(Redis& r) {
  r.flush();
  r.cmd({"SET", "str", "hello"});
  r.cmd({"PEXPIRE", "str", "3600000"});
  r.cmd({"SET", "empty", ""});
  r.cmd({"SET", "unicode", "na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89"});
  r.cmd({"SET", std::string_view("\xff\x00k", 3), std::string_view("\x00\x01\xfe", 3)});
  r.cmd({"SET", "looks like a tag", "{\"$numberLong\":\"1\"}"});
  r.cmd({"HSET", "h", "b", "2", "a", "1", "", ""});
  r.cmd({"PEXPIREAT", "h", "4102444800123"});  // 2100-01-01, to the millisecond
  r.cmd({"HSET", "h$", "$set", "x"});          // a document of one "$" field ($literal)
  r.cmd({"HSET", "hbin", "\xff", std::string_view("\x00", 1), "plain", "v"});
  r.cmd({"RPUSH", "l", "x", "", "x", "\xfe"});
  r.cmd({"SADD", "s", "", "b", "a", "\xff"});
  r.cmd({"ZADD", "z", "-inf", "low", "0", "zero", "1.5", "half", "3", "three", "1e300", "huge", "9007199254740993",
         "big", "0.1", "tenth", "inf", "high"});
  r.cmd({"XADD", "x", "1-1", "temp", "20", "hum", "30"});
  r.cmd({"XADD", "x", "1-2", "dup", "1", "dup", "2"});
  r.cmd({"XADD", "x", "5-0", "\xff", "bin"});
  r.cmd({"XADD", "x", "6-0", "gone", "soon"});
  r.cmd({"XDEL", "x", "6-0"});
  r.cmd({"XGROUP", "CREATE", "x", "readers", "1-2", "ENTRIESREAD", "2"});
  r.cmd({"XGROUP", "CREATE", "x", "late", "0"});
  r.cmd({"XGROUP", "CREATE", "xempty", "g", "$", "MKSTREAM"});
  r.cmd({"EVAL",
         "for i=1,3000 do redis.call('HSET', KEYS[1], 'f'..i, 'v'..i) end "
         "for i=1,2500 do redis.call('SADD', KEYS[2], 'm'..i) redis.call('RPUSH', KEYS[3], 'e'..i) "
         "redis.call('ZADD', KEYS[4], i % 7, 'm'..i) redis.call('XADD', KEYS[5], i..'-1', 'n', i) end "
         "redis.call('SET', KEYS[6], string.rep('0123456789abcdef', 1100000)) return 1",
         "6", "hbig", "sbig", "lbig", "zbig", "xbig", "sbig-string"});
  r.cmd({"SADD", "sbig", "\xff\xfe"});
}

TEST(RedisRoundTrip, EveryTypeThroughAnArchive) {
  Redis a(1), b(2);
  fill_every_type(a);
  b.flush();
  TempDir dir;
  std::string archive = dir.path("every.ndjson");
  run_ok("export " + quote(url(1)) + " -o " + quote(archive));
  run_ok("verify " + quote(archive));
  CommandResult im = run_ok("import " + quote(url(2)) + " -i " + quote(archive));
  EXPECT_NE(im.err.find("txn batch"), std::string::npos) << im.err;
  expect_same_keys(a, b);
  expect_diff_equal(1, 2);
  // The archive against the copy too: the same records come back out.
  CommandResult d = decant("diff " + quote(archive) + " " + quote(url(2)) + " --rename-stream db2=db1");
  EXPECT_EQ(d.exit_code, 0) << d.out << d.err;

  // Expiry: the absolute time is exact; the remaining TTLs agree within 2 s (the time the
  // export and import took, and the two PTTL calls).
  EXPECT_EQ(b.integer({"PEXPIRETIME", "h"}), 4102444800123);
  EXPECT_NEAR(static_cast<double>(a.integer({"PTTL", "str"})), static_cast<double>(b.integer({"PTTL", "str"})), 2000);
  EXPECT_GT(b.integer({"PTTL", "str"}), 3600000 - 60000);
  EXPECT_EQ(b.integer({"PTTL", "empty"}), -1);

  // Record shapes of SPEC 11.3.2.
  std::string text = slurp(archive);
  auto has = [&](const std::string& s) { EXPECT_NE(text.find(s), std::string::npos) << s; };
  has(R"("key":"h","type":"hash","value":{"":"","a":"1","b":"2"},"expire_at":4102444800123,"page":0)");
  has(R"("key":"h$","type":"hash","value":{"$literal":{"$set":"x"}})");
  has(R"("key":"hbin","type":"hash","value":[["plain","v"],[{"$binary":{"base64":"/w==","subType":"00"}},"\u0000"]])");
  has(R"("key":{"$binary":{"base64":"/wBr","subType":"00"}},"type":"string","value":{"$binary":{"base64":"AAH+","subType":"00"}})");
  has(R"("value":[["low",{"$numberDouble":"-Infinity"}],["zero",0],["tenth",0.1],["half",1.5],["three",3],["big",{"$numberDouble":"9007199254740992.0"}],["huge",{"$numberDouble":"1e+300"}],["high",{"$numberDouble":"Infinity"}]])");
  has(R"({"id":"1-2","fields":[["dup","1"],["dup","2"]]})");
  has(R"("last_id":"6-0","entries_added":4,"max_deleted_id":"6-0","groups":[{"name":"late","last_delivered_id":"0-0","entries_read":null},{"name":"readers","last_delivered_id":"1-2","entries_read":2}])");
  has(R"("key":"xempty","type":"stream","value":{"entries":[],"last_id":"0-0")");
  has(R"("key":"hbig","type":"hash","value":{"f1":"v1","f10":"v10","f100":"v100","f1000":"v1000")");
  // Keys beyond 1000 members or 16 MiB are carried as pages 0, 1, 2.
  auto records_of = [&](const std::string& key) {
    size_t n = 0;
    for (size_t at = text.find("\"key\":\"" + key + "\",\"type\""); at != std::string::npos;
         at = text.find("\"key\":\"" + key + "\",\"type\"", at + 1))
      ++n;
    return n;
  };
  for (const char* key : {"hbig", "sbig", "lbig", "zbig", "xbig"}) EXPECT_EQ(records_of(key), 3u) << key;
  EXPECT_EQ(records_of("sbig-string"), 2u);
  EXPECT_EQ(records_of("h"), 1u);
}

}  // namespace
}  // namespace decant::test
