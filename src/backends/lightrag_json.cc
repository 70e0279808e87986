#include "backends/lightrag_json.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

#include "format/pipeline.h"
#include "format/value_codec.h"

namespace decant::lightrag {
namespace {

constexpr size_t kBufferBytes = 1 << 20;
constexpr int kMaxDepth = 64;

bool is_space(int c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Whether two fields share a name (Python would keep the last; decant refuses rather than drop).
const std::string* duplicate_name(const Field* begin, const Field* end) {
  if (end - begin < 2) return nullptr;
  std::vector<std::string_view> names;
  names.reserve(static_cast<size_t>(end - begin));
  for (const Field* f = begin; f != end; ++f) names.push_back(f->name);
  std::sort(names.begin(), names.end());
  for (size_t i = 1; i < names.size(); ++i)
    if (names[i] == names[i - 1])
      for (const Field* f = begin; f != end; ++f)
        if (f->name == names[i]) return &f->name;
  return nullptr;
}

bool is_json_number_text(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  size_t digits = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i == digits) return false;
  if (i < s.size() && s[i] == '.') {
    size_t fraction = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == fraction) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exponent = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == exponent) return false;
  }
  return i == s.size();
}

void indent(int level, std::string& out) { out.append(static_cast<size_t>(level) * 2, ' '); }

}  // namespace

Result<std::unique_ptr<JsonFileReader>> JsonFileReader::open(const std::string& path, uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::source("cannot open " + path + ": " + std::strerror(errno));
  if (offset && ::lseek(fd, static_cast<off_t>(offset), SEEK_SET) < 0) {
    Status failed = Status::source("cannot seek in " + path + ": " + std::strerror(errno));
    ::close(fd);
    return failed;
  }
  return std::unique_ptr<JsonFileReader>(new JsonFileReader(fd, path, offset, kBufferBytes));
}

std::unique_ptr<JsonFileReader> JsonFileReader::from_text(std::string_view text, std::string name) {
  std::unique_ptr<JsonFileReader> reader(new JsonFileReader(-1, std::move(name), 0, 0));
  reader->buffer_.assign(text.begin(), text.end());
  reader->end_ = text.size();
  return reader;
}

JsonFileReader::JsonFileReader(int fd, std::string path, uint64_t offset, size_t buffer_bytes)
    : fd_(fd), path_(std::move(path)), buffer_(buffer_bytes), base_(offset), at_start_(offset == 0) {}

JsonFileReader::~JsonFileReader() {
  if (fd_ >= 0) ::close(fd_);
}

Status JsonFileReader::error(const std::string& message) const {
  return Status::source(path_ + ": byte " + std::to_string(offset()) + ": " + message);
}

Result<bool> JsonFileReader::fill(size_t n) {
  while (end_ - pos_ < n) {
    if (pos_ > 0) {
      std::memmove(buffer_.data(), buffer_.data() + pos_, end_ - pos_);
      base_ += pos_;
      end_ -= pos_;
      pos_ = 0;
    }
    if (fd_ < 0) return false;  // text in memory: all of it is in the buffer
    if (buffer_.size() - end_ < n) buffer_.resize(std::max(buffer_.size() * 2, n));
    ssize_t got = ::read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (got < 0) {
      if (errno == EINTR && !interrupt_requested()) continue;
      if (errno == EINTR) return interrupted_status();
      return Status::source("reading " + path_ + ": " + std::strerror(errno));
    }
    if (got == 0) return false;
    end_ += static_cast<size_t>(got);
  }
  return true;
}

Status JsonFileReader::skip_whitespace() {
  for (;;) {
    while (pos_ < end_ && is_space(buffer_[pos_])) ++pos_;
    if (pos_ < end_) break;
    Result<bool> more = fill(1);
    if (!more) return more.take_status();
    if (!*more) break;
  }
  if (at_start_) {
    at_start_ = false;
    Result<bool> more = fill(3);
    if (!more) return more.take_status();
    if (end_ - pos_ >= 3 && std::memcmp(buffer_.data() + pos_, "\xEF\xBB\xBF", 3) == 0) {
      pos_ += 3;
      return skip_whitespace();
    }
  }
  return Status::ok();
}

