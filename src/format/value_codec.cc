#include "format/value_codec.h"
#include "format/value_decode.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace decant {

namespace {

using simdjson::ondemand::json_type;

constexpr int64_t kMaxExactInt = (int64_t{1} << 53) - 1;

// Characters that the canonical form escapes: '"', '\\' and U+0000..U+001F.
constexpr bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// The index of the first byte at or after `i` that the canonical form escapes, or `size`.
// Most strings have none: 16 bytes are tested at once where SSE2 is available (all x86-64).
size_t next_to_escape(const char* data, size_t i, size_t size) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i control_max = _mm_set1_epi8(0x1f);
  for (; i + 16 <= size; i += 16) {
    __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(chunk, control_max), chunk);  // chunk <= 0x1f
    __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, quote), _mm_cmpeq_epi8(chunk, backslash)), control);
    if (unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special)))
      return i + static_cast<size_t>(std::countr_zero(mask));
  }
#endif
  while (i < size && !needs_escape(static_cast<unsigned char>(data[i]))) ++i;
  return i;
}

void append_double_text(double d, std::string& out) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, d);
  out.append(buf, res.ptr);
}

void append_float_text(float f, std::string& out) {
  if (std::isnan(f)) { out += "\"NaN\""; return; }
  if (std::isinf(f)) { out += f > 0 ? "\"Infinity\"" : "\"-Infinity\""; return; }
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, f);
  out.append(buf, res.ptr);
}

void append_int(int64_t i, std::string& out) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, i);
  out.append(buf, res.ptr);
}

void append_tag_string(const char* tag, std::string_view payload, std::string& out) {
  out += "{\"";
  out += tag;
  out += "\":";
  encode_string(payload, out);
  out += '}';
}

// The $numberDouble payload of an integral, zero or non-finite double: the shortest round-trip
// text with ".0" appended when it has no exponent, so that it still reads as a double.
std::string double_tag_text(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  std::string text;
  append_double_text(d, text);
  if (text.find('e') == std::string::npos) text += ".0";
  return text;
}

void encode_fields(const Field* begin, const Field* end, std::string& out) {
  out += '{';
  for (const Field* f = begin; f != end; ++f) {
    if (f != begin) out += ',';
    encode_string(f->name, out);
    out += ':';
    encode_value(f->value, out);
  }
  out += '}';
}

// ---- decoding helpers ----

Status bad(std::string message) { return Status::archive(std::move(message)); }

Status json_error(simdjson::error_code code, const char* what) {
  return bad(std::string("malformed JSON in ") + what + ": " + simdjson::error_message(code));
}

