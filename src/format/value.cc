#include "format/value.h"

#include <cmath>
#include <cstring>

namespace decant {

bool Value::operator==(const Value& other) const {
  if (kind != other.kind) return false;
  switch (kind) {
    case Kind::kNull: return true;
    case Kind::kBool: return boolean == other.boolean;
    case Kind::kInt64:
    case Kind::kInt32:
    case Kind::kDateTime:
    case Kind::kBsonTimestamp: return integer == other.integer;
    case Kind::kMinKey:
    case Kind::kMaxKey: return true;
    case Kind::kRegex: return text == other.text && options == other.options;
    // Bitwise: -0.0 differs from 0.0 and NaN equals itself, as the archive encodes them.
    case Kind::kFloat64: return std::memcmp(&real, &other.real, sizeof real) == 0;
    case Kind::kInterval:
      return months == other.months && days == other.days && integer == other.integer;
    case Kind::kBytes: return subtype == other.subtype && text == other.text;
    case Kind::kArray: return items == other.items;
    case Kind::kVector:
    case Kind::kHalfVector: return floats == other.floats;
    case Kind::kDocument: return fields == other.fields;
    default: return text == other.text;
  }
}

Value& Record::add(std::string_view name) {
  if (used_ == slots_.size()) slots_.emplace_back();
  Field& f = slots_[used_++];
  f.name.assign(name.data(), name.size());
  f.value.clear();
  return f.value;
}

const Value* Record::find(std::string_view name) const {
  for (const Field& f : *this)
    if (f.name == name) return &f.value;
  return nullptr;
}

bool Record::operator==(const Record& other) const {
  if (size() != other.size()) return false;
  for (size_t i = 0; i < size(); ++i)
    if (!(slots_[i] == other.slots_[i])) return false;
  return true;
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kNull: return "null";
    case Kind::kBool: return "bool";
    case Kind::kInt64: return "int64";
    case Kind::kInt32: return "int32";
    case Kind::kFloat64: return "float64";
    case Kind::kDecimal: return "decimal";
    case Kind::kText: return "text";
    case Kind::kRawText: return "rawtext";
    case Kind::kBytes: return "bytes";
    case Kind::kDate: return "date";
    case Kind::kTime: return "time";
    case Kind::kTimeTz: return "timetz";
    case Kind::kTimestamp: return "timestamp";
    case Kind::kTimestampTz: return "timestamptz";
    case Kind::kInterval: return "interval";
    case Kind::kUuid: return "uuid";
    case Kind::kJson: return "json";
    case Kind::kArray: return "array";
    case Kind::kVector: return "vector";
    case Kind::kHalfVector: return "halfvec";
    case Kind::kDocument: return "document";
    case Kind::kObjectId: return "objectid";
    case Kind::kDateTime: return "datetime";
    case Kind::kRegex: return "regex";
    case Kind::kBsonTimestamp: return "bsontimestamp";
    case Kind::kMinKey: return "minkey";
    case Kind::kMaxKey: return "maxkey";
    case Kind::kCode: return "code";
  }
  return "?";
}

}  // namespace decant

#include <simdjson.h>

namespace decant {
bool is_valid_utf8(std::string_view bytes) { return simdjson::validate_utf8(bytes.data(), bytes.size()); }
}  // namespace decant