Result<int> JsonFileReader::peek() {
  DECANT_TRY(skip_whitespace());
  if (pos_ == end_) return -1;
  return static_cast<unsigned char>(buffer_[pos_]);
}

Status JsonFileReader::expect(char c) {
  Result<int> next = peek();
  if (!next) return next.take_status();
  if (*next != static_cast<unsigned char>(c)) {
    if (*next < 0) return error(std::string("unexpected end of file, expected '") + c + "'");
    return error(std::string("expected '") + c + "', found '" + static_cast<char>(*next) + "'");
  }
  ++pos_;
  return Status::ok();
}

Status JsonFileReader::expect_end() {
  Result<int> next = peek();
  if (!next) return next.take_status();
  if (*next >= 0) return error("content after the end of the JSON document");
  return Status::ok();
}

Result<bool> JsonFileReader::next_member(bool& first, std::string& key) {
  Result<int> next = peek();
  if (!next) return next.take_status();
  if (*next == '}') {
    ++pos_;
    return false;
  }
  if (!first) {
    if (*next != ',') return error(*next < 0 ? "unexpected end of file in an object" : "expected ',' or '}' in an object");
    ++pos_;
    next = peek();
    if (!next) return next.take_status();
  }
  first = false;
  if (*next != '"') return error("expected a member name");
  DECANT_TRY(read_string(key));
  DECANT_TRY(expect(':'));
  return true;
}

Result<bool> JsonFileReader::next_element(bool& first) {
  Result<int> next = peek();
  if (!next) return next.take_status();
  if (*next == ']') {
    ++pos_;
    return false;
  }
  if (!first) {
    if (*next != ',') return error(*next < 0 ? "unexpected end of file in an array" : "expected ',' or ']' in an array");
    ++pos_;
  }
  first = false;
  return true;
}

Status JsonFileReader::read_escape(std::string& out) {
  Result<bool> have = fill(2);
  if (!have) return have.take_status();
  if (!*have) return error("unterminated string");
  char c = buffer_[pos_ + 1];
  const char* simple = nullptr;
  switch (c) {
    case '"': simple = "\""; break;
    case '\\': simple = "\\"; break;
    case '/': simple = "/"; break;
    case 'b': simple = "\b"; break;
    case 'f': simple = "\f"; break;
    case 'n': simple = "\n"; break;
    case 'r': simple = "\r"; break;
    case 't': simple = "\t"; break;
    default: break;
  }
  if (simple) {
    out += simple;
    pos_ += 2;
    return Status::ok();
  }
  if (c != 'u') return error(std::string("invalid escape \\") + c + " in a string");
  auto hex4 = [&](size_t at, uint32_t& value) {
    value = 0;
    for (size_t i = 0; i < 4; ++i) {
      int h = hex_value(buffer_[at + i]);
      if (h < 0) return false;
      value = value * 16 + static_cast<uint32_t>(h);
    }
    return true;
  };
  have = fill(6);
  if (!have) return have.take_status();
  uint32_t cp;
  if (!*have || !hex4(pos_ + 2, cp)) return error("invalid \\u escape in a string");
  pos_ += 6;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    have = fill(6);
    if (!have) return have.take_status();
    uint32_t low;
    if (*have && buffer_[pos_] == '\\' && buffer_[pos_ + 1] == 'u' && hex4(pos_ + 2, low) && low >= 0xDC00 &&
        low <= 0xDFFF) {
      pos_ += 6;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    } else {
      return error("lone surrogate escape in a string (not valid Unicode text)");
    }
  } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
    return error("lone surrogate escape in a string (not valid Unicode text)");
  }
  append_utf8(cp, out);
  return Status::ok();
}

Status JsonFileReader::read_string(std::string& out) {
  DECANT_TRY(expect('"'));
  out.clear();
  uint64_t start = offset();
  for (;;) {
    if (pos_ == end_) {
      Result<bool> more = fill(1);
      if (!more) return more.take_status();
      if (!*more) return error("unterminated string");
    }
    const char* begin = buffer_.data() + pos_;
    const char* stop = buffer_.data() + end_;
    const char* p = begin;
    while (p < stop && *p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20) ++p;
    out.append(begin, p);
    pos_ += static_cast<size_t>(p - begin);
    if (p == stop) continue;
    if (*p == '"') {
      ++pos_;
      break;
    }
    if (*p == '\\') {
      DECANT_TRY(read_escape(out));
      continue;
    }
    return error("unescaped control character in a string");
  }
  if (!is_valid_utf8(out))
    return Status::source(path_ + ": byte " + std::to_string(start) + ": a string is not valid UTF-8");
  return Status::ok();
}