Status too_deep() { return bad("nesting deeper than " + std::to_string(kMaxNestingDepth) + " levels"); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

size_t skip_digits(std::string_view s, size_t i) {
  while (i < s.size() && is_digit(s[i])) ++i;
  return i;
}

// The two digits at s[i] as a number, or -1.
int two_digits(std::string_view s, size_t i) {
  if (i + 2 > s.size() || !is_digit(s[i]) || !is_digit(s[i + 1])) return -1;
  return (s[i] - '0') * 10 + (s[i + 1] - '0');
}

// Canonical integer text (INT): optional '-', digits, no leading zeros, no "-0".
bool parse_canonical_int(std::string_view s, int64_t& out) {
  size_t digits = !s.empty() && s[0] == '-';
  if (skip_digits(s, digits) != s.size() || digits == s.size() ||
      (s[digits] == '0' && (s.size() > digits + 1 || digits == 1)))
    return false;
  auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

// Decimal text -?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)? or, with `json`, an RFC 8259 number
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, which the $numberDouble grammar also is.
bool is_number_text(std::string_view s, bool json) {
  size_t start = !s.empty() && s[0] == '-';
  size_t i = skip_digits(s, start);
  if (i == start || (json && s[start] == '0' && i > start + 1)) return false;
  if (i < s.size() && s[i] == '.') {
    size_t fraction = i + 1;
    i = skip_digits(s, fraction);
    if (i == fraction) return false;
  }
  if (i < s.size() && (s[i] == 'e' || (json && s[i] == 'E'))) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exponent = i;
    i = skip_digits(s, exponent);
    if (i == exponent) return false;
  }
  return i == s.size();
}

// For a number text that from_chars found out of range, i.e. rounding to zero or to infinity:
// whether it overflows, judged by the decimal exponent of its first significant digit.
bool overflows(std::string_view s) {
  size_t e = s.find_first_of("eE");
  std::string_view mantissa = s.substr(0, e);
  int64_t exponent = 0;
  if (e != std::string_view::npos) {
    size_t i = e + 1;
    bool negative = s[i] == '-';
    if (s[i] == '+' || s[i] == '-') ++i;
    // Saturated far beyond any digit count a line can hold, so the sum below stays exact enough.
    for (; i < s.size(); ++i) exponent = std::min<int64_t>(exponent * 10 + (s[i] - '0'), int64_t{1} << 40);
    if (negative) exponent = -exponent;
  }
  size_t point = std::min(mantissa.find('.'), mantissa.size());
  size_t first = mantissa.find_first_of("123456789");
  int64_t lead = first < point ? int64_t(point - first) - 1 : -int64_t(first - point);
  return lead + exponent > 0;
}

// The T nearest to a number text that passed is_number_text(s, true), ties to even, the way
// the spec reads $numberDouble payloads and vector elements. False when it rounds to infinity.
template <typename T>
bool parse_nearest(std::string_view s, T& out) {
  auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  if (res.ec == std::errc::result_out_of_range) {
    if (overflows(s)) return false;
    out = s[0] == '-' ? -T(0) : T(0);
    return true;
  }
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

// Rounds a float to the nearest float16, ties to even, keeping it widened to float; false when
// that is infinite. Adding 2^(e+13) to a float in [2^e, 2^(e+1)) makes float16's step there,
// 2^(e-10), the float's last bit, so the FPU's round-to-nearest-even does the rounding; below
// 2^-14 float16 is subnormal with the fixed step 2^-24.
bool round_to_half(float& f) {
  float a = std::fabs(f);
  if (!(a < 65520.0f)) return false;  // 65520 lies halfway between 65504 and 2^16 and rounds up
  if (a == 0) return true;
  float shift = std::ldexp(1.0f, std::max(std::ilogb(a), -14) + 13);
  f = std::copysign((a + shift) - shift, f);
  return true;
}

constexpr bool is_leap_year(int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

// DATE: YEAR "-" MM "-" DD naming a day of the proleptic Gregorian calendar. Returns the length
// matched, or 0.
size_t match_date(std::string_view s) {
  size_t start = !s.empty() && s[0] == '-';
  size_t i = start;
  int64_t year = 0;  // magnitude; leap years are symmetric around year 0
  for (; i < s.size() && is_digit(s[i]) && i - start < 10; ++i) year = year * 10 + (s[i] - '0');
  size_t digits = i - start;
  // YEAR: 4 digits, zero-padded but not "-0000", or 5 to 9 digits without a leading zero.
  if (digits == 4 ? (start == 1 && year == 0) : (digits < 4 || digits > 9 || s[start] == '0')) return 0;
  if (i + 6 > s.size() || s[i] != '-' || s[i + 3] != '-') return 0;
  int month = two_digits(s, i + 1), day = two_digits(s, i + 4);
  if (month < 1 || month > 12 || day < 1) return 0;
  static constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int last = month == 2 && is_leap_year(year) ? 29 : kMonthDays[month - 1];
  return day <= last ? i + 6 : 0;
}

// TIME: HH:MM:SS, hours 00-23, then an optional fraction of 1 to 9 digits not ending in 0.
// Returns the length matched, or 0.
size_t match_time(std::string_view s) {
  if (s.size() < 8 || s[2] != ':' || s[5] != ':') return 0;
  int hour = two_digits(s, 0), minute = two_digits(s, 3), second = two_digits(s, 6);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return 0;
  size_t i = 8;
  if (i < s.size() && s[i] == '.') {
    size_t fraction = i + 1;
    i = skip_digits(s, fraction);
    if (i == fraction || i - fraction > 9 || s[i - 1] == '0') return 0;
  }
  return i;
}

// $localTime and $offsetTime also allow exactly "24:00:00" (PostgreSQL's end of day).
size_t match_time_of_day(std::string_view s) {
  size_t t = match_time(s);
  return t ? t : s.starts_with("24:00:00") ? 8 : 0;
}

// OFFSET: [+-]HH:MM[:SS], hours 00-15, seconds only when not zero; zero is only "+00:00".
bool is_offset(std::string_view s) {
  if ((s.size() != 6 && s.size() != 9) || (s[0] != '+' && s[0] != '-') || s[3] != ':') return false;
  int hour = two_digits(s, 1), minute = two_digits(s, 4);
  if (hour < 0 || hour > 15 || minute < 0 || minute > 59) return false;
  if (s.size() == 9) {
    int second = two_digits(s, 7);
    return s[6] == ':' && second >= 1 && second <= 59;
  }
  return s[0] == '+' || hour != 0 || minute != 0;
}

bool valid_temporal(Kind kind, std::string_view s) {
  bool infinite = s == "infinity" || s == "-infinity";
  switch (kind) {
    case Kind::kDate: {
      size_t d = match_date(s);
      return infinite || (d != 0 && d == s.size());
    }
    case Kind::kTime: {
      size_t t = match_time_of_day(s);
      return t != 0 && t == s.size();
    }
    case Kind::kTimeTz: {
      size_t t = match_time_of_day(s);
      return t != 0 && is_offset(s.substr(t));
    }
    case Kind::kTimestamp:
    case Kind::kTimestampTz: {
      if (infinite) return true;
      size_t d = match_date(s);
      if (d == 0 || d == s.size() || s[d] != 'T') return false;
      std::string_view time = s.substr(d + 1);
      size_t t = match_time(time);
      if (t == 0) return false;
      return kind == Kind::kTimestamp ? t == time.size() : is_offset(time.substr(t));
    }
    default: return false;
  }
}

bool valid_decimal(std::string_view s) {
  return is_number_text(s, false) || s == "NaN" || s == "Infinity" || s == "-Infinity";
}

constexpr int hex_digit(char c) { return is_digit(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; }

bool valid_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : hex_digit(s[i]) < 0) return false;
  }
  return true;
}

// A cheap hash of a field name: its length and its first and last 8 bytes (all of it up to 16).
uint64_t name_hash(std::string_view name) {
  const char* p = name.data();
  size_t n = name.size();
  uint64_t head = 0, tail = 0;
  if (n >= 8) {
    std::memcpy(&head, p, 8);
    std::memcpy(&tail, p + n - 8, 8);
  } else if (n >= 4) {
    uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    head = a;
    tail = b;
  } else if (n > 0) {
    head = uint8_t(p[0]) | uint8_t(p[n / 2]) << 8 | uint8_t(p[n - 1]) << 16;
  }
  uint64_t h = head * 0x9E3779B97F4A7C15u ^ (tail + n) * 0xC2B2AE3D27D4EB4Fu;
  return h ^ h >> 31;
}

// Finds a name that occurs twice among the fields. Records are decoded for every line, so this
// has to be cheap: up to 256 fields go into a small open-addressing table on the stack, where
// only names that land in the same run of slots are compared. Wider objects are sorted, which
// also keeps crafted names that all hash alike from making the check quadratic.
bool find_duplicate_name(const Field* begin, const Field* end, std::string_view& duplicate) {
  size_t count = static_cast<size_t>(end - begin);
  if (count < 2) return false;
  if (count <= 256) {
    uint16_t slots[512];  // 1 + the index of the field in the slot, 0 when empty; at most half full
    int bits = std::bit_width(2 * count - 1);
    size_t mask = (size_t{1} << bits) - 1;
    std::fill_n(slots, mask + 1, uint16_t{0});
    for (size_t i = 0; i < count; ++i) {
      const std::string& name = begin[i].name;
      size_t slot = name_hash(name) >> (64 - bits);
      for (; slots[slot] != 0; slot = (slot + 1) & mask) {
        if (begin[slots[slot] - 1].name == name) {
          duplicate = name;
          return true;
        }
      }
      slots[slot] = static_cast<uint16_t>(i + 1);
    }
    return false;
  }
  std::vector<std::string_view> names;
  names.reserve(count);
  for (const Field* f = begin; f != end; ++f) names.push_back(f->name);
  std::sort(names.begin(), names.end());
  auto twice = std::adjacent_find(names.begin(), names.end());
  if (twice == names.end()) return false;
  duplicate = *twice;
  return true;
}

Status check_unique_names(const Field* begin, const Field* end, const char* where) {
  std::string_view duplicate;
  if (!find_duplicate_name(begin, end, duplicate)) return Status::ok();
  return bad("duplicate member \"" + std::string(duplicate) + "\" in " + where);
}

bool valid_object_id(std::string_view s) {
  return s.size() == 24 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

struct TagInfo {
  const char* name;
  Kind kind;
};

constexpr TagInfo kStringTags[] = {
    {"$numberDecimal", Kind::kDecimal},  {"$localDate", Kind::kDate},
    {"$localTime", Kind::kTime},         {"$offsetTime", Kind::kTimeTz},
    {"$localDateTime", Kind::kTimestamp}, {"$offsetDateTime", Kind::kTimestampTz},
    {"$uuid", Kind::kUuid},
};

Status get_string(simdjson::ondemand::value v, std::string_view tag, std::string_view& out) {
  auto err = v.get_string().get(out);
  if (err) return bad(std::string(tag) + " payload must be a string");
  return Status::ok();
}

// $vector and $halfvec: plain JSON numbers only, each rounded to the nearest float32 and, for
// $halfvec, then to the nearest float16 (4.5.13); non-finite results are errors.
Status decode_float_array(simdjson::ondemand::value v, bool half, std::vector<float>& out) {
  const char* tag = half ? "$halfvec" : "$vector";
  simdjson::ondemand::array arr;
  if (v.get_array().get(arr)) return bad(std::string(tag) + " payload must be an array of numbers");
  size_t index = 0;
  for (auto element : arr) {
    simdjson::ondemand::value item;
    json_type type;
    if (auto err = element.get(item)) return json_error(err, tag);
    if (auto err = item.type().get(type)) return json_error(err, tag);
    if (type != json_type::number)
      return bad(std::string(tag) + ": element " + std::to_string(index) + " is not a number");
    // simdjson checks the grammar and gives the double nearest the element. Rounding that to
    // float rounds the element itself, unless the double lies exactly halfway between two
    // floats (every such midpoint is a double) or outside float's normal range: those rare
    // elements, and the ones simdjson refuses, are read again from their text, straight to float.
    double d = 0;
    bool via_double = !item.get_double().get(d) &&
                      (d == 0 || (std::fabs(d) >= std::numeric_limits<float>::min() &&
                                  std::fabs(d) <= std::numeric_limits<float>::max() &&
                                  (std::bit_cast<uint64_t>(d) & 0x1FFFFFFF) != 0x10000000));
    float f = static_cast<float>(d);
    auto outside = [&](const char* type) {
      return bad(std::string(tag) + ": element " + std::string(trim(item.raw_json_token())) + " is outside the " +
                 type + " range");
    };
    if (!via_double) {
      std::string_view token = trim(item.raw_json_token());
      if (!is_number_text(token, true)) return bad(std::string(tag) + ": malformed number " + std::string(token));
      if (!parse_nearest(token, f)) return outside("float32");
    }
    if (half && !round_to_half(f)) return outside("float16");
    out.push_back(f);
    ++index;
  }
  return Status::ok();
}

Status canonical_json(simdjson::ondemand::value v, std::string& out, int level);

Status canonical_json_object(simdjson::ondemand::object obj, std::string& out, int level) {
  out += '{';
  bool first = true;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return bad("malformed key in $json");
    if (!first) out += ',';
    first = false;
    encode_string(key, out);
    out += ':';
    simdjson::ondemand::value child;
    if (field.value().get(child)) return bad("malformed value in $json");
    DECANT_TRY(canonical_json(child, out, level + 1));
  }
  out += '}';
  return Status::ok();
}

// Re-serialises arbitrary JSON canonically: no whitespace, members in order, canonical string
// escaping, numbers as their exact source text. `level` is the nesting level of `v` if it is an
// object or array.
Status canonical_json(simdjson::ondemand::value v, std::string& out, int level) {
  json_type type;
  if (auto err = v.type().get(type)) return json_error(err, "$json");
  switch (type) {
    case json_type::object: {
      if (level > kMaxNestingDepth) return too_deep();
      simdjson::ondemand::object obj;
      if (auto err = v.get_object().get(obj)) return json_error(err, "$json");
      return canonical_json_object(obj, out, level);
    }
    case json_type::array: {
      if (level > kMaxNestingDepth) return too_deep();
      simdjson::ondemand::array arr;
      if (auto err = v.get_array().get(arr)) return json_error(err, "$json");
      out += '[';
      bool first = true;
      for (auto element : arr) {
        simdjson::ondemand::value item;
        if (auto err = element.get(item)) return json_error(err, "$json");
        if (!first) out += ',';
        first = false;
        DECANT_TRY(canonical_json(item, out, level + 1));
      }
      out += ']';
      return Status::ok();
    }
    case json_type::string: {
      std::string_view s;
      if (auto err = v.get_string().get(s)) return json_error(err, "$json");
      encode_string(s, out);
      return Status::ok();
    }
    case json_type::number: {
      // Checked by grammar only: any RFC 8259 number is kept, even one beyond double or int64
      // range (1E400), which simdjson would refuse to convert.
      std::string_view token = trim(v.raw_json_token());
      if (!is_number_text(token, true)) return bad("malformed number " + std::string(token) + " in $json");
      out += token;
      return Status::ok();
    }
    case json_type::boolean: {
      bool b;
      if (auto err = v.get_bool().get(b)) return json_error(err, "$json");
      out += b ? "true" : "false";
      return Status::ok();
    }
    case json_type::null: {
      // is_null() is a simdjson_result: converting it to bool throws on "nul", "nulx", ...
      bool is_null = false;
      if (v.is_null().get(is_null) || !is_null) return bad("malformed null in $json");
      out += "null";
      return Status::ok();
    }
  }
  return bad("unexpected JSON type in $json");
}

// ---- canonical proofs (CanonicalProof) ----

// Whether the body of a JSON string (between its quotes, as written) uses exactly the escapes
// of the canonical form (5.2): the two-character escapes, and \u00XX in lowercase for the other
// control characters only. simdjson has already rejected raw control characters.
// The first backslash in [p, end), or end. Strings with many escapes are common (JSON held as
// text), so this must be cheap for short distances too, which memchr is not.
const char* next_backslash(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i backslash = _mm_set1_epi8('\\');
  for (; end - p >= 16; p += 16) {
    __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    if (unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, backslash))))
      return p + std::countr_zero(mask);
  }
