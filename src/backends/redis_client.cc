#include "backends/redis_client.h"

#include <charconv>
#include <chrono>
#include <cstdlib>

#include "format/uri.h"

namespace decant {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int high = hex_digit(in[i + 1]), low = hex_digit(in[i + 2]);
    if (high < 0 || low < 0) return false;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return true;
}

bool parse_int(std::string_view text, int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

}  // namespace

Result<RedisLocation> parse_redis_uri(const std::string& uri) {
  const std::string shown = redact_uri(uri);
  std::string scheme = uri_scheme(uri);
  if (scheme == "rediss") return Status::usage("rediss (TLS) is not supported: hiredis 0.14 has no TLS");
  if (scheme != "redis") return Status::usage("not a redis:// URI: \"" + shown + "\"");
  std::string_view rest(uri);
  rest.remove_prefix(scheme.size() + 1);
  if (rest.substr(0, 2) != "//") return Status::usage("expected redis://HOST[:PORT][/DB], got \"" + shown + "\"");
  rest.remove_prefix(2);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return Status::usage("redis URI \"" + shown + "\": query parameters are not supported");

  RedisLocation location;
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view credentials = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    size_t colon = credentials.find(':');
    bool ok = percent_decode(credentials.substr(0, colon), location.user);
    if (colon != std::string_view::npos) ok = ok && percent_decode(credentials.substr(colon + 1), location.password);
    if (!ok) return Status::usage("redis URI \"" + shown + "\": bad percent escape in the credentials");
  }
  size_t colon = authority.rfind(':');
  std::string_view host = authority.substr(0, colon);
  if (colon != std::string_view::npos &&
      (!parse_int(authority.substr(colon + 1), location.port) || location.port <= 0 || location.port > 65535))
    return Status::usage("redis URI \"" + shown + "\": bad port");
  if (!host.empty()) location.host = std::string(host);
  if (!path.empty() && (!parse_int(path, location.db) || location.db < 0))
    return Status::usage("redis URI \"" + shown + "\": the path must be a database number, got \"" +
                         std::string(path) + "\"");
  if (location.password.empty()) {
    const char* from_env = std::getenv("REDISCLI_AUTH");
    if (from_env) location.password = from_env;
  }
  return location;
}

void RespBuffer::begin(size_t argc) {
  data_ += '*';
  data_ += std::to_string(argc);
  data_ += "\r\n";
  ++commands_;
}

void RespBuffer::arg(std::string_view bytes) {
  char length[24];
  char* end = std::to_chars(length, length + sizeof length, bytes.size()).ptr;
  data_ += '$';
  data_.append(length, end);
  data_ += "\r\n";
  data_.append(bytes.data(), bytes.size());
  data_ += "\r\n";
}

void RespBuffer::arg(int64_t number) {
  char text[24];
  char* end = std::to_chars(text, text + sizeof text, number).ptr;
  arg(std::string_view(text, static_cast<size_t>(end - text)));
}

void RespBuffer::command(std::initializer_list<std::string_view> args) {
  begin(args.size());
  for (std::string_view a : args) arg(a);
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::open(const RedisLocation& location, Side side) {
  std::string address = location.host + ":" + std::to_string(location.port);
  struct timeval timeout = {10, 0};
  redisContext* context = redisConnectWithTimeout(location.host.c_str(), location.port, timeout);
  if (!context) return Status::error(side, "redis " + address + ": cannot allocate a connection");
  std::unique_ptr<RedisConnection> connection(new RedisConnection(context, side, address));
  if (context->err) return Status::error(side, "redis " + address + ": cannot connect: " + context->errstr);
  // Connecting may take 10 s at most; commands then wait as long as the server needs (a FLUSHDB
  // or a large EXEC can take a while).
  struct timeval no_timeout = {0, 0};
  redisSetTimeout(context, no_timeout);

  if (!location.password.empty()) {
    Result<RedisReply> auth = location.user.empty() ? connection->call({"AUTH", location.password})
                                                    : connection->call({"AUTH", location.user, location.password});
    if (!auth) return auth.take_status();
  }
  Result<RedisReply> info = connection->call({"INFO", "server"});
  if (!info) return info.take_status();
  std::string_view text = reply_bytes(info->get());
  size_t found = text.find("redis_version:");
  if (found != std::string_view::npos) {
    std::string_view version = text.substr(found + 14);
    version = version.substr(0, version.find_first_of("\r\n"));
    connection->version_ = std::string(version);
    std::from_chars(version.data(), version.data() + version.size(), connection->major_);
  }
  return connection;
}

RedisConnection::~RedisConnection() { redisFree(context_); }

Status RedisConnection::broken(const char* doing) const {
  return Status::error(side_, "redis " + address_ + ": " + doing + ": " +
                                  (context_->err ? context_->errstr : "connection lost"));
}

Status RedisConnection::send(std::string_view resp) {
  DECANT_TRY(queue(resp));
  return flush();
}

Status RedisConnection::queue(std::string_view resp) {
  if (!resp.empty() && redisAppendFormattedCommand(context_, resp.data(), resp.size()) != REDIS_OK)
    return broken("sending");
  return Status::ok();
}

Status RedisConnection::flush() {
  int done = 0;
  while (!done)
    if (redisBufferWrite(context_, &done) != REDIS_OK) return broken("sending");
  return Status::ok();
}

Result<RedisReply> RedisConnection::reply() {
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || !raw) return broken("reading a reply");
  return RedisReply(static_cast<redisReply*>(raw));
}

