#include "backends/postgres_types.h"

#include <charconv>
#include <functional>
#include <cmath>
#include <cstring>
#include <limits>

#include "format/value_codec.h"

namespace decant {

namespace {

using pg_wire::i16;
using pg_wire::i32;
using pg_wire::i64;

constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000000;
constexpr int64_t kDaysFrom1970To2000 = 10957;

// ---------------------------------------------------------------- type resolution

PgBase builtin_base(uint32_t oid) {
  switch (oid) {
    case 16: return PgBase::kBool;
    case 17: return PgBase::kBytea;
    case 20: return PgBase::kInt8;
    case 21: return PgBase::kInt2;
    case 23: return PgBase::kInt4;
    case 26: return PgBase::kOid;
    case 18:    // "char"
    case 19:    // name
    case 25:    // text
    case 1042:  // bpchar
    case 1043:  // varchar
      return PgBase::kText;
    case 114: return PgBase::kJson;
    case 700: return PgBase::kFloat4;
    case 701: return PgBase::kFloat8;
    case 1082: return PgBase::kDate;
    case 1083: return PgBase::kTime;
    case 1114: return PgBase::kTimestamp;
    case 1184: return PgBase::kTimestampTz;
    case 1186: return PgBase::kInterval;
    case 1266: return PgBase::kTimeTz;
    case 1700: return PgBase::kNumeric;
    case 2950: return PgBase::kUuid;
    case 3802: return PgBase::kJsonb;
    default: return PgBase::kOther;
  }
}

const char* logical_of(PgBase base) {
  switch (base) {
    case PgBase::kBool: return "bool";
    case PgBase::kInt2:
    case PgBase::kInt4: return "int32";
    case PgBase::kInt8:
    case PgBase::kOid: return "int64";
    case PgBase::kFloat4: return "float32";
    case PgBase::kFloat8: return "float64";
    case PgBase::kNumeric: return "decimal";
    case PgBase::kBytea: return "bytes";
    case PgBase::kDate: return "date";
    case PgBase::kTime: return "time";
    case PgBase::kTimeTz: return "timetz";
    case PgBase::kTimestamp: return "timestamp";
    case PgBase::kTimestampTz: return "timestamptz";
    case PgBase::kInterval: return "interval";
    case PgBase::kUuid: return "uuid";
    case PgBase::kJson:
    case PgBase::kJsonb: return "json";
    case PgBase::kVector: return "vector";
    case PgBase::kHalfVec: return "halfvec";
    default: return "text";
  }
}

// ---------------------------------------------------------------- dates and times

void civil_from_days(int64_t z, int64_t& year, int& month, int& day) {
  z += 719468;  // days from 0000-03-01 to 1970-01-01 (H. Hinnant's civil_from_days)
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  year = yoe + era * 400 + (month <= 2);
}

void append_padded(std::string& out, int64_t value, int width) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  for (int i = static_cast<int>(end - buf); i < width; ++i) out += '0';
  out.append(buf, end);
}

void append_date(std::string& out, int64_t days_since_1970) {
  int64_t year;
  int month, day;
  civil_from_days(days_since_1970, year, month, day);
  if (year < 0) out += '-';
  append_padded(out, year < 0 ? -year : year, 4);
  out += '-';
  append_padded(out, month, 2);
  out += '-';
  append_padded(out, day, 2);
}

// HH:MM:SS and a fraction of at most 6 digits without trailing zeros; micros in [0, 24h].
void append_time(std::string& out, int64_t micros) {
  int64_t seconds = micros / 1000000, fraction = micros % 1000000;
  append_padded(out, seconds / 3600, 2);
  out += ':';
  append_padded(out, seconds / 60 % 60, 2);
  out += ':';
  append_padded(out, seconds % 60, 2);
  if (fraction) {
    char digits[7];
    for (int i = 5; i >= 0; --i, fraction /= 10) digits[i] = static_cast<char>('0' + fraction % 10);
    int length = 6;
    while (digits[length - 1] == '0') --length;
    out += '.';
    out.append(digits, static_cast<size_t>(length));
  }
}

// SPEC's OFFSET: +HH:MM, seconds only when not zero, "+00:00" for zero.
void append_offset(std::string& out, int32_t seconds_east) {
  out += seconds_east < 0 ? '-' : '+';
  int32_t a = seconds_east < 0 ? -seconds_east : seconds_east;
  append_padded(out, a / 3600, 2);
  out += ':';
  append_padded(out, a / 60 % 60, 2);
  if (a % 60) {
    out += ':';
    append_padded(out, a % 60, 2);
  }
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

float half_to_float(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  int exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  float magnitude;
  if (exponent == 0) magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31) magnitude = mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  return sign ? -magnitude : magnitude;
}

// ---------------------------------------------------------------- JSON text

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

bool hex4(std::string_view s, size_t at, uint32_t& out) {
  if (at + 4 > s.size()) return false;
  out = 0;
  for (size_t i = at; i < at + 4; ++i) {
    char c = s[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0) return false;
    out = out * 16 + uint32_t(v);
  }
  return true;
}

// Unescapes the JSON string body s[begin, end) into `out`; false on a malformed escape.
bool unescape_json_string(std::string_view s, std::string& out) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i >= s.size()) return false;
    switch (s[i]) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        uint32_t cp;
        if (!hex4(s, i + 1, cp)) return false;
        i += 4;
        if (cp >= 0xd800 && cp < 0xdc00) {
          uint32_t low;
          if (i + 2 >= s.size() || s[i + 1] != '\\' || s[i + 2] != 'u' || !hex4(s, i + 3, low) || low < 0xdc00 ||
              low >= 0xe000)
            return false;
          i += 6;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        } else if (cp >= 0xdc00 && cp < 0xe000) {
          return false;
        }
        append_utf8(out, cp);
        break;
      }
      default: return false;
    }
  }
  return true;
}