#endif
  while (p < end && *p != '\\') ++p;
  return p;
}

bool is_canonical_string_body(const char* begin, const char* end) {
  for (const char* p = next_backslash(begin, end); p < end; p = next_backslash(p, end)) {
    char c = p[1];
    if (c == '"' || c == '\\' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') {
      p += 2;
      continue;
    }
    // \u00XX: p[4] and p[5] are the hex digits.
    if (c != 'u' || end - p < 6 || p[2] != '0' || p[3] != '0' || (p[4] != '0' && p[4] != '1')) return false;
    int low = hex_digit(p[5]);
    int code = (p[4] - '0') * 16 + low;
    if (low < 0 || code == '\b' || code == '\t' || code == '\n' || code == '\f' || code == '\r') return false;
    p += 6;
  }
  return true;
}

// A string token as raw_json_token() gives it: quotes included, maybe trailing whitespace.
void prove_string(std::string_view token, CanonicalProof& proof) {
  token = trim(token);
  if (token.size() < 2 || !is_canonical_string_body(token.data() + 1, token.data() + token.size() - 1)) {
    proof.holds = false;
    return;
  }
  proof.length += token.size();
}

// A field name: key.raw() points just after its opening quote.
void prove_key(simdjson::ondemand::raw_json_string key, CanonicalProof& proof) {
  const char* begin = key.raw();
  const char* end = begin;
  // The closing quote is the first one not escaped by an odd number of backslashes.
  for (;; ++end) {
    while (*end != '"') ++end;  // simdjson has validated the line: the quote is there
    size_t backslashes = 0;
    while (end - backslashes > begin && end[-1 - static_cast<ptrdiff_t>(backslashes)] == '\\') ++backslashes;
    if (backslashes % 2 == 0) break;
  }
  if (!is_canonical_string_body(begin, end)) proof.holds = false;
  proof.length += static_cast<size_t>(end - begin) + 3;  // the quotes and the colon
}

