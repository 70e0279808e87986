// PostgreSQL types <-> Values (format/SPEC.md 11.2). Rows leave PostgreSQL in binary COPY
// (exact bits, no text unescaping) and enter it in text COPY (each column's own input function
// parses the value, so an int64 fits an integer, numeric or text column alike).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backends/postgres_client.h"
#include "format/status.h"
#include "format/value.h"

namespace decant {

// What a column's values are, after following domains to their base type.
enum class PgBase : uint8_t {
  kBool, kInt2, kInt4, kInt8, kOid, kFloat4, kFloat8, kNumeric, kText, kBytea, kDate, kTime, kTimeTz,
  kTimestamp, kTimestampTz, kInterval, kUuid, kJson, kJsonb, kVector, kHalfVec, kArray,
  kOther,  // enums, inet, tsvector, ...: carried as their text form
};

struct PgType {
  uint32_t oid = 0;
  std::string name;      // format_type without typmod, schema-qualified outside pg_catalog
  char typtype = 'b';    // b base, d domain, e enum, c composite, r range, m multirange, p pseudo
  PgBase base = PgBase::kOther;
  std::shared_ptr<const PgType> element;  // kArray: the element type (its domains followed too)
  uint32_t base_oid = 0;                  // domains: the type they are over; else oid
};

// Resolves type OIDs of one database, once each.
class PgTypeCache {
 public:
  Result<std::shared_ptr<const PgType>> resolve(PGconn* conn, uint32_t oid, Side side);

 private:
  std::map<uint32_t, std::shared_ptr<const PgType>> types_;
};

// The logical column type (SPEC 4.1) of a PostgreSQL type: "int32", "decimal", "array<text>", ...
std::string pg_logical_type(const PgType& type);

// How one column of a binary COPY is decoded. Types without a binary decoder here (numeric,
// enums, inet, ...) are selected as text, which `select_expression` arranges.
struct PgColumnDecoder {
  PgBase wire = PgBase::kText;            // what arrives; kNumeric and kOther arrive as text
  bool encoded = false;                   // a json or text column holding archive encodings (SPEC 11.2)
  std::shared_ptr<const PgColumnDecoder> element;  // kArray
};

PgColumnDecoder pg_decoder_for(const PgType& type, bool encoded);
// The select-list expression that gives the decoder what it expects for column `column`.
std::string pg_select_expression(const PgColumnDecoder& decoder, const std::string& column);

// Decodes one field of a binary COPY tuple (not NULL; NULL is handled by the caller).
Status pg_decode_binary(const PgColumnDecoder& decoder, std::string_view data, Value& out);

// Incremental parser of a binary COPY stream: feed it the chunks PQgetCopyData returns and it
// calls back once per tuple with its fields (a null data pointer is NULL).
class PgBinaryCopyReader {
 public:
  struct Field {
    const char* data;
    int32_t length;
  };
  // Consumes `chunk`; for each complete tuple fills `fields` and calls on_tuple(fields).
  template <typename OnTuple>
  Status feed(std::string_view chunk, OnTuple&& on_tuple);
  bool finished() const { return finished_; }