// The canonical form (SPEC 4.5.11) of JSON text that PostgreSQL has already validated: no
// insignificant whitespace, strings re-escaped per 5.2, number tokens kept. jsonb output needs
// only the whitespace removed; json text may hold any escapes.
Status canonical_json_text(std::string_view in, std::string& out, int max_depth) {
  int depth = 0;
  std::string scratch;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    switch (c) {
      case ' ': case '\t': case '\n': case '\r': break;
      case '{': case '[':
        if (++depth > max_depth)
          return Status::source("a JSON value nested deeper than the archive's limit of " +
                                std::to_string(kMaxNestingDepth) + " levels");
        out += c;
        break;
      case '}': case ']': --depth; out += c; break;
      case '"': {
        size_t end = i + 1;
        bool escaped = false;
        while (end < in.size() && in[end] != '"') {
          if (in[end] == '\\') { escaped = true; ++end; }
          ++end;
        }
        if (end >= in.size()) return Status::source("malformed JSON text: unterminated string");
        std::string_view body = in.substr(i + 1, end - i - 1);
        if (!escaped) {
          out += '"';
          out.append(body);
          out += '"';
        } else {
          scratch.clear();
          if (!unescape_json_string(body, scratch)) return Status::source("malformed JSON text: bad string escape");
          encode_string(scratch, out);
        }
        i = end;
        break;
      }
      default: out += c;
    }
  }
  return Status::ok();
}

// ---------------------------------------------------------------- binary decoding

// A column the sink marked as holding archive encodings (SPEC 11.2): the original value.
Status decode_encoded(std::string_view text, Value& out) {
  Result<Value> decoded = decode_value_text(text);
  if (!decoded) return Status::source("a column of archive-encoded values holds " + decoded.status().message());
  out = std::move(decoded.value());
  return Status::ok();
}

Status short_field(const char* what) { return Status::source(std::string("malformed binary ") + what + " value"); }