// A number token whose value has been decoded into `value`.
void prove_number(std::string_view token, const Value& value, CanonicalProof& proof) {
  token = trim(token);
  char buffer[32];
  char* end = buffer;
  if (value.kind == Kind::kInt64 && value.integer >= -kMaxExactInt && value.integer <= kMaxExactInt)
    end = std::to_chars(buffer, buffer + sizeof buffer, value.integer).ptr;
  else if (value.kind == Kind::kFloat64 && std::isfinite(value.real) && value.real != std::trunc(value.real))
    end = std::to_chars(buffer, buffer + sizeof buffer, value.real).ptr;
  if (std::string_view(buffer, size_t(end - buffer)) != token) {
    proof.holds = false;
    return;
  }
  proof.length += token.size();
}

// A tag, decoded into `value`, whose text began at `start`: the decoder stops on the tag's
// closing brace, so the document's current position marks its end.
void prove_tag(const char* start, const Value& value, CanonicalProof& proof) {
  auto location = proof.document->current_location();
  if (location.error() || *location.value_unsafe() != '}') {
    proof.holds = false;
    return;
  }
  std::string_view text(start, size_t(location.value_unsafe() + 1 - start));
  proof.scratch.clear();
  encode_value(value, proof.scratch);
  if (text != proof.scratch) {
    proof.holds = false;
    return;
  }
  proof.length += text.size();
}

// The members of a document object at nesting level `level`.
Status decode_document(simdjson::ondemand::object obj, std::vector<Field>& fields, int level,
                       CanonicalProof* proof = nullptr) {
  size_t members = 0;
  for (auto member : obj) {
    // A malformed member is an error here: calling key() on it would throw.
    simdjson::ondemand::field field;
    if (auto err = std::move(member).get(field)) return json_error(err, "a document member");
    if (proof) prove_key(field.key(), *proof);
    ++members;
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return json_error(err, "a document key");
    fields.emplace_back();
    fields.back().name.assign(key);
    simdjson::ondemand::value child = field.value();
    // The context frame is built only on failure: this runs for every member of every line.
    if (Status s = decode_value(child, fields.back().value, level + 1, proof); !s)
      return std::move(s).context(fields.back().name);
  }
  if (proof) proof->length += 2 + (members ? members - 1 : 0);  // braces and commas
  return Status::ok();
}

