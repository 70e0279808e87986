// The value encoding table of format/SPEC.md section 4, one expectation per row, plus the
// decoder's error cases.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "format/value_codec.h"

namespace decant {
namespace {

std::string encode(const Value& v) {
  std::string out;
  encode_value(v, out);
  return out;
}

Value kind_with_text(Kind kind, std::string text) { return Value::with_text(kind, text); }

struct EncodingCase {
  const char* name;
  Value value;
  const char* json;
};

std::vector<EncodingCase> encoding_table() {
  Value int32;
  int32.kind = Kind::kInt32;
  int32.integer = 7;
  Value interval;
  interval.kind = Kind::kInterval;
  interval.months = -1;
  interval.days = 2;
  interval.integer = 3000000;
  Value array;
  array.kind = Kind::kArray;
  array.items = {Value::of_int(1), Value(), Value::of_text("x")};
  Value vector;
  vector.kind = Kind::kVector;
  vector.floats = {0.1f, 2.0f, -0.5f};
  Value doc;
  doc.kind = Kind::kDocument;
  doc.fields = {{"a", Value::of_int(1)}, {"b", Value::of_bool(false)}};
  Value literal;
  literal.kind = Kind::kDocument;
  literal.fields = {{"$oid", Value::of_text("x")}};
  Value subtype = Value::of_bytes("\x01");
  subtype.subtype = 0x80;
  return {
      {"null", Value(), "null"},
      {"bool", Value::of_bool(true), "true"},
      {"int64 small", Value::of_int(-42), "-42"},
      {"int64 2^53-1", Value::of_int(9007199254740991), "9007199254740991"},
      {"int64 -(2^53-1)", Value::of_int(-9007199254740991), "-9007199254740991"},
      {"int64 2^53", Value::of_int(9007199254740992), R"({"$numberLong":"9007199254740992"})"},
      {"int64 2^53+1", Value::of_int(9007199254740993), R"({"$numberLong":"9007199254740993"})"},
      {"int64 max", Value::of_int(INT64_MAX), R"({"$numberLong":"9223372036854775807"})"},
      {"int64 min", Value::of_int(INT64_MIN), R"({"$numberLong":"-9223372036854775808"})"},
      {"int32", int32, R"({"$numberInt":"7"})"},
      {"float64 0.1", Value::of_double(0.1), "0.1"},
      {"float64 small exponent", Value::of_double(1.5e-7), "1.5e-07"},
      {"float64 integral", Value::of_double(2.0), R"({"$numberDouble":"2.0"})"},
      {"float64 huge integral", Value::of_double(1e300), R"({"$numberDouble":"1e+300"})"},
      {"float64 2^60", Value::of_double(1152921504606846976.0), R"({"$numberDouble":"1152921504606846976.0"})"},
      {"float64 -0.0", Value::of_double(-0.0), R"({"$numberDouble":"-0.0"})"},
      {"float64 NaN", Value::of_double(std::nan("")), R"({"$numberDouble":"NaN"})"},
      {"float64 +Inf", Value::of_double(INFINITY), R"({"$numberDouble":"Infinity"})"},
      {"float64 -Inf", Value::of_double(-INFINITY), R"({"$numberDouble":"-Infinity"})"},
      {"decimal", kind_with_text(Kind::kDecimal, "1.2300"), R"({"$numberDecimal":"1.2300"})"},
      {"text escapes", Value::of_text(std::string("a\"b\\c\n\x01\x1f/\x7f", 10)), "\"a\\\"b\\\\c\\n\\u0001\\u001f/\x7f\""},
      {"text unicode raw", Value::of_text("é日🎉"), "\"é日🎉\""},
      {"text NUL", Value::of_text(std::string("a\0b", 3)), "\"a\\u0000b\""},
      {"rawtext", kind_with_text(Kind::kRawText, "\xff"), R"({"$rawText":"/w=="})"},
      {"bytes", Value::of_bytes(std::string("\0\1\2", 3)), R"({"$binary":{"base64":"AAEC","subType":"00"}})"},
      {"bytes subtype", subtype, R"({"$binary":{"base64":"AQ==","subType":"80"}})"},
      {"date", kind_with_text(Kind::kDate, "2024-02-29"), R"({"$localDate":"2024-02-29"})"},
      {"time", kind_with_text(Kind::kTime, "24:00:00"), R"({"$localTime":"24:00:00"})"},
      {"timetz", kind_with_text(Kind::kTimeTz, "01:02:03.5-03:30"), R"({"$offsetTime":"01:02:03.5-03:30"})"},
      {"timestamp", kind_with_text(Kind::kTimestamp, "2024-01-02T03:04:05.123456"),
       R"({"$localDateTime":"2024-01-02T03:04:05.123456"})"},
      {"timestamptz", kind_with_text(Kind::kTimestampTz, "2024-01-02T03:04:05.123456+00:00"),
       R"({"$offsetDateTime":"2024-01-02T03:04:05.123456+00:00"})"},
      {"timestamp -infinity", kind_with_text(Kind::kTimestamp, "-infinity"), R"({"$localDateTime":"-infinity"})"},
      {"interval", interval, R"({"$interval":{"months":-1,"days":2,"micros":"3000000"}})"},
      {"uuid", kind_with_text(Kind::kUuid, "00000000-0000-0000-0000-00000000000a"),
       R"({"$uuid":"00000000-0000-0000-0000-00000000000a"})"},
      {"json", kind_with_text(Kind::kJson, R"({"a":[1,"x"]})"), R"({"$json":{"a":[1,"x"]}})"},
      {"array", array, R"([1,null,"x"])"},
      {"vector", vector, R"({"$vector":[0.1,2,-0.5]})"},
      {"document", doc, R"({"a":1,"b":false})"},
      {"document that looks like a tag", literal, R"({"$literal":{"$oid":"x"}})"},
  };
}

TEST(ValueCodec, EncodesEveryLogicalTypeAsTheSpecSays) {
  for (const EncodingCase& c : encoding_table()) EXPECT_EQ(encode(c.value), c.json) << c.name;
}

TEST(ValueCodec, DecodingTheEncodingGivesTheSameValue) {
  for (const EncodingCase& c : encoding_table()) {
    Result<Value> decoded = decode_value_text(c.json);
    ASSERT_TRUE(decoded) << c.name << ": " << decoded.status().message();
    EXPECT_TRUE(*decoded == c.value) << c.name;
    EXPECT_EQ(encode(*decoded), c.json) << c.name;
  }
}

TEST(ValueCodec, NegativeZeroAndNaNKeepTheirBits) {
  Result<Value> zero = decode_value_text(R"({"$numberDouble":"-0.0"})");
  ASSERT_TRUE(zero);
  EXPECT_TRUE(std::signbit(zero->real));
  Result<Value> nan = decode_value_text(R"({"$numberDouble":"NaN"})");
  ASSERT_TRUE(nan);
  EXPECT_TRUE(std::isnan(nan->real));
}

TEST(ValueCodec, ShortestRoundTripForEveryDouble) {
  for (double d : {0.1, 1.0 / 3, 123456789.125, 5e-324, 1.7976931348623157e308, -2.5e-300}) {
    Result<Value> back = decode_value_text(encode(Value::of_double(d)));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->real, d);
  }
}

TEST(ValueCodec, AcceptsNonCanonicalSpellings) {
  struct {
    const char* json;
    Value expected;
  } cases[] = {
      {R"("\u00e9\/")", Value::of_text("é/")},
      {"9007199254740993", Value::of_int(9007199254740993)},
      {R"({"$numberLong":"5"})", Value::of_int(5)},
      {"2.0", Value::of_double(2.0)},
      {"1E2", Value::of_double(100)},
      {R"({"$binary":{"subType":"0","base64":""}})", Value::of_bytes("")},
  };
  for (const auto& c : cases) {
    Result<Value> v = decode_value_text(c.json);
    ASSERT_TRUE(v) << c.json << ": " << v.status().message();
    EXPECT_TRUE(*v == c.expected) << c.json;
  }
}

TEST(ValueCodec, RejectsMalformedValuesWithAClearMessage) {
  struct {
    const char* json;
    const char* message;
  } cases[] = {
      {R"({"$numberLong":"12a"})", "malformed $numberLong"},
      {R"({"$numberLong":"007"})", "malformed $numberLong"},
      {R"({"$numberLong":9})", "must be a string"},
      {R"({"$numberInt":"2147483648"})", "malformed $numberInt"},
      {"9223372036854775808", "outside the int64 range"},
      {R"({"$numberDouble":"one"})", "malformed $numberDouble"},
      {R"({"$numberDecimal":"1.2.3"})", "malformed $numberDecimal"},
      {R"({"$binary":{"base64":"AAEC"}})", "needs base64 and subType"},
      {R"({"$binary":{"base64":"A","subType":"00"}})", "malformed base64"},
      {R"({"$rawText":"!!!!"})", "malformed base64"},
      {R"({"$localDate":"2024-13-01"})", "malformed $localDate"},
      {R"({"$localTime":"12:00"})", "malformed $localTime"},
      {R"({"$offsetDateTime":"2024-01-01T00:00:00"})", "malformed $offsetDateTime"},
      {R"({"$uuid":"ABCDEF00-0000-0000-0000-000000000000"})", "malformed $uuid"},
      {R"({"$interval":{"months":1,"days":2}})", "needs months, days and micros"},
      {R"({"$vector":["x"]})", "is not a number"},
      {R"({"$madeUp":1})", "unknown tag \"$madeUp\""},
  };
  for (const auto& c : cases) {
    Result<Value> v = decode_value_text(c.json);
    ASSERT_FALSE(v) << c.json;
    EXPECT_EQ(v.status().side(), Side::kArchive);
    EXPECT_NE(v.status().message().find(c.message), std::string::npos) << c.json << " -> " << v.status().message();
  }
}

TEST(ValueCodec, DeepNestingIsAnErrorNotACrash) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  Result<Value> v = decode_value_text(deep);
  ASSERT_FALSE(v);
  EXPECT_NE(v.status().message().find("nesting deeper than 64"), std::string::npos) << v.status().message();
}

TEST(ValueCodec, Base64RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    std::string back;
    ASSERT_TRUE(base64_decode(base64_encode(bytes), back));
    EXPECT_EQ(back, bytes);
    bytes += static_cast<char>(n * 37);
  }
}

}  // namespace
}  // namespace decant