Status JsonFileReader::read_plain_string_part(std::string& out, size_t max, bool& done) {
  done = false;
  while (max > 0) {
    if (pos_ == end_) {
      Result<bool> more = fill(1);
      if (!more) return more.take_status();
      if (!*more) return error("unterminated string");
    }
    const char* begin = buffer_.data() + pos_;
    size_t available = std::min(end_ - pos_, max);
    const void* quote = std::memchr(begin, '"', available);
    size_t take = quote ? static_cast<size_t>(static_cast<const char*>(quote) - begin) : available;
    if (std::memchr(begin, '\\', take)) return error("an escape in a base64 string");
    out.append(begin, take);
    pos_ += take;
    max -= take;
    if (quote) {
      ++pos_;
      done = true;
      return Status::ok();
    }
  }
  return Status::ok();
}

Status JsonFileReader::read_literal(std::string_view word) {
  Result<bool> have = fill(word.size());
  if (!have) return have.take_status();
  if (!*have || std::memcmp(buffer_.data() + pos_, word.data(), word.size()) != 0) return error("invalid JSON value");
  pos_ += word.size();
  return Status::ok();
}

Status JsonFileReader::read_number(Value& out) {
  number_.clear();
  for (;;) {
    if (pos_ == end_) {
      Result<bool> more = fill(1);
      if (!more) return more.take_status();
      if (!*more) break;
    }
    char c = buffer_[pos_];
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E') {
      number_ += c;
      ++pos_;
    } else {
      break;
    }
  }
  // Python's json writes non-finite floats bare.
  if (number_ == "-" && pos_ < end_ && buffer_[pos_] == 'I') {
    DECANT_TRY(read_literal("Infinity"));
    out = Value::of_double(-HUGE_VAL);
    return Status::ok();
  }
  if (!is_json_number_text(number_)) return error("invalid number \"" + number_ + "\"");
  const char* first = number_.data();
  const char* last = first + number_.size();
  if (number_.find_first_of(".eE") == std::string::npos) {
    int64_t integer;
    auto [ptr, ec] = std::from_chars(first, last, integer);
    if (ec == std::errc() && ptr == last) {
      out = Value::of_int(integer);
    } else {
      // Python integers have no size limit; beyond int64 the digits are kept exactly.
      out = Value::with_text(Kind::kDecimal, number_);
    }
    return Status::ok();
  }
  double real;
  auto [ptr, ec] = std::from_chars(first, last, real);
  if (ec != std::errc() || ptr != last) return error("number " + number_ + " is outside the float64 range");
  out = Value::of_double(real);
  return Status::ok();
}

Status JsonFileReader::read_value(Value& out, int level) {
  out.clear();
  Result<int> next = peek();
  if (!next) return next.take_status();
  switch (*next) {
    case '"':
      out.kind = Kind::kText;
      return read_string(out.text);
    case '{': {
      if (level > kMaxDepth) return error("nesting deeper than 64 levels");
      ++pos_;
      out.kind = Kind::kDocument;
      bool first = true;
      std::string key;
      for (;;) {
        Result<bool> member = next_member(first, key);
        if (!member) return member.take_status();
        if (!*member) break;
        out.fields.push_back(Field{key, Value()});
        DECANT_TRY(read_value(out.fields.back().value, level + 1));
      }
      if (const std::string* twice = duplicate_name(out.fields.data(), out.fields.data() + out.fields.size()))
        return error("duplicate member \"" + *twice + "\" in an object");
      return Status::ok();
    }
    case '[': {
      if (level > kMaxDepth) return error("nesting deeper than 64 levels");
      ++pos_;
      out.kind = Kind::kArray;
      bool first = true;
      for (;;) {
        Result<bool> element = next_element(first);
        if (!element) return element.take_status();
        if (!*element) break;
        out.items.emplace_back();
        DECANT_TRY(read_value(out.items.back(), level + 1));
      }
      return Status::ok();
    }
    case 't': out = Value::of_bool(true); return read_literal("true");
    case 'f': out = Value::of_bool(false); return read_literal("false");
    case 'n': out = Value::null(); return read_literal("null");
    case 'N': out = Value::of_double(std::nan("")); return read_literal("NaN");
    case 'I': out = Value::of_double(HUGE_VAL); return read_literal("Infinity");
    case -1: return error("unexpected end of file, expected a value");
    default: return read_number(out);
  }
}