// `level` is the nesting level of the tag object; its payload object or array sits one deeper.
Status decode_tag(std::string_view tag, simdjson::ondemand::value payload, Value& out, int level) {
  for (const TagInfo& t : kStringTags) {
    if (tag != t.name) continue;
    std::string_view s;
    DECANT_TRY(get_string(payload, tag, s));
    bool valid = t.kind == Kind::kDecimal ? valid_decimal(s)
                 : t.kind == Kind::kUuid  ? valid_uuid(s)
                                          : valid_temporal(t.kind, s);
    if (!valid) return bad("malformed " + std::string(tag) + " payload \"" + std::string(s) + "\"");
    out.kind = t.kind;
    out.text.assign(s);
    return Status::ok();
  }
  if (tag == "$numberLong" || tag == "$numberInt") {
    std::string_view s;
    DECANT_TRY(get_string(payload, tag, s));
    int64_t i;
    bool is32 = tag == "$numberInt";
    if (!parse_canonical_int(s, i) || (is32 && (i < INT32_MIN || i > INT32_MAX)))
      return bad("malformed " + std::string(tag) + " payload \"" + std::string(s) + "\"");
    out.kind = is32 ? Kind::kInt32 : Kind::kInt64;
    out.integer = i;
    return Status::ok();
  }
  if (tag == "$numberDouble") {
    std::string_view s;
    DECANT_TRY(get_string(payload, tag, s));
    out.kind = Kind::kFloat64;
    // All NaNs are one value, the quiet NaN 0x7FF8000000000000.
    if (s == "NaN") out.real = std::bit_cast<double>(uint64_t{0x7FF8000000000000});
    else if (s == "Infinity") out.real = INFINITY;
    else if (s == "-Infinity") out.real = -INFINITY;
    else if (!is_number_text(s, true)) return bad("malformed $numberDouble payload \"" + std::string(s) + "\"");
    else if (!parse_nearest(s, out.real))
      return bad("$numberDouble payload \"" + std::string(s) + "\" is outside the float64 range");
    return Status::ok();
  }
  if (tag == "$rawText") {
    std::string_view s;
    DECANT_TRY(get_string(payload, tag, s));
    if (!base64_decode(s, out.text)) return bad("malformed base64 in $rawText");
    // Writers use $rawText only for invalid UTF-8; valid bytes are ordinary text (4.5.6).
    out.kind = is_valid_utf8(out.text) ? Kind::kText : Kind::kRawText;
    return Status::ok();
  }
  if (tag == "$binary") {
    if (level + 1 > kMaxNestingDepth) return too_deep();
    simdjson::ondemand::object obj;
    if (payload.get_object().get(obj)) return bad("$binary payload must be an object");
    unsigned seen = 0;
    for (auto field : obj) {
      std::string_view key, s;
      if (field.unescaped_key().get(key)) return bad("malformed $binary");
      unsigned member = key == "base64" ? 1 : key == "subType" ? 2 : 0;
      if (!member) return bad("unexpected member \"" + std::string(key) + "\" in $binary");
      if (seen & member) return bad("duplicate member \"" + std::string(key) + "\" in $binary");
      seen |= member;
      simdjson::ondemand::value value;
      if (field.value().get(value) || value.get_string().get(s)) return bad("$binary members must be strings");
      if (member == 1) {
        if (!base64_decode(s, out.text)) return bad("malformed base64 in $binary");
      } else {
        if (s.size() != 2 || hex_digit(s[0]) < 0 || hex_digit(s[1]) < 0)
          return bad("malformed $binary subType \"" + std::string(s) + "\"");
        out.subtype = static_cast<uint8_t>(hex_digit(s[0]) << 4 | hex_digit(s[1]));
      }
    }
    if (seen != 3) return bad("$binary needs base64 and subType");
    out.kind = Kind::kBytes;
    return Status::ok();
  }
  if (tag == "$interval") {
    if (level + 1 > kMaxNestingDepth) return too_deep();
    simdjson::ondemand::object obj;
    if (payload.get_object().get(obj)) return bad("$interval payload must be an object");
    unsigned seen = 0;
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return bad("malformed $interval");
      unsigned member = key == "months" ? 1 : key == "days" ? 2 : key == "micros" ? 4 : 0;
      if (!member) return bad("unexpected member \"" + std::string(key) + "\" in $interval");
      if (seen & member) return bad("duplicate member \"" + std::string(key) + "\" in $interval");
      seen |= member;
      simdjson::ondemand::value value;
      if (field.value().get(value)) return bad("malformed $interval");
      if (member == 4) {
        std::string_view s;
        if (value.get_string().get(s) || !parse_canonical_int(s, out.integer))
          return bad("$interval micros must be an integer string");
      } else {
        int64_t i;
        if (value.get_int64().get(i) || i < INT32_MIN || i > INT32_MAX)
          return bad("$interval " + std::string(key) + " must be a 32-bit integer");
        (member == 1 ? out.months : out.days) = static_cast<int32_t>(i);
      }
    }
    if (seen != 7) return bad("$interval needs months, days and micros");
    out.kind = Kind::kInterval;
    return Status::ok();
  }
  if (tag == "$json") {
    out.kind = Kind::kJson;
    return canonical_json(payload, out.text, level + 1);
  }
  if (tag == "$vector" || tag == "$halfvec") {
    if (level + 1 > kMaxNestingDepth) return too_deep();
    bool half = tag == "$halfvec";
    out.kind = half ? Kind::kHalfVector : Kind::kVector;
    return decode_float_array(payload, half, out.floats);
  }
  if (tag == "$literal") {
    if (level + 1 > kMaxNestingDepth) return too_deep();
    simdjson::ondemand::object obj;
    if (payload.get_object().get(obj)) return bad("$literal payload must be an object");
    out.kind = Kind::kDocument;
    DECANT_TRY(decode_document(obj, out.fields, level + 1));
    if (out.fields.size() != 1 || !out.fields[0].name.starts_with('$'))
      return bad("$literal payload must have exactly one member, whose name starts with '$'");
    return Status::ok();
  }
  if (tag == "$oid" || tag == "$code") {
    std::string_view s;
    DECANT_TRY(get_string(payload, tag, s));
    bool oid = tag == "$oid";
    if (oid && !valid_object_id(s)) return bad("malformed $oid payload \"" + std::string(s) + "\"");
    out.kind = oid ? Kind::kObjectId : Kind::kCode;
    out.text.assign(s);
    return Status::ok();
  }
  if (tag == "$minKey" || tag == "$maxKey") {
    int64_t one;
    if (payload.get_int64().get(one) || one != 1) return bad(std::string(tag) + " payload must be 1");
    out.kind = tag == "$minKey" ? Kind::kMinKey : Kind::kMaxKey;
    return Status::ok();
  }
  if (tag == "$date") {
    if (level + 1 > kMaxNestingDepth) return too_deep();
    simdjson::ondemand::object obj;
    if (payload.get_object().get(obj)) return bad("$date payload must be {\"$numberLong\":\"<ms>\"}");
    size_t members = 0;
    for (auto field : obj) {
      std::string_view key, ms;
      simdjson::ondemand::value value;
      if (field.unescaped_key().get(key) || key != "$numberLong" || field.value().get(value) ||
          value.get_string().get(ms) || !parse_canonical_int(ms, out.integer))
        return bad("$date payload must be {\"$numberLong\":\"<ms>\"}");
      ++members;
    }
    if (members != 1) return bad("$date payload must be {\"$numberLong\":\"<ms>\"}");
    out.kind = Kind::kDateTime;
    return Status::ok();
  }
  if (tag == "$timestamp") {
    if (level + 1 > kMaxNestingDepth) return too_deep();
    simdjson::ondemand::object obj;
    if (payload.get_object().get(obj)) return bad("$timestamp payload must be an object");
    unsigned seen = 0;
    uint64_t parts[2] = {0, 0};
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return bad("malformed $timestamp");
      unsigned member = key == "t" ? 1 : key == "i" ? 2 : 0;
      if (!member) return bad("unexpected member \"" + std::string(key) + "\" in $timestamp");
      if (seen & member) return bad("duplicate member \"" + std::string(key) + "\" in $timestamp");
      seen |= member;
      simdjson::ondemand::value value;
      uint64_t n;
      if (field.value().get(value) || value.get_uint64().get(n) || n > UINT32_MAX)
        return bad("$timestamp " + std::string(key) + " must be an unsigned 32-bit integer");
      parts[member - 1] = n;
    }
    if (seen != 3) return bad("$timestamp needs t and i");
    out.kind = Kind::kBsonTimestamp;
    out.integer = static_cast<int64_t>(parts[0] << 32 | parts[1]);
    return Status::ok();
  }
  if (tag == "$regularExpression") {
    if (level + 1 > kMaxNestingDepth) return too_deep();
    simdjson::ondemand::object obj;
    if (payload.get_object().get(obj)) return bad("$regularExpression payload must be an object");
    unsigned seen = 0;
    for (auto field : obj) {
      std::string_view key, s;
      if (field.unescaped_key().get(key)) return bad("malformed $regularExpression");
      unsigned member = key == "pattern" ? 1 : key == "options" ? 2 : 0;
      if (!member) return bad("unexpected member \"" + std::string(key) + "\" in $regularExpression");
      if (seen & member) return bad("duplicate member \"" + std::string(key) + "\" in $regularExpression");
      seen |= member;
      simdjson::ondemand::value value;
      if (field.value().get(value) || value.get_string().get(s))
        return bad("$regularExpression members must be strings");
      // BSON keeps both as C strings: no NUL. Options are sorted, each once (Extended JSON v2).
      if (s.find('\0') != std::string_view::npos)
        return bad("$regularExpression " + std::string(key) + " contains U+0000");
      if (member == 2 && !std::is_sorted(s.begin(), s.end(), std::less_equal<char>()))
        return bad("$regularExpression options \"" + std::string(s) + "\" are not sorted and unique");
      (member == 1 ? out.text : out.options).assign(s);
    }
    if (seen != 3) return bad("$regularExpression needs pattern and options");
    out.kind = Kind::kRegex;
    return Status::ok();
  }
  return bad("unknown tag \"" + std::string(tag) + "\"");
}

