#include "format/value_codec.h"
#include "format/value_decode.h"

#include <charconv>
#include <cmath>
#include <cstring>

namespace decant {

namespace {

using simdjson::ondemand::json_type;

constexpr int64_t kMaxExactInt = (int64_t{1} << 53) - 1;

// Characters that the canonical form escapes: '"', '\\' and U+0000..U+001F.
constexpr bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

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

// The $numberDouble payload: the shortest round-trip text, with ".0" added when it would
// otherwise read as an integer.
std::string double_tag_text(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  std::string text;
  append_double_text(d, text);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
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

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Canonical integer text: optional '-', digits, no leading zeros, no "-0".
bool parse_canonical_int(std::string_view s, int64_t& out) {
  std::string_view digits = s.substr(!s.empty() && s[0] == '-' ? 1 : 0);
  if (!all_digits(digits) || (digits.size() > 1 && digits[0] == '0') || s == "-0") return false;
  auto res = std::from_chars(s.data(), s.data() + s.size(), out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

bool parse_decimal_text(std::string_view s) {
  if (s == "NaN" || s == "Infinity" || s == "-Infinity") return true;
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  bool int_digits = i > start;
  bool frac_digits = false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t fs = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    frac_digits = i > fs;
  }
  if (!int_digits && !frac_digits) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t es = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == es) return false;
  }
  return i == s.size();
}

bool digits_at(std::string_view s, size_t pos, size_t n) {
  return pos + n <= s.size() && all_digits(s.substr(pos, n));
}

// YYYY-MM-DD with an optionally signed, possibly longer year. Returns the length consumed.
size_t match_date(std::string_view s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  size_t ys = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
  if (i - ys < 4) return 0;
  if (!(i + 6 <= s.size() && s[i] == '-' && digits_at(s, i + 1, 2) && s[i + 3] == '-' && digits_at(s, i + 4, 2)))
    return 0;
  int month = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
  int day = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
  if (month < 1 || month > 12 || day < 1 || day > 31) return 0;
  return i + 6;
}

// HH:MM:SS[.f{1,9}]
size_t match_time(std::string_view s) {
  if (!(digits_at(s, 0, 2) && s.size() >= 8 && s[2] == ':' && digits_at(s, 3, 2) && s[5] == ':' && digits_at(s, 6, 2)))
    return 0;
  int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0'),
      sec = (s[6] - '0') * 10 + (s[7] - '0');
  if (h > 24 || m > 59 || sec > 60) return 0;
  size_t i = 8;
  if (i < s.size() && s[i] == '.') {
    size_t fs = ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == fs || i - fs > 9) return 0;
  }
  return i;
}

// +HH:MM or +HH:MM:SS (or '-')
size_t match_offset(std::string_view s) {
  if (s.size() < 6 || (s[0] != '+' && s[0] != '-') || !digits_at(s, 1, 2) || s[3] != ':' || !digits_at(s, 4, 2))
    return 0;
  if (s.size() >= 9 && s[6] == ':' && digits_at(s, 7, 2)) return 9;
  return 6;
}

bool valid_temporal(Kind kind, std::string_view s) {
  bool infinite = s == "infinity" || s == "-infinity";
  switch (kind) {
    case Kind::kDate: return infinite || (match_date(s) == s.size() && !s.empty());
    case Kind::kTime: return match_time(s) == s.size() && !s.empty();
    case Kind::kTimeTz: {
      size_t t = match_time(s);
      return t && t + match_offset(s.substr(t)) == s.size() && match_offset(s.substr(t));
    }
    case Kind::kTimestamp:
    case Kind::kTimestampTz: {
      if (infinite) return true;
      size_t d = match_date(s);
      if (!d || d >= s.size() || s[d] != 'T') return false;
      size_t t = match_time(s.substr(d + 1));
      if (!t) return false;
      size_t end = d + 1 + t;
      if (kind == Kind::kTimestamp) return end == s.size();
      size_t o = match_offset(s.substr(end));
      return o && end + o == s.size();
    }
    default: return false;
  }
}

bool valid_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    char c = s[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
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

Status decode_float_array(simdjson::ondemand::value v, std::string_view tag, std::vector<float>& out) {
  simdjson::ondemand::array arr;
  if (v.get_array().get(arr)) return bad(std::string(tag) + " payload must be an array of numbers");
  for (auto element : arr) {
    simdjson::ondemand::value item;
    if (element.get(item)) return bad(std::string(tag) + ": malformed array");
    json_type type;
    if (item.type().get(type)) return bad(std::string(tag) + ": malformed element");
    if (type == json_type::string) {
      std::string_view s;
      if (item.get_string().get(s)) return bad(std::string(tag) + ": malformed element");
      if (s == "NaN") out.push_back(NAN);
      else if (s == "Infinity") out.push_back(INFINITY);
      else if (s == "-Infinity") out.push_back(-INFINITY);
      else return bad(std::string(tag) + ": element \"" + std::string(s) + "\" is not a number");
      continue;
    }
    double d;
    if (item.get_double().get(d)) return bad(std::string(tag) + ": elements must be numbers");
    out.push_back(static_cast<float>(d));
  }
  return Status::ok();
}

Status canonical_json(simdjson::ondemand::value v, std::string& out, int depth);

Status canonical_json_object(simdjson::ondemand::object obj, std::string& out, int depth) {
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
    DECANT_TRY(canonical_json(child, out, depth + 1));
  }
  out += '}';
  return Status::ok();
}

// Re-serialises arbitrary JSON canonically: no whitespace, members in order, canonical string
// escaping, numbers as their exact source text.
Status canonical_json(simdjson::ondemand::value v, std::string& out, int depth) {
  if (depth > kMaxNestingDepth) return bad("nesting deeper than " + std::to_string(kMaxNestingDepth) + " levels");
  json_type type;
  if (auto err = v.type().get(type)) return json_error(err, "$json");
  switch (type) {
    case json_type::object: {
      simdjson::ondemand::object obj;
      if (auto err = v.get_object().get(obj)) return json_error(err, "$json");
      return canonical_json_object(obj, out, depth);
    }
    case json_type::array: {
      simdjson::ondemand::array arr;
      if (auto err = v.get_array().get(arr)) return json_error(err, "$json");
      out += '[';
      bool first = true;
      for (auto element : arr) {
        simdjson::ondemand::value item;
        if (auto err = element.get(item)) return json_error(err, "$json");
        if (!first) out += ',';
        first = false;
        DECANT_TRY(canonical_json(item, out, depth + 1));
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
      // Validate the number, keep its text.
      simdjson::ondemand::number n;
      if (auto err = v.get_number().get(n)) return json_error(err, "$json number");
      out += trim(v.raw_json_token());
      return Status::ok();
    }
    case json_type::boolean: {
      bool b;
      if (auto err = v.get_bool().get(b)) return json_error(err, "$json");
      out += b ? "true" : "false";
      return Status::ok();
    }
    case json_type::null: {
      if (!v.is_null()) return bad("malformed null in $json");
      out += "null";
      return Status::ok();
    }
  }
  return bad("unexpected JSON type in $json");
}

Status decode_document(simdjson::ondemand::object obj, std::vector<Field>& fields, int depth) {
  for (auto field : obj) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return json_error(err, "a document key");
    fields.emplace_back();
    fields.back().name.assign(key);
    simdjson::ondemand::value child;
    if (auto err = field.value().get(child)) return json_error(err, "a document value");
    DECANT_TRY(decode_value(child, fields.back().value, depth + 1).context(std::string(key)));
  }
  return Status::ok();
}

Status decode_tag(std::string_view tag, simdjson::ondemand::value payload, Value& out, int depth) {
  for (const TagInfo& t : kStringTags) {
    if (tag != t.name) continue;
    std::string_view s;
    DECANT_TRY(get_string(payload, tag, s));
    bool valid = t.kind == Kind::kDecimal ? parse_decimal_text(s)
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
    if (s == "NaN") out.real = NAN;
    else if (s == "Infinity") out.real = INFINITY;
    else if (s == "-Infinity") out.real = -INFINITY;
    else {
      auto res = std::from_chars(s.data(), s.data() + s.size(), out.real);
      if (res.ec != std::errc() || res.ptr != s.data() + s.size() || !parse_decimal_text(s))
        return bad("malformed $numberDouble payload \"" + std::string(s) + "\"");
    }
    return Status::ok();
  }
  if (tag == "$rawText") {
    std::string_view s;
    DECANT_TRY(get_string(payload, tag, s));
    out.kind = Kind::kRawText;
    if (!base64_decode(s, out.text)) return bad("malformed base64 in $rawText");
    return Status::ok();
  }
  if (tag == "$binary") {
    simdjson::ondemand::object obj;
    if (payload.get_object().get(obj)) return bad("$binary payload must be an object");
    bool have_data = false, have_subtype = false;
    for (auto field : obj) {
      std::string_view key, s;
      if (field.unescaped_key().get(key)) return bad("malformed $binary");
      simdjson::ondemand::value member;
      if (field.value().get(member) || member.get_string().get(s))
        return bad("$binary members must be strings");
      if (key == "base64") {
        if (!base64_decode(s, out.text)) return bad("malformed base64 in $binary");
        have_data = true;
      } else if (key == "subType") {
        unsigned sub = 0;
        auto res = std::from_chars(s.data(), s.data() + s.size(), sub, 16);
        if (s.empty() || s.size() > 2 || res.ptr != s.data() + s.size() || sub > 0xff)
          return bad("malformed $binary subType \"" + std::string(s) + "\"");
        out.subtype = static_cast<uint8_t>(sub);
        have_subtype = true;
      } else {
        return bad("unexpected member \"" + std::string(key) + "\" in $binary");
      }
    }
    if (!have_data || !have_subtype) return bad("$binary needs base64 and subType");
    out.kind = Kind::kBytes;
    return Status::ok();
  }
  if (tag == "$interval") {
    simdjson::ondemand::object obj;
    if (payload.get_object().get(obj)) return bad("$interval payload must be an object");
    int seen = 0;
    for (auto field : obj) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return bad("malformed $interval");
      simdjson::ondemand::value member;
      if (field.value().get(member)) return bad("malformed $interval");
      if (key == "micros") {
        std::string_view s;
        if (member.get_string().get(s) || !parse_canonical_int(s, out.integer))
          return bad("$interval micros must be an integer string");
        seen |= 1;
      } else if (key == "months" || key == "days") {
        int64_t i;
        if (member.get_int64().get(i) || i < INT32_MIN || i > INT32_MAX)
          return bad("$interval " + std::string(key) + " must be a 32-bit integer");
        (key == "months" ? out.months : out.days) = static_cast<int32_t>(i);
        seen |= key == "months" ? 2 : 4;
      } else {
        return bad("unexpected member \"" + std::string(key) + "\" in $interval");
      }
    }
    if (seen != 7) return bad("$interval needs months, days and micros");
    out.kind = Kind::kInterval;
    return Status::ok();
  }
  if (tag == "$json") {
    out.kind = Kind::kJson;
    return canonical_json(payload, out.text, depth + 1);
  }
  if (tag == "$vector" || tag == "$halfvec") {
    out.kind = tag == "$vector" ? Kind::kVector : Kind::kHalfVector;
    return decode_float_array(payload, tag, out.floats);
  }
  if (tag == "$literal") {
    simdjson::ondemand::object obj;
    if (payload.get_object().get(obj)) return bad("$literal payload must be an object");
    out.kind = Kind::kDocument;
    return decode_document(obj, out.fields, depth);
  }
  return bad("unknown tag \"" + std::string(tag) + "\"");
}