Status JsonFileReader::read_members(Record& record, std::string_view skip, bool first) {
  size_t before = record.size();
  std::string key;
  for (;;) {
    Result<bool> member = next_member(first, key);
    if (!member) return member.take_status();
    if (!*member) break;
    if (key == skip) {
      DECANT_TRY(skip_value());
      continue;
    }
    DECANT_TRY(read_value(record.add(key), 2));
  }
  if (const std::string* twice = duplicate_name(record.begin() + before, record.end()))
    return error("duplicate member \"" + *twice + "\" in an object");
  return Status::ok();
}

Status JsonFileReader::skip_value() {
  Result<int> next = peek();
  if (!next) return next.take_status();
  if (*next == '"') {
    // A string's bytes are skipped without being kept: escapes only need their backslash pair.
    ++pos_;
    for (;;) {
      if (pos_ == end_) {
        Result<bool> more = fill(1);
        if (!more) return more.take_status();
        if (!*more) return error("unterminated string");
      }
      const char* begin = buffer_.data() + pos_;
      const char* stop = buffer_.data() + end_;
      const char* p = begin;
      while (p < stop && *p != '"' && *p != '\\') ++p;
      pos_ += static_cast<size_t>(p - begin);
      if (p == stop) continue;
      if (*p == '"') {
        ++pos_;
        return Status::ok();
      }
      Result<bool> pair = fill(2);
      if (!pair) return pair.take_status();
      if (!*pair) return error("unterminated string");
      pos_ += 2;
    }
  }
  if (*next == '{' || *next == '[') {
    bool object = *next == '{';
    ++pos_;
    bool first = true;
    std::string key;
    for (;;) {
      Result<bool> more = object ? next_member(first, key) : next_element(first);
      if (!more) return more.take_status();
      if (!*more) return Status::ok();
      DECANT_TRY(skip_value());
    }
  }
  Value scalar;
  return read_value(scalar, 1);
}

void append_py_float(double value, std::string& out) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value < 0 ? "-Infinity" : "Infinity";
    return;
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string_view text(buffer, static_cast<size_t>(end - buffer));
  bool negative = text.front() == '-';
  if (negative) text.remove_prefix(1);
  size_t e = text.find('e');
  std::string digits;
  for (char c : text.substr(0, e))
    if (c != '.') digits += c;
  int exponent = 0;
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+'), text.data() + text.size(), exponent);
  // Python's repr: decimal point position decpt = exponent + 1; exponent form unless
  // -4 < decpt <= 16.
  int decpt = exponent + 1;
  int count = static_cast<int>(digits.size());
  if (negative) out += '-';
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-decpt), '0');
      out += digits;
    } else if (decpt >= count) {
      out += digits;
      out.append(static_cast<size_t>(decpt - count), '0');
      out += ".0";
    } else {
      out.append(digits, 0, static_cast<size_t>(decpt));
      out += '.';
      out.append(digits, static_cast<size_t>(decpt), std::string::npos);
    }
    return;
  }
  out += digits[0];
  if (count > 1) {
    out += '.';
    out.append(digits, 1, std::string::npos);
  }
  out += exponent < 0 ? "e-" : "e+";
  int magnitude = exponent < 0 ? -exponent : exponent;
  if (magnitude < 10) out += '0';
  out += std::to_string(magnitude);
}

namespace {

// Index of the first byte at or after `from` that is 0x7F or above (DEL or part of a non-ASCII
// character), or size(); eight bytes at a time.
size_t next_non_ascii(const std::string& text, size_t from) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
  size_t i = from;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    // A byte >= 0x80 has its high bit set, 0x7F gets it by adding 1 (a carry out of 0xFF only
    // follows a byte that is flagged already).
    if ((word | (word + kOnes)) & kHighs) break;
  }
  while (i < text.size() && static_cast<unsigned char>(text[i]) < 0x7f) ++i;
  return i;
}

}  // namespace