// Whether the raw (escaped) JSON name at `name`, unterminated, starts with '$' once unescaped.
// Bytes are compared only up to the first that differs, which the closing quote always does.
bool starts_with_dollar(const char* name) {
  if (name[0] == '$') return true;
  static constexpr char kEscapedDollar[] = "\\u0024";
  for (size_t i = 0; i + 1 < sizeof kEscapedDollar; ++i)
    if (name[i] != kEscapedDollar[i]) return false;
  return true;
}

// `start` is where the object's text begins, for a proof.
Status decode_object(simdjson::ondemand::object obj, Value& out, int level, const char* start, CanonicalProof* proof) {
  // A tag is an object with exactly one member whose name starts with '$'. Only objects whose
  // first name starts with '$', or with the escape that spells it ("\u0024"), need counting,
  // so plain documents are read in one pass. The name is judged by its raw bytes: unescaping it
  // here and again as a document's name would take its room in simdjson's string buffer twice,
  // and a long enough name then runs past the buffer's end (found by libFuzzer).
  bool tag_candidate = false;
  {
    auto it = obj.begin();
    if (!it.error()) {
      auto iterator = it.value_unsafe();
      if (iterator != obj.end().value_unsafe()) {
        simdjson::ondemand::field first;
        if (auto err = (*iterator).get(first)) return json_error(err, "an object");
        tag_candidate = starts_with_dollar(first.key().raw());
      }
    }
  }
  if (auto err = obj.reset().error()) return json_error(err, "an object");
  size_t count = 0;
  if (tag_candidate) {
    if (auto err = obj.count_fields().get(count)) return json_error(err, "an object");
  }
  if (count == 1) {
    for (auto field : obj) {
      std::string_view key;
      if (auto err = field.unescaped_key().get(key)) return json_error(err, "a tag");
      std::string tag(key);
      simdjson::ondemand::value payload;
      if (auto err = field.value().get(payload)) return json_error(err, "a tag payload");
      DECANT_TRY(decode_tag(tag, payload, out, level));
      if (proof) prove_tag(start, out, *proof);
      return Status::ok();
    }
    if (auto err = obj.reset().error()) return json_error(err, "an object");
  }
  out.kind = Kind::kDocument;
  DECANT_TRY(decode_document(obj, out.fields, level, proof));
  return check_unique_names(out.fields.data(), out.fields.data() + out.fields.size(), "document");
}

constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