Status decode_array(const PgColumnDecoder& element, std::string_view data, Value& out, int max_depth) {
  if (data.size() < 12) return short_field("array");
  int32_t ndim = i32(data.data());
  if (ndim < 0 || ndim > 6) return short_field("array");
  out.kind = Kind::kArray;
  out.items.clear();
  if (ndim == 0) return Status::ok();
  if (ndim >= max_depth) return Status::source("an array nested deeper than the archive allows");
  size_t pos = 12;
  if (data.size() < pos + size_t(ndim) * 8) return short_field("array");
  std::vector<int32_t> dims(static_cast<size_t>(ndim));
  for (int d = 0; d < ndim; ++d) {
    dims[size_t(d)] = i32(data.data() + pos);
    int32_t lower = i32(data.data() + pos + 4);
    if (lower != 1)
      return Status::source("an array whose lower bound is " + std::to_string(lower) +
                            ", not 1, cannot be represented in the archive (SPEC 4.5.12)");
    pos += 8;
  }
  // Elements come in row-major order: fill the nested arrays depth first.
  Status failure = Status::ok();
  auto read_element = [&](Value& target) -> bool {
    if (pos + 4 > data.size()) { failure = short_field("array"); return false; }
    int32_t length = i32(data.data() + pos);
    pos += 4;
    if (length < 0) { target.kind = Kind::kNull; return true; }
    if (pos + size_t(length) > data.size()) { failure = short_field("array"); return false; }
    Status s = pg_decode_binary(element, data.substr(pos, size_t(length)), target);
    pos += size_t(length);
    if (!s) { failure = std::move(s); return false; }
    return true;
  };
  std::function<bool(Value&, int)> fill = [&](Value& parent, int d) -> bool {
    parent.kind = Kind::kArray;
    parent.items.resize(size_t(dims[size_t(d)]));
    for (Value& child : parent.items) {
      child.clear();
      if (d + 1 == ndim) {
        if (!read_element(child)) return false;
      } else if (!fill(child, d + 1)) {
        return false;
      }
    }
    return true;
  };
  if (!fill(out, 0)) return failure;
  return Status::ok();
}

}  // namespace

// ---------------------------------------------------------------- public

Result<std::shared_ptr<const PgType>> PgTypeCache::resolve(PGconn* conn, uint32_t oid, Side side) {
  auto found = types_.find(oid);
  if (found != types_.end()) return found->second;
  Result<PgResult> row = pg_query(conn,
      "SELECT t.typtype, t.typcategory, t.typelem, t.typbasetype, (SELECT p.proname FROM pg_proc p WHERE p.oid = t.typsend),"
      "       format_type(t.oid, NULL)"
      " FROM pg_type t WHERE t.oid = $1",
      side, {std::to_string(oid)});
  if (!row) return row.take_status();
  if (PQntuples(row->get()) != 1) return Status::error(side, "unknown type oid " + std::to_string(oid));
  auto type = std::make_shared<PgType>();
  type->oid = oid;
  type->base_oid = oid;
  type->typtype = pg_cell(row->get(), 0, 0)[0];
  char category = pg_cell(row->get(), 0, 1)[0];
  uint32_t element = static_cast<uint32_t>(std::stoul(std::string(pg_cell(row->get(), 0, 2))));
  uint32_t base = static_cast<uint32_t>(std::stoul(std::string(pg_cell(row->get(), 0, 3))));
  std::string send(pg_cell(row->get(), 0, 4));
  type->name = pg_cell(row->get(), 0, 5);
  if (type->typtype == 'd') {
    Result<std::shared_ptr<const PgType>> over = resolve(conn, base, side);
    if (!over) return over.take_status();
    type->base = (*over)->base;
    type->element = (*over)->element;
    type->base_oid = (*over)->base_oid;
  } else if (category == 'A' && element != 0) {
    Result<std::shared_ptr<const PgType>> inner = resolve(conn, element, side);
    if (!inner) return inner.take_status();
    type->base = PgBase::kArray;
    type->element = *inner;
  } else if (send == "vector_send" || send == "halfvec_send") {
    type->base = send == "vector_send" ? PgBase::kVector : PgBase::kHalfVec;
  } else {
    type->base = type->typtype == 'b' ? builtin_base(oid) : PgBase::kOther;
  }
  types_[oid] = type;
  return std::shared_ptr<const PgType>(type);
}

std::string pg_logical_type(const PgType& type) {
  if (type.base == PgBase::kArray && type.element) {
    const PgType* inner = type.element.get();
    while (inner->base == PgBase::kArray && inner->element) inner = inner->element.get();
    return std::string("array<") + logical_of(inner->base) + ">";
  }
  return logical_of(type.base);
}