Result<RedisReply> RedisConnection::call(std::initializer_list<std::string_view> args) {
  scratch_.clear();
  scratch_.command(args);
  DECANT_TRY(send(scratch_.data()));
  Result<RedisReply> got = reply();
  if (!got) return got;
  if (is_error(got->get())) {
    std::string name(args.size() ? *args.begin() : "");
    return Status::error(side_, "redis " + address_ + ": " + name + ": " + std::string(reply_bytes(got->get())));
  }
  return got;
}

Status RedisConnection::select(int db) {
  Result<RedisReply> selected = call({"SELECT", std::to_string(db)});
  if (!selected) return selected.take_status().context("database " + std::to_string(db));
  return Status::ok();
}

int64_t unix_time_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void set_byte_string(Value& value, std::string_view bytes) {
  value.kind = is_valid_utf8(bytes) ? Kind::kText : Kind::kBytes;
  value.subtype = 0;
  value.text.assign(bytes.data(), bytes.size());
}

bool byte_string_of(const Value& value, std::string& out) {
  switch (value.kind) {
    case Kind::kText:
    case Kind::kRawText:
    case Kind::kBytes:
      out = value.text;
      return true;
    case Kind::kInt64:
    case Kind::kInt32:
      out = std::to_string(value.integer);
      return true;
    case Kind::kFloat64: {
      char text[32];
      char* end = std::to_chars(text, text + sizeof text, value.real).ptr;
      out.assign(text, end);
      return true;
    }
    default: return false;
  }
}

std::string describe_key(std::string_view key) {
  constexpr size_t kShown = 80;
  std::string out = "\"";
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < key.size() && i < kShown; ++i) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + (key.size() > kShown ? "...\"" : "\"");
}

namespace {

// Whether the pattern element at `p` (not '*') matches byte `c`; sets `next` past the element.
bool element_matches(std::string_view pattern, size_t p, unsigned char c, size_t& next) {
  char head = pattern[p];
  if (head == '?') {
    next = p + 1;
    return true;
  }
  if (head == '\\' && p + 1 < pattern.size()) {
    next = p + 2;
    return static_cast<unsigned char>(pattern[p + 1]) == c;
  }
  if (head != '[') {
    next = p + 1;
    return static_cast<unsigned char>(head) == c;
  }
  size_t i = p + 1;
  bool negate = i < pattern.size() && pattern[i] == '^';
  if (negate) ++i;
  bool matched = false;
  // As in Redis, an unterminated class ends with the pattern.
  while (i < pattern.size() && pattern[i] != ']') {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      matched |= static_cast<unsigned char>(pattern[i + 1]) == c;
      i += 2;
    } else if (i + 2 < pattern.size() && pattern[i + 1] == '-' && pattern[i + 2] != ']') {
      unsigned char low = static_cast<unsigned char>(pattern[i]), high = static_cast<unsigned char>(pattern[i + 2]);
      if (low > high) std::swap(low, high);
      matched |= c >= low && c <= high;
      i += 3;
    } else {
      matched |= static_cast<unsigned char>(pattern[i]) == c;
      ++i;
    }
  }
  next = i < pattern.size() ? i + 1 : i;
  return matched != negate;
}

}  // namespace

bool redis_glob_match(std::string_view pattern, std::string_view text) {
  constexpr size_t kNone = std::string_view::npos;
  size_t p = 0, t = 0, star = kNone, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      if (p == pattern.size()) return true;
      star = p;
      star_text = t;
      continue;
    }
    size_t next = 0;
    if (p < pattern.size() && element_matches(pattern, p, static_cast<unsigned char>(text[t]), next)) {
      p = next;
      ++t;
      continue;
    }
    // Every element but '*' takes exactly one byte, so retrying from the last star is enough.
    if (star == kNone) return false;
    p = star;
    t = ++star_text;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string redis_glob_escape(std::string_view literal) {
  std::string out;
  for (char c : literal) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\' || c == '^' || c == '-') out += '\\';
    out += c;
  }
  return out;
}

std::vector<Column> redis_keyspace_columns(bool dump) {
  auto column = [](const char* name, const char* type, bool nullable, const char* source_type) {
    Column c;
    c.name = name;
    c.type = type;
    c.nullable = nullable;
    c.source_type = source_type;
    return c;
  };
  std::vector<Column> columns = {column(redis_field::kKey, "any", false, "key"),
                                 column(redis_field::kType, "text", false, "type")};
  if (dump) {
    columns.push_back(column(redis_field::kDump, "bytes", false, "DUMP payload"));
    columns.push_back(column(redis_field::kExpireAt, "int64", true, "PEXPIRETIME"));
  } else {
    columns.push_back(column(redis_field::kValue, "any", false, "value"));
    columns.push_back(column(redis_field::kExpireAt, "int64", true, "PEXPIRETIME"));
    columns.push_back(column(redis_field::kPage, "int64", false, "page"));
  }
  return columns;
}

}  // namespace decant
