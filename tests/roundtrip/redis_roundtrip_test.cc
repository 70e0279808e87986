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

// Runs decant with `args` and returns its exit code and peak RSS, measured from outside: the
// parent's wait4() reports the child's ru_maxrss.
struct Measured {
  int exit_code = -1;
  long peak_rss_kb = 0;
  std::string err;
};
Measured run_measured(const std::string& args, const std::string& err_path) {
  std::string command = "exec " + std::string(DECANT_BINARY) + " " + args;
  pid_t pid = fork();
  if (pid == 0) {
    int null_fd = ::open("/dev/null", O_RDWR);
    int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(err_fd, 2);
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  Measured m;
  int status = 0;
  struct rusage usage {};
  if (pid > 0 && wait4(pid, &status, 0, &usage) == pid) {
    m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    m.peak_rss_kb = usage.ru_maxrss;
  }
  m.err = slurp(err_path);
  return m;
}

// A 200,000-field hash (500-byte values) and a 1,000,000-element list (about 100-byte
// elements): about 210 MB of archive. Export and import must each stay under 100 MB of peak
// RSS, which they could not if either held a whole key (or the whole archive) in memory.
TEST(RedisRoundTrip, HugeKeysStayUnderAMemoryBound) {
  constexpr long kBoundKb = 100 * 1024;
  Redis a(3), b(4);
  a.flush();
  b.flush();
  a.cmd({"EVAL",
         "local v = string.rep('v', 500) for i = 1, 200000 do redis.call('HSET', KEYS[1], 'field:' .. i, v .. i) end "
         "local e = string.rep('e', 100) for i = 1, 1000000 do redis.call('RPUSH', KEYS[2], e .. i) end return 1",
         "2", "bighash", "biglist"});
  a.cmd({"PEXPIRE", "biglist", "86400000"});
  TempDir dir;
  std::string archive = dir.path("big.ndjson");
  Measured ex = run_measured("export " + quote(url(3)) + " -o " + quote(archive), dir.path("export.err"));
  ASSERT_EQ(ex.exit_code, 0) << ex.err;
  EXPECT_GT(std::filesystem::file_size(archive), 200u * 1000 * 1000);
  EXPECT_LT(ex.peak_rss_kb, kBoundKb) << "export peak RSS";
  EXPECT_NE(ex.err.find("1,200 records"), std::string::npos) << ex.err;  // 200 + 1000 pages

  Measured im = run_measured("import " + quote(url(4)) + " -i " + quote(archive), dir.path("import.err"));
  ASSERT_EQ(im.exit_code, 0) << im.err;
  EXPECT_LT(im.peak_rss_kb, kBoundKb) << "import peak RSS";
  std::printf("peak RSS: export %ld KB, import %ld KB\n", ex.peak_rss_kb, im.peak_rss_kb);

  EXPECT_EQ(b.integer({"HLEN", "bighash"}), 200000);
  EXPECT_EQ(b.text({"HGET", "bighash", "field:123456"}), std::string(500, 'v') + "123456");
  EXPECT_EQ(b.integer({"LLEN", "biglist"}), 1000000);
  EXPECT_EQ(b.text({"LINDEX", "biglist", "0"}), std::string(100, 'e') + "1");
  EXPECT_EQ(b.text({"LINDEX", "biglist", "-1"}), std::string(100, 'e') + "1000000");
  EXPECT_EQ(b.text({"LINDEX", "biglist", "500000"}), std::string(100, 'e') + "500001");
  EXPECT_EQ(a.integer({"PEXPIRETIME", "biglist"}), b.integer({"PEXPIRETIME", "biglist"}));
  expect_diff_equal(3, 4);
  a.flush();
  b.flush();
}

// A tenant's keys move to another name: exported by pattern, renamed on import, a dry run
// first that changes nothing, then the real import, with counts.
TEST(RedisRoundTrip, TenantMoveWithRenamedPrefix) {
  Redis a(5), b(6);
  a.flush();
  b.flush();
  a.cmd({"HSET", "tenantA:user:1", "name", "Ann", "role", "admin"});
  a.cmd({"SET", "tenantA:count", "42"});
  a.cmd({"PEXPIRE", "tenantA:count", "600000"});
  a.cmd({"RPUSH", "tenantA:queue", "j1", "j2"});
  a.cmd({"SET", "tenantC:other", "not moved"});
  b.cmd({"SET", "tenantB:keep", "already here"});
  TempDir dir;
  std::string archive = dir.path("tenantA.ndjson");
  CommandResult ex = run_ok("export " + quote(url(5)) + " --match 'tenantA:*' -o " + quote(archive));
  EXPECT_NE(ex.err.find("3 records"), std::string::npos) << ex.err;

  std::string import = "import " + quote(url(6)) + " -i " + quote(archive) + " --rename-prefix tenantA:=tenantB:";
  std::string before = fingerprint(b, "tenantB:keep");
  CommandResult dry = run_ok(import + " --dry-run --flush 6");
  EXPECT_NE(dry.err.find("would flush database 6 (1 key)"), std::string::npos) << dry.err;
  EXPECT_NE(dry.err.find("would write 3 keys"), std::string::npos) << dry.err;
  EXPECT_EQ(keys_of(b), std::vector<std::string>{"tenantB:keep"});
  EXPECT_EQ(fingerprint(b, "tenantB:keep"), before);

  CommandResult im = run_ok(import);
  EXPECT_NE(im.err.find("wrote 3 keys (3 records)"), std::string::npos) << im.err;
  EXPECT_EQ(keys_of(b), (std::vector<std::string>{"tenantB:count", "tenantB:keep", "tenantB:queue", "tenantB:user:1"}));
  for (const char* suffix : {"user:1", "count", "queue"})
    EXPECT_EQ(fingerprint(a, std::string("tenantA:") + suffix), fingerprint(b, std::string("tenantB:") + suffix));
}

// replace makes re-running an import idempotent; error refuses an existing key; skip counts.
TEST(RedisRoundTrip, ConflictPoliciesAndIdempotentReimport) {
  Redis a(7), b(8);
  fill_every_type(a);
  b.flush();
  b.cmd({"RPUSH", "str", "a list where the archive has a string"});
  b.cmd({"SADD", "s", "extra member"});
  TempDir dir;
  std::string archive = dir.path("a.ndjson");
  run_ok("export " + quote(url(7)) + " -o " + quote(archive));
  std::string import = "import " + quote(url(8)) + " -i " + quote(archive);

  CommandResult refused = decant(import);
  EXPECT_EQ(refused.exit_code, 4) << refused.err;
  EXPECT_NE(refused.err.find("already exists in database 8 (--conflict error"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("before the failure stays there"), std::string::npos) << refused.err;

  for (int run = 0; run < 2; ++run) {
    run_ok(import + " --conflict replace");
    expect_same_keys(a, b);
    expect_diff_equal(7, 8);
  }
  CommandResult skipped = run_ok(import + " --conflict skip");
  size_t keys = keys_of(a).size();
  EXPECT_NE(skipped.err.find("wrote 0 keys (0 records); skipped " + std::to_string(keys) + " existing keys"),
            std::string::npos) << skipped.err;
  expect_same_keys(a, b);
}

// Keys whose expiry has passed are skipped and counted; pages out of order, --flush without a
// matching database, --drop and a transaction mode Redis does not offer are refused.
TEST(RedisRoundTrip, ExpiredKeysAndRefusals) {
  Redis r(14);
  r.flush();
  r.cmd({"SET", "old", "x"});
  r.cmd({"PEXPIRE", "old", "600000"});
  r.cmd({"SET", "fresh", "y"});
  r.cmd({"EVAL", "for i=1,1500 do redis.call('RPUSH', KEYS[1], i) end return 1", "1", "paged"});
  TempDir dir;
  std::string archive = dir.path("a.ndjson");
  run_ok("export " + quote(url(14)) + " -o " + quote(archive));
  std::string expired = dir.path("expired.ndjson"), unordered = dir.path("unordered.ndjson");
  ASSERT_EQ(run_shell("jq -c 'if .t == \"rec\" and .r.key == \"old\" then .r.expire_at = 1000 else . end' " +
                      quote(archive) + " > " + quote(expired)).exit_code, 0);
  ASSERT_EQ(run_shell("jq -c 'select(.t != \"rec\" or .r.page != 0 or .r.key != \"paged\")' " + quote(archive) +
                      " > " + quote(unordered)).exit_code, 0);
  r.flush();
  CommandResult im = run_ok("import " + quote(url(14)) + " --transformed -i " + quote(expired));
  EXPECT_NE(im.err.find("skipped 1 key that had already expired"), std::string::npos) << im.err;
  EXPECT_EQ(keys_of(r), (std::vector<std::string>{"fresh", "paged"}));

  r.flush();
  CommandResult bad_pages = decant("import " + quote(url(14)) + " --transformed -i " + quote(unordered));
  EXPECT_EQ(bad_pages.exit_code, 4) << bad_pages.err;
  EXPECT_NE(bad_pages.err.find("key \"paged\": page 1 does not follow page 0"), std::string::npos) << bad_pages.err;

  for (const std::string& args : {"import " + quote(base_url()) + " --flush 14 -i " + quote(archive),
                                  "import " + quote(url(14)) + " --flush 13 -i " + quote(archive),
                                  "import " + quote(url(14)) + " --drop -i " + quote(archive),
                                  "import " + quote(url(14)) + " --txn single -i " + quote(archive)}) {
    r.cmd({"SET", "sentinel", "1"});
    CommandResult refused = decant(args);
    EXPECT_EQ(refused.exit_code, 2) << args << "\n" << refused.err;
    EXPECT_EQ(r.text({"GET", "sentinel"}), "1") << args;
  }
  CommandResult flushed = run_ok("import " + quote(url(14)) + " --flush 14 -i " + quote(archive));
  EXPECT_NE(flushed.err.find("flushed database 14"), std::string::npos) << flushed.err;
  EXPECT_EQ(keys_of(r), (std::vector<std::string>{"fresh", "old", "paged"}));
  EXPECT_EQ(r.integer({"LLEN", "paged"}), 1500);
}

// DUMP payloads keep what values mode does not (a group's pending entries), carry the RDB
// version, and restore with their expiry.
TEST(RedisRoundTrip, DumpModeRestoresEverything) {
  Redis a(12), b(13);
  fill_every_type(a);
  b.flush();
  a.cmd({"XREADGROUP", "GROUP", "late", "worker", "COUNT", "2", "STREAMS", "x", ">"});
  TempDir dir;
  std::string archive = dir.path("dump.ndjson");
  run_ok("export " + quote(url(12)) + " --redis-dump -o " + quote(archive));
  CommandResult header = run_shell("head -n 1 " + quote(archive) + " | jq -c .source.details");
  EXPECT_NE(header.out.find("\"rdb_version\":10"), std::string::npos) << header.out;  // Redis 7.0
  EXPECT_NE(header.out.find("\"mode\":\"dump\""), std::string::npos) << header.out;
  run_ok("import " + quote(url(13)) + " -i " + quote(archive));
  expect_same_keys(a, b);
  RedisReply pending = b.cmd({"XPENDING", "x", "late"});
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->element[0]->integer, 2);
  EXPECT_EQ(b.integer({"PEXPIRETIME", "h"}), 4102444800123);
  run_ok("import " + quote(url(13)) + " --conflict replace -i " + quote(archive));
  expect_same_keys(a, b);
}

// --split-prefix makes one stream per prefix; --match patterns export each key once; a
// password in the URI or REDISCLI_AUTH authenticates and is never written out.
TEST(RedisRoundTrip, StreamsByPrefixPatternsAndCredentials) {
  Redis r(15);
  r.flush();
  for (const char* key : {"a:1", "a:2", "b:1", "plain"}) r.cmd({"SET", key, key});
  r.cmd({"SET", "\xff:x", "non-UTF-8 prefix"});
  r.cmd({"ACL", "SETUSER", "decant_test", "on", ">topsecret", "~*", "+@all"});
  TempDir dir;
  std::string split = dir.path("split.ndjson");
  run_ok("export " + quote(url(15)) + " --split-prefix : -o " + quote(split));
  CommandResult streams = run_shell("jq -r 'select(.t == \"end\") | \"\\(.s)=\\(.count)\"' " + quote(split));
  EXPECT_EQ(streams.out, "db15=2\ndb15/a=2\ndb15/b=1\n");

  CommandResult matched = run_ok("export " + quote(url(15)) + " --match 'a:*' --match '*:1' -o -");
  CommandResult keys = run_shell("printf '%s' " + quote(matched.out) + " | jq -r 'select(.t == \"rec\") | .r.key' | sort");
  EXPECT_EQ(keys.out, "a:1\na:2\nb:1\n");

  std::string with_password = base_url().replace(0, 8, "redis://decant_test:topsecret@") + "/15";
  std::string archive = dir.path("auth.ndjson");
  CommandResult ex = run_ok("export " + quote(with_password) + " -o " + quote(archive));
  EXPECT_EQ(slurp(archive).find("topsecret"), std::string::npos);
  EXPECT_EQ(ex.err.find("topsecret"), std::string::npos) << ex.err;
  EXPECT_NE(slurp(archive).find("redis://decant_test@127.0.0.1"), std::string::npos);
  std::string user_only = base_url().replace(0, 8, "redis://decant_test@") + "/15";
  CommandResult wrong = run_shell("REDISCLI_AUTH=wrongsecret " + std::string(DECANT_BINARY) + " export " +
                                  quote(user_only) + " -o -");
  EXPECT_EQ(wrong.exit_code, 3) << wrong.err;
  EXPECT_EQ(wrong.err.find("wrongsecret"), std::string::npos) << wrong.err;
  CommandResult right = run_shell("REDISCLI_AUTH=topsecret " + std::string(DECANT_BINARY) + " import " +
                                  quote(user_only) + " --conflict replace -i " + quote(archive));
  EXPECT_EQ(right.exit_code, 0) << right.err;
  r.cmd({"ACL", "DELUSER", "decant_test"});
}

// A password in the URI reaches neither the archive nor anything decant writes about the run:
// progress lines, the summary, error messages and --report files, on success and on failure.
TEST(RedisRoundTrip, PasswordNeverInArchivesLogsOrReports) {
  Redis a(7), b(8);
  a.flush();
  b.flush();
  for (const char* key : {"k1", "k2", "k3"}) a.cmd({"SET", key, key});
  a.cmd({"ACL", "SETUSER", "decant_pw", "on", ">s3cret-pw", "~*", "+@all"});
  TempDir dir;
  auto with = [](const std::string& password, int db) {
    return base_url().replace(0, 8, "redis://decant_pw:" + password + "@") + "/" + std::to_string(db);
  };
  std::string archive = dir.path("a.ndjson"), shown_target = base_url().replace(0, 8, "redis://decant_pw@") + "/8";
  auto expect_no_password = [](const std::string& text, const std::string& password, const std::string& what) {
    EXPECT_EQ(text.find(password), std::string::npos) << what << ": " << text;
  };

  CommandResult ex = run_ok("export " + quote(with("s3cret-pw", 7)) + " -o " + quote(archive) +
                            " --progress json --progress-interval 0 --report " + quote(dir.path("export.json")));
  expect_no_password(slurp(archive), "s3cret-pw", "archive");
  expect_no_password(ex.err, "s3cret-pw", "export stderr");
  expect_no_password(slurp(dir.path("export.json")), "s3cret-pw", "export report");

  CommandResult im = run_ok("import " + quote(with("s3cret-pw", 8)) + " -i " + quote(archive) +
                            " --progress json --progress-interval 0 --report " + quote(dir.path("import.json")));
  expect_no_password(im.err, "s3cret-pw", "import stderr");
  std::string report = slurp(dir.path("import.json"));
  expect_no_password(report, "s3cret-pw", "import report");
  EXPECT_NE(report.find("\"target\": \"" + shown_target + "\""), std::string::npos) << report;

  // The keys exist now: a second import fails, and says so without the password.
  CommandResult again = decant("import " + quote(with("s3cret-pw", 8)) + " -i " + quote(archive) + " --report " +
                               quote(dir.path("failed.json")));
  EXPECT_EQ(again.exit_code, 4) << again.err;
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  expect_no_password(again.err, "s3cret-pw", "failed import stderr");
  expect_no_password(slurp(dir.path("failed.json")), "s3cret-pw", "failed import report");

  // A wrong password is not echoed either.
  CommandResult wrong = decant("import " + quote(with("wr0ng-pw", 8)) + " -i " + quote(archive) + " --report " +
                               quote(dir.path("wrong.json")));
  EXPECT_EQ(wrong.exit_code, 4) << wrong.err;
  expect_no_password(wrong.err, "wr0ng-pw", "wrong password stderr");
  std::string wrong_report = slurp(dir.path("wrong.json"));
  expect_no_password(wrong_report, "wr0ng-pw", "wrong password report");
  EXPECT_NE(wrong_report.find("\"ok\": false"), std::string::npos) << wrong_report;
  a.cmd({"ACL", "DELUSER", "decant_pw"});
}

// SPEC 11.0: a keyspace lands in SQLite as one row per key (or page) with the value as JSON
// text, and that table comes back into Redis as the original keys.
TEST(RedisCrossBackend, RedisToSqliteAndBack) {
  Redis a(9), b(10);
  fill_every_type(a);
  b.flush();
  TempDir dir;
  std::string db = dir.path("keys.db");
  run_ok("export " + quote(url(9)) + " -o " + quote(dir.path("a.ndjson")));
  run_ok("import " + quote("sqlite:" + db) + " -i " + quote(dir.path("a.ndjson")));
  EXPECT_EQ(query_one(db, "SELECT group_concat(name || ':' || pk, ',') FROM pragma_table_info('db9')"),
            "key:1,type:0,value:0,expire_at:0,page:2");
  EXPECT_EQ(query_one(db, "SELECT value FROM db9 WHERE key = 'h'"), R"({"":"","a":"1","b":"2"})");
  EXPECT_EQ(query_one(db, "SELECT expire_at FROM db9 WHERE key = 'h'"), "4102444800123");
  EXPECT_EQ(query_one(db, "SELECT count(*) FROM db9 WHERE key = 'hbig'"), "3");
  EXPECT_EQ(query_one(db, "SELECT typeof(key) || typeof(value) FROM db9 WHERE type = 'string' AND key > 'z'"), "blobblob");
  run_ok("export " + quote("sqlite:" + db) + " -o " + quote(dir.path("b.ndjson")));
  run_ok("import " + quote(url(10)) + " -i " + quote(dir.path("b.ndjson")));
  expect_same_keys(a, b);
  expect_diff_equal(9, 10);
}

// Rows of a table become keys named TABLE:KEY, as JSON strings or as hashes.
TEST(RedisCrossBackend, TableRowsBecomeKeys) {
  Redis r(11);
  r.flush();
  const std::string chinook = std::string(DECANT_TEST_DATA_DIR) + "/chinook/Chinook_Sqlite.sqlite";
  std::string export_chinook = std::string(DECANT_BINARY) + " export " + quote(chinook) + " -q | " + DECANT_BINARY;
  CommandResult json = run_shell(export_chinook + " import " + quote(url(11)) + " --only Album --only PlaylistTrack");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(r.text({"GET", "Album:1"}), R"({"AlbumId":1,"Title":"For Those About To Rock We Salute You","ArtistId":1})");
  EXPECT_EQ(r.text({"GET", "PlaylistTrack:1:3402"}), R"({"PlaylistId":1,"TrackId":3402})");
  EXPECT_EQ(r.integer({"DBSIZE"}), 347 + 8715);
  r.flush();
  CommandResult hashes = run_shell(export_chinook + " import " + quote(url(11)) + " --redis-row hash --only Invoice");
  ASSERT_EQ(hashes.exit_code, 0) << hashes.err;
  EXPECT_NE(hashes.err.find("each record becomes the hash Invoice:K"), std::string::npos) << hashes.err;
  EXPECT_EQ(r.text({"HGET", "Invoice:1", "BillingCity"}), "Stuttgart");
  EXPECT_EQ(r.text({"HGET", "Invoice:1", "Total"}), "1.98");
  EXPECT_EQ(r.integer({"HEXISTS", "Invoice:1", "BillingState"}), 0);  // NULL: no field
  EXPECT_EQ(r.integer({"DBSIZE"}), 412);
}

TEST(RedisBackends, SayPlainlyThatBatchesDoNotRollBack) {
  CommandResult r = run_ok("backends");
  EXPECT_NE(r.out.find("redis:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("do NOT roll back"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--txn batch; --conflict error, skip, replace, merge; --dry-run; --max-errors; --resume"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--rename-prefix"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace decant::test
