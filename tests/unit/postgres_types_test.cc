// The PostgreSQL codec that needs no server: binary COPY decoding of each type, the text COPY
// encoding the sink writes, and the incremental binary COPY parser.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "backends/postgres_types.h"

namespace decant {
namespace {

std::string be(uint64_t v, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

Value decode(PgBase base, const std::string& data) {
  PgColumnDecoder decoder;
  decoder.wire = base;
  Value v;
  Status s = pg_decode_binary(decoder, data, v);
  EXPECT_TRUE(s) << s.message();
  return v;
}

std::string copy_text(const Value& value, PgBase base, PgBase element = PgBase::kText) {
  PgTargetColumn column;
  column.base = base;
  column.element_base = element;
  std::string out;
  bool as_json = false;
  Status s = pg_append_copy_text(value, column, out, as_json);
  EXPECT_TRUE(s) << s.message();
  return out;
}

TEST(PostgresTypes, DatesAndTimestampsAtTheirLimits) {
  EXPECT_EQ(pg_date_text(0), "2000-01-01");
  EXPECT_EQ(pg_date_text(-2451545), "-4713-11-24");  // Julian day 0, 4714-11-24 BC
  EXPECT_EQ(pg_date_text(std::numeric_limits<int32_t>::max()), "infinity");
  EXPECT_EQ(pg_date_text(std::numeric_limits<int32_t>::min()), "-infinity");
  EXPECT_EQ(pg_timestamp_text(-1, false), "1999-12-31T23:59:59.999999");
  EXPECT_EQ(pg_timestamp_text(1500000, true), "2000-01-01T00:00:01.5+00:00");
  EXPECT_EQ(pg_timestamp_text(std::numeric_limits<int64_t>::max(), true), "infinity");
}

TEST(PostgresTypes, DecodesBinaryValues) {
  EXPECT_EQ(decode(PgBase::kInt2, be(0x8000, 2)).integer, -32768);
  EXPECT_EQ(decode(PgBase::kInt8, be(0x8000000000000000ull, 8)).integer, std::numeric_limits<int64_t>::min());
  Value f = decode(PgBase::kFloat8, be(0x8000000000000000ull, 8));
  EXPECT_TRUE(std::signbit(f.real) && f.real == 0);
  Value t = decode(PgBase::kTimeTz, be(0, 8) + be(static_cast<uint32_t>(-19800), 4));
  EXPECT_EQ(t.text, "00:00:00+05:30");  // PostgreSQL stores seconds west
  Value h = decode(PgBase::kHalfVec, be(2, 2) + be(0, 2) + be(0x2e66, 2) + be(0xfbff, 2));
  ASSERT_EQ(h.floats.size(), 2u);
  EXPECT_EQ(h.floats[0], 0.0999755859375f);
  EXPECT_EQ(h.floats[1], -65504.0f);
  Value u = decode(PgBase::kUuid, std::string("\x12\x3e\x45\x67\xe8\x9b\x12\xd3\xa4\x56\x42\x66\x14\x17\x40\x00", 16));
  EXPECT_EQ(u.text, "123e4567-e89b-12d3-a456-426614174000");
}

TEST(PostgresTypes, RefusesMalformedAndUnrepresentableValues) {
  PgColumnDecoder int4;
  int4.wire = PgBase::kInt4;
  Value v;
  EXPECT_FALSE(pg_decode_binary(int4, "\x01\x02", v));
  // int4[] with lower bound 0: the archive has no way to say so (SPEC 4.5.12).
  PgColumnDecoder array;
  array.wire = PgBase::kArray;
  array.element = std::make_shared<PgColumnDecoder>(int4);
  std::string data = be(1, 4) + be(0, 4) + be(23, 4) + be(1, 4) + be(0, 4) + be(4, 4) + be(7, 4);
  Status s = pg_decode_binary(array, data, v);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("lower bound is 0"), std::string::npos) << s.message();
}

TEST(PostgresTypes, EncodesTextCopyFields) {
  EXPECT_EQ(copy_text(Value::of_text("a\tb\nc\\d\re"), PgBase::kText), "a\\tb\\nc\\\\d\\re");
  EXPECT_EQ(copy_text(Value(), PgBase::kText), "\\N");
  EXPECT_EQ(copy_text(Value::of_bytes(std::string("\x00\xff", 2)), PgBase::kBytea), "\\\\x00ff");
  EXPECT_EQ(copy_text(Value::with_text(Kind::kDate, "-0043-03-15"), PgBase::kDate), "0044-03-15 BC");
  EXPECT_EQ(copy_text(Value::with_text(Kind::kTimestamp, "2024-02-29T23:59:59.5"), PgBase::kTimestamp),
            "2024-02-29 23:59:59.5");
  EXPECT_EQ(copy_text(Value::of_double(-0.0), PgBase::kFloat8), "-0");
  EXPECT_EQ(copy_text(Value::of_double(std::numeric_limits<double>::infinity()), PgBase::kFloat8), "Infinity");
  Value array;
  array.kind = Kind::kArray;
  array.items = {Value::of_text("NULL"), Value(), Value::of_text("a\"b\\c,d")};
  EXPECT_EQ(copy_text(array, PgBase::kArray), "{\"NULL\",NULL,\"a\\\\\"b\\\\\\\\c,d\"}");
  Value interval;
  interval.kind = Kind::kInterval;
  interval.months = -1;
  interval.days = 2;
  interval.integer = -3;
  EXPECT_EQ(copy_text(interval, PgBase::kInterval), "-1 mons 2 days -3 microseconds");
}

TEST(PostgresTypes, ValuesWithoutANativeFormBecomeTheirEncoding) {
  PgTargetColumn column;
  column.base = PgBase::kText;
  Value document;
  document.kind = Kind::kDocument;
  document.fields.push_back({"a", Value::of_int(1)});
  std::string out;
  bool as_json = false;
  ASSERT_TRUE(pg_append_copy_text(document, column, out, as_json));
  EXPECT_TRUE(as_json);
  EXPECT_EQ(out, "{\"a\":1}");
  out.clear();
  EXPECT_FALSE(pg_append_copy_text(Value::of_text(std::string("a\0b", 3)), column, out, as_json));
}

TEST(PostgresTypes, BinaryCopyReaderTakesAnyChunking) {
  std::string stream = std::string("PGCOPY\n\377\r\n\0", 11) + be(0, 4) + be(0, 4);
  for (int i = 0; i < 3; ++i) stream += be(2, 2) + be(4, 4) + be(static_cast<uint32_t>(i), 4) + be(0xffffffff, 4);
  stream += be(0xffff, 2);
  for (size_t step : {1u, 3u, 7u, 1000u}) {
    PgBinaryCopyReader reader;
    int tuples = 0, nulls = 0;
    for (size_t at = 0; at < stream.size(); at += step) {
      Status s = reader.feed(std::string_view(stream).substr(at, step), [&](const std::vector<PgBinaryCopyReader::Field>& f) {
        EXPECT_EQ(f.size(), 2u);
        EXPECT_EQ(f[0].length, 4);
        if (!f[1].data) ++nulls;
        ++tuples;
        return Status::ok();
      });
      ASSERT_TRUE(s) << s.message();
    }
    EXPECT_TRUE(reader.finished());
    EXPECT_EQ(tuples, 3) << "step " << step;
    EXPECT_EQ(nulls, 3);
  }
}

}  // namespace
}  // namespace decant