PgColumnDecoder pg_decoder_for(const PgType& type, bool encoded) {
  PgColumnDecoder decoder;
  decoder.wire = type.base;
  decoder.encoded = encoded && (type.base == PgBase::kJson || type.base == PgBase::kText);
  if (type.base == PgBase::kArray && type.element)
    decoder.element = std::make_shared<PgColumnDecoder>(pg_decoder_for(*type.element, false));
  return decoder;
}

std::string pg_select_expression(const PgColumnDecoder& decoder, const std::string& column) {
  std::string quoted = pg_quote_ident(column);
  if (decoder.wire == PgBase::kNumeric || decoder.wire == PgBase::kOther) return quoted + "::text";
  if (decoder.wire == PgBase::kArray && decoder.element &&
      (decoder.element->wire == PgBase::kNumeric || decoder.element->wire == PgBase::kOther))
    return quoted + "::text[]";
  return quoted;
}

Status pg_decode_binary(const PgColumnDecoder& decoder, std::string_view data, Value& out) {
  const char* p = data.data();
  auto need = [&](size_t n, const char* what) { return data.size() == n ? Status::ok() : short_field(what); };
  switch (decoder.wire) {
    case PgBase::kBool:
      DECANT_TRY(need(1, "bool"));
      out.kind = Kind::kBool;
      out.boolean = p[0] != 0;
      return Status::ok();
    case PgBase::kInt2:
      DECANT_TRY(need(2, "int2"));
      out.kind = Kind::kInt64;
      out.integer = i16(p);
      return Status::ok();
    case PgBase::kInt4:
      DECANT_TRY(need(4, "int4"));
      out.kind = Kind::kInt64;
      out.integer = i32(p);
      return Status::ok();
    case PgBase::kOid:
      DECANT_TRY(need(4, "oid"));
      out.kind = Kind::kInt64;
      out.integer = static_cast<uint32_t>(i32(p));
      return Status::ok();
    case PgBase::kInt8:
      DECANT_TRY(need(8, "int8"));
      out.kind = Kind::kInt64;
      out.integer = i64(p);
      return Status::ok();
    case PgBase::kFloat4: {
      DECANT_TRY(need(4, "float4"));
      uint32_t bits = static_cast<uint32_t>(i32(p));
      float f;
      std::memcpy(&f, &bits, 4);
      out.kind = Kind::kFloat64;
      out.real = std::isnan(f) ? std::numeric_limits<double>::quiet_NaN() : static_cast<double>(f);
      return Status::ok();
    }
    case PgBase::kFloat8: {
      DECANT_TRY(need(8, "float8"));
      uint64_t bits = static_cast<uint64_t>(i64(p));
      std::memcpy(&out.real, &bits, 8);
      if (std::isnan(out.real)) out.real = std::numeric_limits<double>::quiet_NaN();
      out.kind = Kind::kFloat64;
      return Status::ok();
    }
    case PgBase::kNumeric:
      out.kind = Kind::kDecimal;
      out.text.assign(data);
      return Status::ok();
    case PgBase::kText:
      if (decoder.encoded) return decode_encoded(data, out);
      [[fallthrough]];
    case PgBase::kOther:
      // A SQL_ASCII database can hand out any bytes as text.
      out.kind = is_valid_utf8(data) ? Kind::kText : Kind::kRawText;
      out.text.assign(data);
      return Status::ok();
    case PgBase::kBytea:
      out.kind = Kind::kBytes;
      out.subtype = 0;
      out.text.assign(data);
      return Status::ok();
    case PgBase::kDate: {
      DECANT_TRY(need(4, "date"));
      int32_t days = i32(p);
      out.kind = Kind::kDate;
      out.text = pg_date_text(days);
      return Status::ok();
    }
    case PgBase::kTime:
      DECANT_TRY(need(8, "time"));
      out.kind = Kind::kTime;
      out.text.clear();
      append_time(out.text, i64(p));
      return Status::ok();
    case PgBase::kTimeTz:
      DECANT_TRY(need(12, "timetz"));
      out.kind = Kind::kTimeTz;
      out.text.clear();
      append_time(out.text, i64(p));
      append_offset(out.text, -i32(p + 8));  // PostgreSQL counts seconds west of UTC
      return Status::ok();
    case PgBase::kTimestamp:
    case PgBase::kTimestampTz: {
      DECANT_TRY(need(8, "timestamp"));
      bool zoned = decoder.wire == PgBase::kTimestampTz;
      out.kind = zoned ? Kind::kTimestampTz : Kind::kTimestamp;
      out.text = pg_timestamp_text(i64(p), zoned);
      return Status::ok();
    }
    case PgBase::kInterval:
      DECANT_TRY(need(16, "interval"));
      out.kind = Kind::kInterval;
      out.integer = i64(p);
      out.days = i32(p + 8);
      out.months = i32(p + 12);
      return Status::ok();
    case PgBase::kUuid: {
      DECANT_TRY(need(16, "uuid"));
      static const char kHex[] = "0123456789abcdef";
      out.kind = Kind::kUuid;
      out.text.clear();
      for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.text += '-';
        out.text += kHex[uint8_t(p[i]) >> 4];
        out.text += kHex[uint8_t(p[i]) & 15];
      }
      return Status::ok();
    }
    case PgBase::kJson:
    case PgBase::kJsonb: {
      std::string_view text = data;
      if (decoder.wire == PgBase::kJsonb) {
        if (text.empty() || text[0] != 1) return short_field("jsonb");
        text.remove_prefix(1);
      }
      if (decoder.encoded) return decode_encoded(text, out);
      out.kind = Kind::kJson;
      out.text.clear();
      // Record level 1 and the $json tag level 2: the payload starts at level 3.
      return canonical_json_text(text, out.text, kMaxNestingDepth - 2);
    }
    case PgBase::kVector:
    case PgBase::kHalfVec: {
      bool half = decoder.wire == PgBase::kHalfVec;
      if (data.size() < 4) return short_field("vector");
      size_t dim = static_cast<uint16_t>(i16(p));
      DECANT_TRY(need(4 + dim * (half ? 2 : 4), "vector"));
      out.kind = half ? Kind::kHalfVector : Kind::kVector;
      out.floats.resize(dim);
      for (size_t i = 0; i < dim; ++i) {
        if (half) {
          out.floats[i] = half_to_float(static_cast<uint16_t>(i16(p + 4 + 2 * i)));
        } else {
          uint32_t bits = static_cast<uint32_t>(i32(p + 4 + 4 * i));
          std::memcpy(&out.floats[i], &bits, 4);
        }
      }
      return Status::ok();
    }
    case PgBase::kArray:
      if (!decoder.element) return Status::internal("array decoder without an element");
      return decode_array(*decoder.element, data, out, kMaxNestingDepth - 1);
  }
  return Status::internal("unhandled PostgreSQL type");
}