void encode_string(std::string_view text, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  const char* data = text.data();
  size_t size = text.size();
  out += '"';
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = next_to_escape(data, 0, size); i < size; i = next_to_escape(data, i + 1, size)) {
    out.append(data + run, i - run);
    run = i + 1;
    unsigned char c = static_cast<unsigned char>(data[i]);
    char escape[6] = {'\\', 0, '0', '0', 0, 0};  // a two-byte escape, or \u00XX
    size_t length = 2;
    switch (c) {
      case '"': escape[1] = '"'; break;
      case '\\': escape[1] = '\\'; break;
      case '\b': escape[1] = 'b'; break;
      case '\f': escape[1] = 'f'; break;
      case '\n': escape[1] = 'n'; break;
      case '\r': escape[1] = 'r'; break;
      case '\t': escape[1] = 't'; break;
      default:
        escape[1] = 'u';
        escape[4] = kHex[c >> 4];
        escape[5] = kHex[c & 15];
        length = 6;
    }
    out.append(escape, length);
  }
  out.append(data + run, size - run);
  out += '"';
}

void encode_value(const Value& v, std::string& out) {
  switch (v.kind) {
    case Kind::kNull: out += "null"; return;
    case Kind::kBool: out += v.boolean ? "true" : "false"; return;
    case Kind::kInt64:
      if (v.integer >= -kMaxExactInt && v.integer <= kMaxExactInt) {
        append_int(v.integer, out);
      } else {
        out += "{\"$numberLong\":\"";
        append_int(v.integer, out);
        out += "\"}";
      }
      return;
    case Kind::kInt32:
      out += "{\"$numberInt\":\"";
      append_int(v.integer, out);
      out += "\"}";
      return;
    case Kind::kFloat64:
      // jq prints 2.0 as 2 and -0.0 as -0: integral and non-finite values keep their kind in a tag.
      if (std::isfinite(v.real) && v.real != std::trunc(v.real)) {
        append_double_text(v.real, out);
      } else {
        append_tag_string("$numberDouble", double_tag_text(v.real), out);
      }
      return;
    case Kind::kText: encode_string(v.text, out); return;
    case Kind::kRawText:
      // Valid UTF-8 is text whatever the store called it (4.5.6), so writer and reader digest
      // the same encoding.
      if (is_valid_utf8(v.text)) encode_string(v.text, out);
      else append_tag_string("$rawText", base64_encode(v.text), out);
      return;
    case Kind::kBytes: {
      static const char kHex[] = "0123456789abcdef";
      out += "{\"$binary\":{\"base64\":\"";
      out += base64_encode(v.text);
      out += "\",\"subType\":\"";
      out += kHex[v.subtype >> 4];
      out += kHex[v.subtype & 15];
      out += "\"}}";
      return;
    }
    case Kind::kDecimal: append_tag_string("$numberDecimal", v.text, out); return;
    case Kind::kDate: append_tag_string("$localDate", v.text, out); return;
    case Kind::kTime: append_tag_string("$localTime", v.text, out); return;
    case Kind::kTimeTz: append_tag_string("$offsetTime", v.text, out); return;
    case Kind::kTimestamp: append_tag_string("$localDateTime", v.text, out); return;
    case Kind::kTimestampTz: append_tag_string("$offsetDateTime", v.text, out); return;
    case Kind::kUuid: append_tag_string("$uuid", v.text, out); return;
    case Kind::kInterval:
      out += "{\"$interval\":{\"months\":";
      append_int(v.months, out);
      out += ",\"days\":";
      append_int(v.days, out);
      out += ",\"micros\":\"";
      append_int(v.integer, out);
      out += "\"}}";
      return;
    case Kind::kJson:
      out += "{\"$json\":";
      out += v.text;
      out += '}';
      return;
    case Kind::kArray:
      out += '[';
      for (size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ',';
        encode_value(v.items[i], out);
      }
      out += ']';
      return;
    case Kind::kVector:
    case Kind::kHalfVector:
      out += v.kind == Kind::kVector ? "{\"$vector\":[" : "{\"$halfvec\":[";
      for (size_t i = 0; i < v.floats.size(); ++i) {
        if (i) out += ',';
        append_float_text(v.floats[i], out);
      }
      out += "]}";
      return;
    case Kind::kObjectId: append_tag_string("$oid", v.text, out); return;
    case Kind::kCode: append_tag_string("$code", v.text, out); return;
    case Kind::kMinKey: out += "{\"$minKey\":1}"; return;
    case Kind::kMaxKey: out += "{\"$maxKey\":1}"; return;
    case Kind::kDateTime:
      out += "{\"$date\":{\"$numberLong\":\"";
      append_int(v.integer, out);
      out += "\"}}";
      return;
    case Kind::kBsonTimestamp:
      out += "{\"$timestamp\":{\"t\":";
      append_int(static_cast<int64_t>(static_cast<uint64_t>(v.integer) >> 32), out);
      out += ",\"i\":";
      append_int(static_cast<int64_t>(static_cast<uint64_t>(v.integer) & 0xFFFFFFFF), out);
      out += "}}";
      return;
    case Kind::kRegex:
      out += "{\"$regularExpression\":{\"pattern\":";
      encode_string(v.text, out);
      out += ",\"options\":";
      encode_string(v.options, out);
      out += "}}";
      return;
    case Kind::kDocument: {
      bool looks_like_tag = v.fields.size() == 1 && !v.fields[0].name.empty() && v.fields[0].name[0] == '$';
      if (looks_like_tag) out += "{\"$literal\":";
      encode_fields(v.fields.data(), v.fields.data() + v.fields.size(), out);
      if (looks_like_tag) out += '}';
      return;
    }
  }
}

void encode_record(const Record& record, std::string& out) { encode_fields(record.begin(), record.end(), out); }

