// Helpers shared by the Redis source and sink: the location URI, one hiredis connection with
// pipelining (RESP text built by RespBuffer, replies read one by one), byte strings as Values,
// Redis glob patterns, and the keyspace record shape of format/SPEC.md 11.3.
#pragma once

#include <hiredis/hiredis.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "format/schema.h"
#include "format/status.h"
#include "format/value.h"

namespace decant {

// redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]; without a password, REDISCLI_AUTH is used.
struct RedisLocation {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = -1;  // -1: the URI names no database
  std::string user;
  std::string password;
};
Result<RedisLocation> parse_redis_uri(const std::string& uri);

struct RedisReplyFree {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyFree>;

// Commands in the wire format (RESP arrays of bulk strings), appended to one buffer so that a
// whole pipeline goes out in one write.
class RespBuffer {
 public:
  void command(std::initializer_list<std::string_view> args);
  // A command of `argc` arguments, given one by one with arg().
  void begin(size_t argc);
  void arg(std::string_view bytes);
  void arg(int64_t number);

  const std::string& data() const { return data_; }
  size_t size() const { return data_.size(); }
  size_t commands() const { return commands_; }
  bool empty() const { return commands_ == 0; }
  void clear() {
    data_.clear();
    commands_ = 0;
  }
  // Drops what was added after a size() / commands() mark.
  void truncate(size_t size, size_t commands) {
    data_.resize(size);
    commands_ = commands;
  }

 private:
  std::string data_;
  size_t commands_ = 0;
};

class RedisConnection {
 public:
  // Connects, authenticates and reads the server version. `side` is the side errors name.
  static Result<std::unique_ptr<RedisConnection>> open(const RedisLocation& location, Side side);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Writes out `resp` (any number of commands); their replies are then read with reply().
  Status send(std::string_view resp);
  // Adds `resp` to what the next flush() (or send()) writes out.
  Status queue(std::string_view resp);
  Status flush();
  // The next reply. An error reply is a reply (type REDIS_REPLY_ERROR), not a failed Status;
  // a failed Status means the connection broke.
  Result<RedisReply> reply();
  // One command and its reply; an error reply becomes a failed Status naming the command.
  Result<RedisReply> call(std::initializer_list<std::string_view> args);
  Status select(int db);

  const std::string& version() const { return version_; }
  int major_version() const { return major_; }
  Side side() const { return side_; }
  // "host:port", for messages.
  const std::string& address() const { return address_; }

 private:
  RedisConnection(redisContext* context, Side side, std::string address)
      : context_(context), side_(side), address_(std::move(address)) {}
  Status broken(const char* doing) const;

  redisContext* context_;
  Side side_;
  std::string address_;
  std::string version_;
  int major_ = 0;
  RespBuffer scratch_;
};

inline std::string_view reply_bytes(const redisReply* reply) {
  return reply && reply->str ? std::string_view(reply->str, reply->len) : std::string_view();
}
inline bool is_error(const redisReply* reply) { return reply && reply->type == REDIS_REPLY_ERROR; }

// Now, in milliseconds since 1970-01-01 UTC (the unit of expire_at).
int64_t unix_time_ms();

// A byte string as a Value: text when its bytes are valid UTF-8, bytes otherwise.
void set_byte_string(Value& value, std::string_view bytes);
// The bytes a value stands for: text, raw text and bytes as they are, integers in decimal,
// floats in shortest round-trip form. False for other kinds.
bool byte_string_of(const Value& value, std::string& out);
// A short, printable rendering of a key for messages.
std::string describe_key(std::string_view key);

// Redis glob matching as SCAN MATCH does it: * ? [abc] [^a] [a-z] and \ escapes, byte-wise.
bool redis_glob_match(std::string_view pattern, std::string_view text);
// `literal` with every glob metacharacter escaped.
std::string redis_glob_escape(std::string_view literal);

// The keyspace record shape (SPEC 11.3.1 and 11.3.3).
namespace redis_field {
constexpr const char* kKey = "key";
constexpr const char* kType = "type";
constexpr const char* kValue = "value";
constexpr const char* kExpireAt = "expire_at";
constexpr const char* kPage = "page";
constexpr const char* kDump = "dump";
}  // namespace redis_field
std::vector<Column> redis_keyspace_columns(bool dump);

}  // namespace decant
