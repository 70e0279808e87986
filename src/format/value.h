// The logical data model every backend reads and writes. Backends build Values; only the line
// codec (value_codec.h) knows how they look in an archive.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace decant {

enum class Kind : uint8_t {
  kNull,
  kBool,
  kInt64,
  kInt32,           // kept apart from int64 only where the store distinguishes them (BSON)
  kFloat64,
  kDecimal,         // text: exact decimal as the source printed it, or NaN / ±Infinity
  kText,            // text: valid UTF-8
  kRawText,         // text: bytes a store declared as text but that are not valid UTF-8
  kBytes,           // text: raw bytes; subtype: binary subtype (BSON), 0 elsewhere
  kDate,            // text: YYYY-MM-DD (or ±infinity)
  kTime,            // text: HH:MM:SS[.f{1,9}]
  kTimeTz,          // text: time followed by an offset
  kTimestamp,       // text: date 'T' time, no zone
  kTimestampTz,     // text: date 'T' time offset, the offset the source had
  kInterval,        // months, days, micros
  kUuid,            // text: lowercase 8-4-4-4-12
  kJson,            // text: a JSON document in canonical minified form
  kArray,           // items
  kVector,          // floats (pgvector vector, float32 elements)
  kHalfVector,      // floats (pgvector halfvec, float16 elements)
  kDocument,        // fields, in order
  // BSON types that neither plain JSON nor the kinds above hold (SPEC 11.4.2).
  kObjectId,        // text: 24 lowercase hex digits
  kDateTime,        // integer: milliseconds since 1970-01-01T00:00:00Z (BSON date)
  kRegex,           // text: pattern; options: the flags, sorted
  kBsonTimestamp,   // integer: seconds << 32 | increment (BSON timestamp, both uint32)
  kMinKey,
  kMaxKey,
  kCode,            // text: JavaScript source (BSON code without scope)
};

struct Field;

struct Value {
  Kind kind = Kind::kNull;
  bool boolean = false;
  int64_t integer = 0;   // kInt64, kInt32; kInterval: micros
  double real = 0;       // kFloat64
  int32_t months = 0;    // kInterval
  int32_t days = 0;      // kInterval
  uint8_t subtype = 0;   // kBytes
  std::string text;      // every text-carrying kind listed above
  std::string options;   // kRegex
  std::vector<Value> items;
  std::vector<float> floats;
  std::vector<Field> fields;

  // Defined below Field: clang instantiates std::vector<Field>'s members where these are
  // defined, which needs Field complete.
  static Value null();
  static Value of_bool(bool b);
  static Value of_int(int64_t i);
  static Value of_double(double d);
  static Value of_text(std::string_view s);
  static Value of_bytes(std::string_view s);
  static Value with_text(Kind kind, std::string_view s);

  // Resets to null while keeping allocated capacity, so hot loops can reuse one Value.
  void clear();

  bool operator==(const Value& other) const;
};

struct Field {
  std::string name;
  Value value;
  bool operator==(const Field& other) const = default;
};

inline Value Value::null() { return Value(); }
inline Value Value::of_bool(bool b) { Value v; v.kind = Kind::kBool; v.boolean = b; return v; }
inline Value Value::of_int(int64_t i) { Value v; v.kind = Kind::kInt64; v.integer = i; return v; }
inline Value Value::of_double(double d) { Value v; v.kind = Kind::kFloat64; v.real = d; return v; }
inline Value Value::of_text(std::string_view s) { return with_text(Kind::kText, s); }
inline Value Value::of_bytes(std::string_view s) { return with_text(Kind::kBytes, s); }
inline Value Value::with_text(Kind kind, std::string_view s) {
  Value v; v.kind = kind; v.text.assign(s.data(), s.size()); return v;
}

inline void Value::clear() {
  kind = Kind::kNull;
  text.clear();
  options.clear();
  items.clear();
  floats.clear();
  fields.clear();
}

// A record is the top-level document of one archive record line: a table row, a Redis key,
// a MongoDB document. Field order is kept.
class Record {
 public:
  // Appends a field, reusing a previously allocated slot when the record is being refilled.
  Value& add(std::string_view name);
  void clear_keep_capacity() { used_ = 0; }
  size_t size() const { return used_; }
  const Field& operator[](size_t i) const { return slots_[i]; }
  const Field* begin() const { return slots_.data(); }
  const Field* end() const { return slots_.data() + used_; }
  const Value* find(std::string_view name) const;
  bool operator==(const Record& other) const;

 private:
  std::vector<Field> slots_;  // slots beyond used_ are spare capacity from earlier records
  size_t used_ = 0;
};

const char* kind_name(Kind kind);

// The kinds whose whole value is `text`, printed as the source printed it: a store that keeps
// such values as strings stores this text unchanged.
inline bool is_printed_text(Kind kind) {
  switch (kind) {
    case Kind::kText:
    case Kind::kRawText:
    case Kind::kDecimal:
    case Kind::kDate:
    case Kind::kTime:
    case Kind::kTimeTz:
    case Kind::kTimestamp:
    case Kind::kTimestampTz:
    case Kind::kUuid:
    case Kind::kJson: return true;
    default: return false;
  }
}

}  // namespace decant

namespace decant {
bool is_valid_utf8(std::string_view bytes);
}  // namespace decant