Status decode_object(simdjson::ondemand::object obj, Value& out, int depth) {
  // A tag is an object with exactly one member whose name starts with '$'. Only such objects
  // need counting, so plain documents are read in one pass.
  size_t count = 0;
  bool tag_candidate = false;
  {
    auto it = obj.begin();
    if (!it.error()) {
      auto iterator = it.value_unsafe();
      if (iterator != obj.end().value_unsafe()) {
        simdjson::ondemand::field first;
        if (auto err = (*iterator).get(first)) return json_error(err, "an object");
        std::string_view raw = first.key().raw();
        tag_candidate = !raw.empty() && raw[0] == '$';
      }
    }
  }
  if (auto err = obj.reset().error()) return json_error(err, "an object");
  if (tag_candidate) {
    if (auto err = obj.count_fields().get(count)) return json_error(err, "an object");
  }
  if (tag_candidate && count == 1) {
    for (auto field : obj) {
      std::string_view key;
      if (auto err = field.unescaped_key().get(key)) return json_error(err, "a tag");
      std::string tag(key);
      simdjson::ondemand::value payload;
      if (auto err = field.value().get(payload)) return json_error(err, "a tag payload");
      return decode_tag(tag, payload, out, depth);
    }
  }
  out.kind = Kind::kDocument;
  return decode_document(obj, out.fields, depth);
}