 private:
  // Parses tuples at the start of `data`; returns the bytes consumed, or -1 on a malformed stream.
  template <typename OnTuple>
  int64_t parse(std::string_view data, OnTuple& on_tuple, Status& status);
  std::string pending_;
  bool header_done_ = false;
  bool finished_ = false;
  std::vector<Field> fields_;
};

// Runs `sql`, a COPY ... TO STDOUT (FORMAT binary), and calls `on_tuple` for every tuple. When
// on_tuple fails, the server is asked to stop sending, what is in flight is drained, and that
// failure is returned as it is; the COPY's own errors are source errors.
Status pg_copy_out_binary(PGconn* conn, const std::string& sql,
                          const std::function<Status(const std::vector<PgBinaryCopyReader::Field>&)>& on_tuple);

// A column of a target table, as the text COPY encoder needs it.
struct PgTargetColumn {
  std::string name;
  PgBase base = PgBase::kText;
  PgBase element_base = PgBase::kText;  // arrays: the innermost element's base
  bool encoded = false;                 // the column holds archive encodings of any value
};

// Appends `value` as one field of a text COPY row for `column` (COPY escaping included).
// Values a column cannot hold natively are written as their canonical encoding, JSON text
// (SPEC 11.0 rule 1); `as_json` is then set so the caller can say so once per column.
Status pg_append_copy_text(const Value& value, const PgTargetColumn& column, std::string& out, bool& as_json);

// Appends `text` with text COPY's escapes (backslash, newline, carriage return, tab).
void pg_copy_escape(std::string_view text, std::string& out);

// The same value as a plain text literal (no COPY escaping), for statement parameters.
Status pg_value_text(const Value& value, const PgTargetColumn& column, std::string& out, bool& as_json);

// Text of dates and times in the archive's forms (SPEC 4.5.8-4.5.9), exposed for tests.
std::string pg_date_text(int32_t days_since_2000);
std::string pg_timestamp_text(int64_t micros_since_2000, bool with_offset);

// ------------------------------------------------------------------------------- templates

template <typename OnTuple>
Status PgBinaryCopyReader::feed(std::string_view chunk, OnTuple&& on_tuple) {
  Status status;
  if (pending_.empty()) {
    int64_t used = parse(chunk, on_tuple, status);
    if (used < 0) return status;
    pending_.assign(chunk.substr(static_cast<size_t>(used)));
    return Status::ok();
  }
  pending_.append(chunk);
  int64_t used = parse(pending_, on_tuple, status);
  if (used < 0) return status;
  pending_.erase(0, static_cast<size_t>(used));
  return Status::ok();
}

namespace pg_wire {
inline int16_t i16(const char* p) {
  return static_cast<int16_t>((static_cast<uint8_t>(p[0]) << 8) | static_cast<uint8_t>(p[1]));
}
inline int32_t i32(const char* p) {
  return static_cast<int32_t>((uint32_t(uint8_t(p[0])) << 24) | (uint32_t(uint8_t(p[1])) << 16) |
                              (uint32_t(uint8_t(p[2])) << 8) | uint32_t(uint8_t(p[3])));
}
inline int64_t i64(const char* p) {
  return static_cast<int64_t>((uint64_t(uint32_t(i32(p))) << 32) | uint64_t(uint32_t(i32(p + 4))));
}
}  // namespace pg_wire

template <typename OnTuple>
int64_t PgBinaryCopyReader::parse(std::string_view data, OnTuple& on_tuple, Status& status) {
  static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // 11 bytes with its NUL
  size_t pos = 0;
  if (!header_done_) {
    if (data.size() < 19) return 0;
    if (std::string_view(data.data(), 11) != std::string_view(kSignature, 11)) {
      status = Status::source("binary COPY data without its signature");
      return -1;
    }
    int32_t extension = pg_wire::i32(data.data() + 15);
    if (extension < 0) {
      status = Status::source("malformed binary COPY header");
      return -1;
    }
    if (data.size() < 19 + size_t(extension)) return 0;
    pos = 19 + size_t(extension);
    header_done_ = true;
  }
  while (pos + 2 <= data.size()) {
    int16_t count = pg_wire::i16(data.data() + pos);
    if (count == -1) {
      finished_ = true;
      return static_cast<int64_t>(data.size());
    }
    if (count < 0) {
      status = Status::source("malformed binary COPY tuple");
      return -1;
    }
    size_t at = pos + 2;
    fields_.resize(static_cast<size_t>(count));
    bool complete = true;
    for (int16_t i = 0; i < count; ++i) {
      if (at + 4 > data.size()) { complete = false; break; }
      int32_t length = pg_wire::i32(data.data() + at);
      at += 4;
      if (length < 0) {
        fields_[size_t(i)] = {nullptr, 0};
        continue;
      }
      if (at + size_t(length) > data.size()) { complete = false; break; }
      fields_[size_t(i)] = {data.data() + at, length};
      at += size_t(length);
    }
    if (!complete) break;
    status = on_tuple(fields_);
    if (!status) return -1;
    pos = at;
  }
  return static_cast<int64_t>(pos);
}

}  // namespace decant