std::string pg_date_text(int32_t days) {
  if (days == std::numeric_limits<int32_t>::max()) return "infinity";
  if (days == std::numeric_limits<int32_t>::min()) return "-infinity";
  std::string text;
  append_date(text, int64_t(days) + kDaysFrom1970To2000);
  return text;
}

std::string pg_timestamp_text(int64_t micros, bool with_offset) {
  if (micros == std::numeric_limits<int64_t>::max()) return "infinity";
  if (micros == std::numeric_limits<int64_t>::min()) return "-infinity";
  int64_t days = floor_div(micros, kMicrosPerDay);
  std::string text;
  append_date(text, days + kDaysFrom1970To2000);
  text += 'T';
  append_time(text, micros - days * kMicrosPerDay);
  if (with_offset) text += "+00:00";
  return text;
}

// ---------------------------------------------------------------- text encoding (COPY FROM)

namespace {

void append_hex_bytea(std::string_view bytes, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  out += "\\x";
  for (char c : bytes) {
    out += kHex[uint8_t(c) >> 4];
    out += kHex[uint8_t(c) & 15];
  }
}

bool is_temporal_column(PgBase base) {
  return base == PgBase::kDate || base == PgBase::kTimestamp || base == PgBase::kTimestampTz;
}

// Archive date text (astronomical years, 'T') to PostgreSQL input (years BC, a space).
void append_pg_datetime(std::string_view text, std::string& out) {
  if (text == "infinity" || text == "-infinity") {
    out.append(text);
    return;
  }
  bool negative = !text.empty() && text[0] == '-';
  size_t year_end = text.find('-', negative ? 1 : 0);
  int64_t year = 0;
  std::from_chars(text.data() + (negative ? 1 : 0), text.data() + year_end, year);
  if (negative) year = -year;
  bool bc = year <= 0;  // astronomical year 0 is 1 BC
  if (bc) append_padded(out, 1 - year, 4);
  else out.append(text.substr(0, year_end));
  for (size_t i = year_end; i < text.size(); ++i) out += text[i] == 'T' ? ' ' : text[i];
  if (bc) out += " BC";
}

void append_float(double d, std::string& out) {
  if (std::isnan(d)) { out += "NaN"; return; }
  if (std::isinf(d)) { out += d > 0 ? "Infinity" : "-Infinity"; return; }
  char buf[32];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, d).ptr);
}