void escape_non_ascii(std::string& json) {
  size_t i = next_non_ascii(json, 0);
  if (i == json.size()) return;
  std::string out;
  out.reserve(json.size() + json.size() / 8);
  out.append(json, 0, i);
  auto escape = [&out](uint32_t unit) {
    static const char* digits = "0123456789abcdef";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += digits[(unit >> shift) & 0xF];
  };
  while (i < json.size()) {
    // Valid UTF-8 by construction: the writers refuse raw (non-UTF-8) text.
    unsigned char c = static_cast<unsigned char>(json[i]);
    int length = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    uint32_t cp = length == 1 ? c : length == 2 ? (c & 0x1F) : length == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < length && i + k < json.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(json[i + k]) & 0x3F);
    i += length;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      escape(0xD800 + (cp >> 10));
      escape(0xDC00 + (cp & 0x3FF));
    } else {
      escape(cp);
    }
    size_t next = next_non_ascii(json, i);
    out.append(json, i, next - i);
    i = next;
  }
  json = std::move(out);
}

void append_py_newline(PyLayout layout, int level, std::string& out) {
  if (layout == PyLayout::kIndented) {
    out += '\n';
    indent(level, out);
  }
}

Status append_py_member(std::string_view name, const Value& value, PyLayout layout, int level, bool first,
                        std::string& out) {
  if (first) {
    out += '{';
  } else {
    out += layout == PyLayout::kIndented ? "," : ", ";
  }
  append_py_newline(layout, level + 1, out);
  encode_string(name, out);
  out += ": ";
  return append_py_json(value, layout, level + 1, out);
}

void append_py_object_end(bool empty, PyLayout layout, int level, std::string& out) {
  if (empty) {
    out += "{}";
    return;
  }
  append_py_newline(layout, level, out);
  out += '}';
}

Status append_py_json(const Value& value, PyLayout layout, int level, std::string& out) {
  switch (value.kind) {
    case Kind::kNull: out += "null"; return Status::ok();
    case Kind::kBool: out += value.boolean ? "true" : "false"; return Status::ok();
    case Kind::kInt64:
    case Kind::kInt32: out += std::to_string(value.integer); return Status::ok();
    case Kind::kFloat64: append_py_float(value.real, out); return Status::ok();
    case Kind::kDecimal:
      if (is_json_number_text(value.text) || value.text == "NaN" || value.text == "Infinity" || value.text == "-Infinity") {
        out += value.text;
        return Status::ok();
      }
      break;
    case Kind::kText: encode_string(value.text, out); return Status::ok();
    case Kind::kRawText: return Status::target("a text value is not valid UTF-8, which a LightRAG JSON file cannot hold");
    case Kind::kArray: {
      if (value.items.empty()) {
        out += "[]";
        return Status::ok();
      }
      out += '[';
      for (size_t i = 0; i < value.items.size(); ++i) {
        if (i) out += layout == PyLayout::kIndented ? "," : ", ";
        append_py_newline(layout, level + 1, out);
        DECANT_TRY(append_py_json(value.items[i], layout, level + 1, out));
      }
      append_py_newline(layout, level, out);
      out += ']';
      return Status::ok();
    }
    case Kind::kDocument: {
      for (size_t i = 0; i < value.fields.size(); ++i)
        DECANT_TRY(append_py_member(value.fields[i].name, value.fields[i].value, layout, level, i == 0, out));
      append_py_object_end(value.fields.empty(), layout, level, out);
      return Status::ok();
    }
    case Kind::kJson:
      // A JSON document of the source (a PostgreSQL jsonb column): its JSON text, minified.
      out += value.text;
      return Status::ok();
    default: break;
  }
  // What plain JSON cannot hold (bytes, timestamps, vectors: no LightRAG source has them) is
  // written as its archive encoding, which is JSON and decodes to the same value.
  encode_value(value, out);
  return Status::ok();
}

}  // namespace decant::lightrag