const char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

void encode_string(std::string_view text, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (!needs_escape(c)) continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(text.data() + run, text.size() - run);
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
    case Kind::kRawText: append_tag_string("$rawText", base64_encode(v.text), out); return;
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

Status decode_value(simdjson::ondemand::value json, Value& out, int depth) {
  if (depth > kMaxNestingDepth)
    return bad("nesting deeper than " + std::to_string(kMaxNestingDepth) + " levels");
  out.clear();
  json_type type;
  if (auto err = json.type().get(type)) return json_error(err, "a value");
  switch (type) {
    case json_type::null:
      if (!json.is_null()) return bad("malformed null");
      return Status::ok();
    case json_type::boolean:
      out.kind = Kind::kBool;
      if (auto err = json.get_bool().get(out.boolean)) return json_error(err, "a boolean");
      return Status::ok();
    case json_type::string: {
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
        if (auto err = json.get_double().get(out.real)) return json_error(err, "a number");
      } else {
        out.kind = Kind::kInt64;
        if (json.get_int64().get(out.integer))
          return bad("integer " + std::string(trim(token)) + " is outside the int64 range");
      }
      return Status::ok();
    }
    case json_type::array: {
      simdjson::ondemand::array arr;
      if (auto err = json.get_array().get(arr)) return json_error(err, "an array");
      out.kind = Kind::kArray;
      for (auto element : arr) {
        simdjson::ondemand::value item;
        if (auto err = element.get(item)) return json_error(err, "an array");
        out.items.emplace_back();
        DECANT_TRY(decode_value(item, out.items.back(), depth + 1));
      }
      return Status::ok();
    }
    case json_type::object: {
      simdjson::ondemand::object obj;
      if (auto err = json.get_object().get(obj)) return json_error(err, "an object");
      return decode_object(obj, out, depth);
    }
  }
  return bad("unexpected JSON type");
}

Status decode_record(simdjson::ondemand::object json, Record& out) {
  out.clear_keep_capacity();
  for (auto field : json) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key)) return json_error(err, "a record field name");
    Value& slot = out.add(key);
    simdjson::ondemand::value child;
    if (auto err = field.value().get(child)) return json_error(err, "a record field");
    DECANT_TRY(decode_value(child, slot, 1).context("field \"" + std::string(key) + "\""));
  }
  return Status::ok();
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
  out.clear();
  if (text.size() % 4 != 0) return false;
  auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int a = sextet(text[i]), b = sextet(text[i + 1]);
    bool last = i + 4 == text.size();
    int c = (last && text[i + 2] == '=') ? -2 : sextet(text[i + 2]);
    int d = (last && text[i + 3] == '=') ? -2 : sextet(text[i + 3]);
    if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2)) return false;
    uint32_t n = (a << 18) | (b << 12) | ((c < 0 ? 0 : c) << 6) | (d < 0 ? 0 : d);
    out += char(n >> 16);
    if (c >= 0) out += char((n >> 8) & 0xff);
    if (d >= 0) out += char(n & 0xff);
  }
  return true;
}

}  // namespace decant