void append_vector(const std::vector<float>& floats, std::string& out) {
  out += '[';
  char buf[32];
  for (size_t i = 0; i < floats.size(); ++i) {
    if (i) out += ',';
    out.append(buf, std::to_chars(buf, buf + sizeof buf, floats[i]).ptr);
  }
  out += ']';
}

bool is_numeric_column(PgBase base) {
  return base == PgBase::kInt2 || base == PgBase::kInt4 || base == PgBase::kInt8 || base == PgBase::kOid ||
         base == PgBase::kFloat4 || base == PgBase::kFloat8 || base == PgBase::kNumeric;
}

// The text literal of a non-null, non-array value for a column (or array element) of type
// `base`, without COPY escaping. Returns false when the value has no native form there and its
// canonical encoding was written instead.
Status scalar_text(const Value& value, PgBase base, std::string& out, bool& as_json) {
  auto json = [&] {
    encode_value(value, out);
    as_json = true;
    return Status::ok();
  };
  bool json_column = base == PgBase::kJson || base == PgBase::kJsonb;
  if (json_column && value.kind != Kind::kJson) return json();
  switch (value.kind) {
    case Kind::kBool:
      out += is_numeric_column(base) ? (value.boolean ? "1" : "0") : (value.boolean ? "true" : "false");
      return Status::ok();
    case Kind::kInt64:
    case Kind::kInt32: {
      char buf[24];
      out.append(buf, std::to_chars(buf, buf + sizeof buf, value.integer).ptr);
      return Status::ok();
    }
    case Kind::kFloat64: append_float(value.real, out); return Status::ok();
    case Kind::kText:
      if (base == PgBase::kBytea) {
        append_hex_bytea(value.text, out);
        return Status::ok();
      }
      if (value.text.find('\0') != std::string::npos)
        return Status::target("PostgreSQL text cannot hold the character U+0000");
      out += value.text;
      return Status::ok();
    case Kind::kRawText:
    case Kind::kBytes:
      if (base == PgBase::kBytea) {
        if (value.kind == Kind::kBytes && value.subtype != 0)
          return Status::target("bytea cannot keep binary subtype " + std::to_string(value.subtype));
        append_hex_bytea(value.text, out);
        return Status::ok();
      }
      return json();
    case Kind::kDate:
    case Kind::kTimestamp:
    case Kind::kTimestampTz:
      if (is_temporal_column(base)) append_pg_datetime(value.text, out);
      else out += value.text;
      return Status::ok();
    case Kind::kDecimal:
    case Kind::kTime:
    case Kind::kTimeTz:
    case Kind::kUuid:
    case Kind::kJson:
      out += value.text;
      return Status::ok();
    case Kind::kInterval:
      if (base != PgBase::kInterval) return json();
      out += std::to_string(value.months) + " mons " + std::to_string(value.days) + " days " +
             std::to_string(value.integer) + " microseconds";
      return Status::ok();
    case Kind::kVector:
    case Kind::kHalfVector:
      if (base != PgBase::kVector && base != PgBase::kHalfVec && base != PgBase::kOther) return json();
      append_vector(value.floats, out);
      return Status::ok();
    default: return json();
  }
}