Status decode_value(simdjson::ondemand::value json, Value& out, int level, CanonicalProof* proof) {
  out.clear();
  json_type type;
  if (auto err = json.type().get(type)) return json_error(err, "a value");
  switch (type) {
    case json_type::null: {
      // is_null() is a simdjson_result: converting it to bool throws on "nul", "nulx", ...
      bool is_null = false;
      if (json.is_null().get(is_null) || !is_null) return bad("malformed null");
      if (proof) proof->length += 4;
      return Status::ok();
    }
    case json_type::boolean:
      out.kind = Kind::kBool;
      if (auto err = json.get_bool().get(out.boolean)) return json_error(err, "a boolean");
      if (proof) proof->length += out.boolean ? 4 : 5;
      return Status::ok();
    case json_type::string: {
      if (proof) prove_string(json.raw_json_token(), *proof);
      std::string_view s;
      if (auto err = json.get_string().get(s)) return json_error(err, "a string");
      out.kind = Kind::kText;
      out.text.assign(s);
      return Status::ok();
    }
    case json_type::number: {
      std::string_view token = json.raw_json_token();
      bool is_float = token.find_first_of(".eE") != std::string_view::npos;
      if (is_float) {
        out.kind = Kind::kFloat64;
        if (auto err = json.get_double().get(out.real)) {
          if (!is_number_text(trim(token), true)) return json_error(err, "a number");
          return bad("number " + std::string(trim(token)) + " is outside the float64 range");
        }
      } else {
        out.kind = Kind::kInt64;
        if (auto err = json.get_int64().get(out.integer)) {
          if (!is_number_text(trim(token), true)) return json_error(err, "a number");
          return bad("integer " + std::string(trim(token)) + " is outside the int64 range");
        }
      }
      if (proof) prove_number(token, out, *proof);
      return Status::ok();
    }
    case json_type::array: {
      if (level > kMaxNestingDepth) return too_deep();
      simdjson::ondemand::array arr;
      if (auto err = json.get_array().get(arr)) return json_error(err, "an array");
      out.kind = Kind::kArray;
      for (auto element : arr) {
        simdjson::ondemand::value item;
        if (auto err = element.get(item)) return json_error(err, "an array");
        out.items.emplace_back();
        DECANT_TRY(decode_value(item, out.items.back(), level + 1, proof));
      }
      if (proof) proof->length += 2 + (out.items.empty() ? 0 : out.items.size() - 1);  // brackets and commas
      return Status::ok();
    }
    case json_type::object: {
      if (level > kMaxNestingDepth) return too_deep();
      const char* start = proof ? json.raw_json_token().data() : nullptr;
      simdjson::ondemand::object obj;
      if (auto err = json.get_object().get(obj)) return json_error(err, "an object");
      return decode_object(obj, out, level, start, proof);
    }
  }
  return bad("unexpected JSON type");
}

Status decode_record(simdjson::ondemand::object json, Record& out, CanonicalProof* proof) {
  out.clear_keep_capacity();
  for (auto member : json) {
    // A malformed member is an error here: calling key() on it would throw.
    simdjson::ondemand::field field;
    if (auto err = std::move(member).get(field)) return json_error(err, "a record field");
    if (proof) prove_key(field.key(), *proof);
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return json_error(err, "a record field name");
    Value& slot = out.add(key);
    simdjson::ondemand::value child = field.value();
    // The record object is level 1, so a field's value sits at level 2. The context frame is
    // built only on failure: this runs for every field of every line.
    if (Status s = decode_value(child, slot, 2, proof); !s)
      return std::move(s).context("field \"" + out[out.size() - 1].name + "\"");
  }
  if (proof) proof->length += 2 + (out.size() ? out.size() - 1 : 0);  // braces and commas
  return check_unique_names(out.begin(), out.end(), "record");
}

Result<Value> decode_value_text(std::string_view json) {
  // Wrapped in an array: On-Demand cannot hand out a scalar document as a value.
  std::string wrapped = "[" + std::string(json) + "]";
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(wrapped);
  simdjson::ondemand::document doc;
  simdjson::ondemand::array array;
  if (auto err = parser.iterate(padded).get(doc)) return json_error(err, "a value");
  if (auto err = doc.get_array().get(array)) return json_error(err, "a value");
  Value out;
  size_t count = 0;
  for (auto element : array) {
    simdjson::ondemand::value v;
    if (auto err = element.get(v)) return json_error(err, "a value");
    if (count++) return bad("more than one value");
    DECANT_TRY(decode_value(v, out));
  }
  if (count == 0) return bad("no value");
  // current_location() fails with OUT_OF_BOUNDS exactly when the whole input was consumed.
  if (!doc.current_location().error()) return bad("trailing content after a value");
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kBase64Alphabet[n >> 18];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += kBase64Alphabet[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= uint8_t(bytes[i + 1]) << 8;
    out += kBase64Alphabet[n >> 18];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kBase64Alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

bool base64_decode(std::string_view text, std::string& out) {
  // Sextet value per byte; 64 marks a byte outside the alphabet, '=' included.
  static constexpr std::array<uint8_t, 256> kSextet = [] {
    std::array<uint8_t, 256> table{};
    table.fill(64);
    for (uint8_t i = 0; i < 64; ++i) table[static_cast<uint8_t>(kBase64Alphabet[i])] = i;
    return table;
  }();
  out.clear();
  if (text.size() % 4 != 0) return false;
  size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  size_t full = text.size() / 4 - (padding ? 1 : 0);
  out.resize(full * 3 + (padding ? 3 - padding : 0));
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  char* o = out.data();
  unsigned invalid = 0;  // collects bit 6 of every sextet
  for (size_t q = 0; q < full; ++q, in += 4, o += 3) {
    unsigned a = kSextet[in[0]], b = kSextet[in[1]], c = kSextet[in[2]], d = kSextet[in[3]];
    invalid |= a | b | c | d;
    uint32_t n = a << 18 | b << 12 | c << 6 | d;
    o[0] = static_cast<char>(n >> 16);
    o[1] = static_cast<char>(n >> 8);
    o[2] = static_cast<char>(n);
  }
  if (padding) {
    unsigned a = kSextet[in[0]], b = kSextet[in[1]], c = padding == 1 ? kSextet[in[2]] : 0;
    invalid |= a | b | c;
    // The unused low bits of the last symbol must be zero: "QQ==" is valid, "QR==" is not.
    if ((padding == 2 ? b & 0x0f : c & 0x03) != 0) return false;
    o[0] = static_cast<char>(a << 2 | b >> 4);
    if (padding == 1) o[1] = static_cast<char>((b & 0x0f) << 4 | c >> 2);
  }
  return (invalid & 64) == 0;
}

}  // namespace decant