// A PostgreSQL array literal, elements quoted (so "NULL" text stays text).
Status array_text(const Value& value, PgBase element_base, std::string& out, bool& as_json) {
  out += '{';
  std::string element;
  for (size_t i = 0; i < value.items.size(); ++i) {
    if (i) out += ',';
    const Value& item = value.items[i];
    if (item.kind == Kind::kNull) {
      out += "NULL";
    } else if (item.kind == Kind::kArray) {
      DECANT_TRY(array_text(item, element_base, out, as_json));
    } else {
      element.clear();
      DECANT_TRY(scalar_text(item, element_base, element, as_json));
      out += '"';
      for (char c : element) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
  }
  out += '}';
  return Status::ok();
}

}  // namespace

Status pg_value_text(const Value& value, const PgTargetColumn& column, std::string& out, bool& as_json) {
  if (column.encoded) {
    encode_value(value, out);
    return Status::ok();
  }
  if (value.kind == Kind::kArray && column.base == PgBase::kArray)
    return array_text(value, column.element_base, out, as_json);
  return scalar_text(value, column.base, out, as_json);
}

Status pg_append_copy_text(const Value& value, const PgTargetColumn& column, std::string& out, bool& as_json) {
  if (value.kind == Kind::kNull) {
    out += "\\N";
    return Status::ok();
  }
  // The hot kinds go straight into the row; the rest through a literal that is then escaped.
  if (!column.encoded && column.base != PgBase::kBytea) {
    if (value.kind == Kind::kText && column.base != PgBase::kJson && column.base != PgBase::kJsonb) {
      if (value.text.find('\0') != std::string::npos)
        return Status::target("PostgreSQL text cannot hold the character U+0000");
      pg_copy_escape(value.text, out);
      return Status::ok();
    }
    if (value.kind == Kind::kJson) {
      pg_copy_escape(value.text, out);
      return Status::ok();
    }
  }
  thread_local std::string literal;
  literal.clear();
  DECANT_TRY(pg_value_text(value, column, literal, as_json));
  pg_copy_escape(literal, out);
  return Status::ok();
}

void pg_copy_escape(std::string_view text, std::string& out) {
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    const char* replacement;
    switch (c) {
      case '\\': replacement = "\\\\"; break;
      case '\n': replacement = "\\n"; break;
      case '\r': replacement = "\\r"; break;
      case '\t': replacement = "\\t"; break;
      default: continue;
    }
    out.append(text.data() + start, i - start);
    out += replacement;
    start = i + 1;
  }
  out.append(text.data() + start, text.size() - start);
}

Status pg_copy_out_binary(PGconn* conn, const std::string& sql,
                          const std::function<Status(const std::vector<PgBinaryCopyReader::Field>&)>& on_tuple) {
  PgResult started(PQexec(conn, sql.c_str()));
  if (!started || PQresultStatus(started.get()) != PGRES_COPY_OUT)
    return Status::source(started ? pg_result_error(started.get()) : pg_error(conn));
  PgBinaryCopyReader reader;
  Status failure;
  for (;;) {
    char* buffer = nullptr;
    int n = PQgetCopyData(conn, &buffer, 0);
    if (n > 0) {
      Status fed = reader.feed({buffer, size_t(n)}, on_tuple);
      PQfreemem(buffer);
      if (!fed) {
        failure = std::move(fed);
        break;
      }
      continue;
    }
    if (n == -2) failure = Status::source(pg_error(conn));
    break;
  }
  if (!failure) {
    // Stop the server sending the rest, then drain what is in flight.
    if (PGcancel* cancel = PQgetCancel(conn)) {
      char error[256];
      PQcancel(cancel, error, sizeof error);
      PQfreeCancel(cancel);
    }
    char* buffer = nullptr;
    while (PQgetCopyData(conn, &buffer, 0) > 0) PQfreemem(buffer);
  }
  Status ended;
  while (PGresult* raw = PQgetResult(conn)) {
    PgResult result(raw);
    if (PQresultStatus(raw) != PGRES_COMMAND_OK && ended) ended = Status::source(pg_result_error(raw));
  }
  if (!failure) return failure;
  if (!ended) return ended;
  if (!reader.finished()) return Status::source("binary COPY ended without its trailer");
  return Status::ok();
}

}  // namespace decant
