// The value encoding table of format/SPEC.md section 4, one expectation per row, the payload
// grammars of 4.4 and 4.5 with accepted and rejected examples, and the decoder's error cases.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "format/value_codec.h"
#include "format/value_decode.h"

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
  Value date;
  date.kind = Kind::kDateTime;
  date.integer = -62135596800000;
  Value ts;
  ts.kind = Kind::kBsonTimestamp;
  ts.integer = int64_t{4294967295} << 32 | 7;
  Value regex = kind_with_text(Kind::kRegex, "^a\"b.*$");
  regex.options = "imsx";
  Value min_key, max_key;
  min_key.kind = Kind::kMinKey;
  max_key.kind = Kind::kMaxKey;
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
      {"objectid", kind_with_text(Kind::kObjectId, "5f1d7a9b2c3d4e5f60718293"), R"({"$oid":"5f1d7a9b2c3d4e5f60718293"})"},
      {"datetime before 1970", date, R"({"$date":{"$numberLong":"-62135596800000"}})"},
      {"bson timestamp", ts, R"({"$timestamp":{"t":4294967295,"i":7}})"},
      {"regex", regex, R"({"$regularExpression":{"pattern":"^a\"b.*$","options":"imsx"}})"},
      {"minkey", min_key, R"({"$minKey":1})"},
      {"maxkey", max_key, R"({"$maxKey":1})"},
      {"code", kind_with_text(Kind::kCode, "function(){return 1;}"), R"({"$code":"function(){return 1;}"})"},
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
      {R"({"$binary":{"subType":"00","base64":""}})", Value::of_bytes("")},
      {"-0", Value::of_int(0)},
      {R"({"$numberDouble":"2"})", Value::of_double(2.0)},
      {R"({"$numberDouble":"2.50"})", Value::of_double(2.5)},
      {R"({"$numberDouble":"1E5"})", Value::of_double(1e5)},
      {R"({"$numberDouble":"0.10000000000000001"})", Value::of_double(0.1)},
      {R"({"\u0024numberLong":"5"})", Value::of_int(5)},  // an escaped '$' still makes a tag
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
      {R"({"$binary":{"subType":"0","base64":""}})", "malformed $binary subType \"0\""},
      {R"({"$rawText":"!!!!"})", "malformed base64"},
      {R"({"$localDate":"2024-13-01"})", "malformed $localDate"},
      {R"({"$localTime":"12:00"})", "malformed $localTime"},
      {R"({"$offsetDateTime":"2024-01-01T00:00:00"})", "malformed $offsetDateTime"},
      {R"({"$uuid":"ABCDEF00-0000-0000-0000-000000000000"})", "malformed $uuid"},
      {R"({"$interval":{"months":1,"days":2}})", "needs months, days and micros"},
      {R"({"$vector":["x"]})", "is not a number"},
      {R"({"$madeUp":1})", "unknown tag \"$madeUp\""},
      {"1e400", "number 1e400 is outside the float64 range"},
      {R"({"$numberDouble":"1e400"})", "$numberDouble payload \"1e400\" is outside the float64 range"},
      {R"({"a":1,"b":2,"a":3})", "duplicate member \"a\" in document"},
      {R"({"$literal":{"a":1}})", "exactly one member, whose name starts with '$'"},
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

// ---- payload grammars (SPEC 4.4, 4.5): one accepted and one rejected list per tag ----

struct GrammarCase {
  const char* tag;
  std::vector<const char*> accepted;
  std::vector<const char*> rejected;
};

std::string tagged(const char* tag, const char* payload) {
  std::string json = std::string("{\"") + tag + "\":";
  encode_string(payload, json);
  return json + "}";
}

std::vector<GrammarCase> grammar_cases() {
  return {
      {"$numberDecimal",
       {"0", "-0", "007", "1.50", "-12345678901234567890.123456789000", "1e5", "1.23e+5", "-1.5e-07", "NaN",
        "Infinity", "-Infinity"},
       {"+1", ".5", "1.", "1E5", "1e", "1e+", "", "-", "1.2.3", " 1", "1 ", "1,5", "nan", "-NaN", "+Infinity",
        "infinity", "0x10"}},
      {"$localDate",
       {"2024-02-29", "0000-02-29", "-0004-02-29", "-0400-02-29", "2000-02-29", "2400-02-29", "-0044-03-15",
        "0001-01-01", "9999-12-31", "2023-01-31", "2023-04-30", "10000-01-01", "-10000-01-01",
        "123456789-12-31", "infinity", "-infinity"},
       {"2023-02-29", "1900-02-29", "2100-02-29", "-0001-02-29", "-0100-02-29", "2023-04-31", "2023-06-31",
        "2023-00-10", "2023-13-01", "2023-01-00", "2023-01-32", "+2023-01-01", "-0000-01-01", "01000-01-01",
        "1234567890-01-01", "999-01-01", "2023-1-01", "2023-01-1", "2023/01/01", "2023-01-01T00:00:00",
        "Infinity", "+infinity", " 2023-01-01", ""}},
      {"$localTime",
       {"00:00:00", "23:59:59", "13:45:00.25", "12:00:00.1", "23:59:59.999999999", "00:00:00.000000001",
        "24:00:00"},
       {"24:00:00.5", "24:00:01", "24:01:00", "25:00:00", "23:60:00", "23:59:60", "12:00:00.50", "12:00:00.0",
        "12:00:00.", "12:00:00.1234567891", "12:00", "1:00:00", "12:00:00Z", "12:00:00+00:00", "12:0a:00",
        "infinity", ""}},
      {"$offsetTime",
       {"13:45:00+05:30", "00:00:00+00:00", "24:00:00+01:00", "23:59:59.5-15:59", "12:00:00+15:59",
        "12:00:00+05:30:15", "12:00:00-00:00:30", "12:00:00-00:30", "12:00:00-01:00"},
       {"12:00:00", "12:00:00Z", "12:00:00-00:00", "12:00:00+16:00", "12:00:00+05:60", "12:00:00+00:00:00",
        "12:00:00+05:30:00", "12:00:00+05:30:60", "12:00:00+5:30", "12:00:00+0530", "12:00:00 +05:30",
        "24:00:00.5+00:00", "24:00:01+00:00", "12:00:00.10+00:00", "infinity"}},
      {"$localDateTime",
       {"2024-02-29T23:59:59.999999", "0000-02-29T00:00:00", "-0044-03-15T12:00:00",
        "12345-01-01T00:00:00.123456789", "infinity", "-infinity"},
       {"2024-02-29T24:00:00", "2023-02-29T00:00:00", "2024-01-01 00:00:00", "2024-01-01t00:00:00",
        "2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00.10", "2024-01-01", "2024-01-01T", "24:00:00"}},
      {"$offsetDateTime",
       {"2024-02-29T23:59:59.123456789+00:00", "1969-12-31T23:59:59.5-08:00", "0000-01-01T00:00:00+14:00",
        "2024-01-01T00:00:00-00:00:30", "infinity", "-infinity"},
       {"2024-01-01T00:00:00Z", "2024-01-01T00:00:00-00:00", "2024-01-01T24:00:00+00:00",
        "2024-01-01T00:00:00+16:00", "2024-01-01T00:00:00", "2023-02-29T00:00:00+00:00",
        "2024-01-01T00:00:00.0+00:00"}},
      {"$uuid",
       {"123e4567-e89b-12d3-a456-426614174000", "00000000-0000-0000-0000-000000000000"},
       {"123E4567-e89b-12d3-a456-426614174000", "123e4567e89b12d3a456426614174000",
        "{123e4567-e89b-12d3-a456-426614174000}", "123e4567-e89b-12d3-a456-42661417400g"}},
      {"$numberLong",
       {"0", "-1", "9223372036854775807", "-9223372036854775808"},
       {"-0", "+1", "01", "1.0", "1e3", "9223372036854775808", "", " 1"}},
      {"$numberInt", {"0", "-2147483648", "2147483647"}, {"2147483648", "-2147483649", "-0", "07"}},
      {"$numberDouble",
       {"0", "-0", "2", "2.5", "1E5", "1e-5", "1e+300", "5e-324", "1.7976931348623157e308", "1e-400", "NaN",
        "Infinity", "-Infinity"},
       {"+1", ".5", "1.", "01", "-01.5", "1e", "0x10", "inf", "nan", "-NaN", "infinity", " 1", "1 ", "1e400",
        "-1e400", "1.7976931348623159e308", ""}},
      {"$rawText",
       {"", "QQ==", "QUI=", "Y2Fm6Q==", "/w=="},
       {"QR==", "QUJ=", "A===", "====", "QQ", "QQ=A", "QQ==QQ==", "Q Q=", "QQ==\n", "Q-==", "Y2Fm6Q"}},
  };
}

TEST(ValueCodecGrammar, EachTagAcceptsItsGrammarAndRejectsTheRest) {
  for (const GrammarCase& c : grammar_cases()) {
    for (const char* payload : c.accepted) {
      Result<Value> v = decode_value_text(tagged(c.tag, payload));
      EXPECT_TRUE(v) << c.tag << " \"" << payload << "\": " << v.status().message();
    }
    for (const char* payload : c.rejected) {
      Result<Value> v = decode_value_text(tagged(c.tag, payload));
      EXPECT_FALSE(v) << c.tag << " \"" << payload << "\" was accepted";
      if (!v) {
        EXPECT_EQ(v.status().side(), Side::kArchive);
      }
    }
  }
}

TEST(ValueCodecGrammar, RejectedPayloadsAreNamedInTheMessage) {
  Result<Value> v = decode_value_text(R"({"$localDate":"2023-02-29"})");
  ASSERT_FALSE(v);
  EXPECT_EQ(v.status().message(), "malformed $localDate payload \"2023-02-29\"");
}

TEST(ValueCodecGrammar, Base64IsStrict) {
  std::string out;
  EXPECT_TRUE(base64_decode("", out));
  EXPECT_EQ(out, "");
  EXPECT_TRUE(base64_decode("QQ==", out));
  EXPECT_EQ(out, "A");
  EXPECT_TRUE(base64_decode("QUI=", out));
  EXPECT_EQ(out, "AB");
  EXPECT_TRUE(base64_decode("+/+/", out));
  EXPECT_EQ(out, "\xfb\xff\xbf");
  for (const char* bad : {"QR==", "QUJ=", "QQ", "Q===", "=QQ=", "QQ==QQ==", "QQ=A", "QQ-_", "QQ==\n"})
    EXPECT_FALSE(base64_decode(bad, out)) << bad;
  EXPECT_FALSE(base64_decode(std::string("QQ\0=", 4), out));
}

TEST(ValueCodecGrammar, RawTextOfValidUtf8IsOrdinaryText) {
  Result<Value> cafe = decode_value_text(R"({"$rawText":"Y2Fmw6k="})");  // "café" in UTF-8
  ASSERT_TRUE(cafe) << cafe.status().message();
  EXPECT_TRUE(*cafe == Value::of_text("caf\xc3\xa9"));
  EXPECT_EQ(encode(*cafe), "\"caf\xc3\xa9\"");
  Result<Value> empty = decode_value_text(R"({"$rawText":""})");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(*empty == Value::of_text(""));
  Result<Value> latin1 = decode_value_text(R"({"$rawText":"Y2Fm6Q=="})");
  ASSERT_TRUE(latin1);
  EXPECT_TRUE(*latin1 == Value::with_text(Kind::kRawText, "caf\xe9"));
  // A writer never uses $rawText for valid UTF-8, so the digest it computes matches a reader's.
  EXPECT_EQ(encode(Value::with_text(Kind::kRawText, "caf\xc3\xa9")), "\"caf\xc3\xa9\"");
}

TEST(ValueCodecGrammar, BinarySubtypeIsTwoLowercaseHexDigits) {
  Result<Value> ff = decode_value_text(R"({"$binary":{"base64":"AA==","subType":"ff"}})");
  ASSERT_TRUE(ff) << ff.status().message();
  EXPECT_EQ(ff->subtype, 0xff);
  for (const char* sub : {"0", "000", "FF", "0A", "g0", " 0", "", "-1"}) {
    std::string json = std::string(R"({"$binary":{"base64":"AA==","subType":")") + sub + "\"}}";
    Result<Value> v = decode_value_text(json);
    ASSERT_FALSE(v) << json;
    EXPECT_NE(v.status().message().find("malformed $binary subType"), std::string::npos) << v.status().message();
  }
}

TEST(ValueCodecGrammar, PayloadObjectsHaveExactlyTheirMembers) {
  struct {
    const char* json;
    const char* message;
  } cases[] = {
      {R"({"$binary":{"base64":"AA==","subType":"00","x":1}})", "unexpected member \"x\" in $binary"},
      {R"({"$binary":{"base64":"AA==","base64":"AA==","subType":"00"}})", "duplicate member \"base64\" in $binary"},
      {R"({"$binary":{"base64":"AA==","subType":"00","subType":"00"}})", "duplicate member \"subType\""},
      {R"({"$binary":{"subType":"00"}})", "needs base64 and subType"},
      {R"({"$binary":{"base64":1,"subType":"00"}})", "must be strings"},
      {R"({"$binary":"AA=="})", "must be an object"},
      {R"({"$interval":{"months":1,"days":2,"micros":"3","months":1}})", "duplicate member \"months\" in $interval"},
      {R"({"$interval":{"months":1,"days":2,"micros":"3","years":0}})", "unexpected member \"years\""},
      {R"({"$interval":{"months":1.0,"days":2,"micros":"3"}})", "months must be a 32-bit integer"},
      {R"({"$interval":{"months":1,"days":1e2,"micros":"3"}})", "days must be a 32-bit integer"},
      {R"({"$interval":{"months":2147483648,"days":2,"micros":"3"}})", "months must be a 32-bit integer"},
      {R"({"$interval":{"months":1,"days":2,"micros":3}})", "micros must be an integer string"},
      {R"({"$interval":{"months":1,"days":2,"micros":"-0"}})", "micros must be an integer string"},
      {R"({"$literal":{}})", "exactly one member"},
      {R"({"$literal":{"$a":1,"$b":2}})", "exactly one member"},
      {R"({"$literal":{"a":1}})", "exactly one member"},
      {R"({"$literal":[1]})", "must be an object"},
  };
  for (const auto& c : cases) {
    Result<Value> v = decode_value_text(c.json);
    ASSERT_FALSE(v) << c.json;
    EXPECT_NE(v.status().message().find(c.message), std::string::npos) << c.json << " -> " << v.status().message();
  }
  Result<Value> reordered = decode_value_text(R"({"$interval":{"micros":"-5","days":-3,"months":14}})");
  ASSERT_TRUE(reordered) << reordered.status().message();
  EXPECT_EQ(encode(*reordered), R"({"$interval":{"months":14,"days":-3,"micros":"-5"}})");
  Result<Value> literal = decode_value_text(R"({"$literal":{"$literal":{"$numberLong":"5"}}})");
  ASSERT_TRUE(literal) << literal.status().message();
  ASSERT_EQ(literal->fields.size(), 1u);
  EXPECT_EQ(literal->fields[0].name, "$literal");
  EXPECT_TRUE(literal->fields[0].value == Value::of_int(5));
}

// ---- numbers (SPEC 4.5.2, 4.5.3, 5.3) ----

TEST(ValueCodecNumbers, PlainMinusZeroIsTheInt64Zero) {
  Result<Value> v = decode_value_text("-0");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->kind, Kind::kInt64);
  EXPECT_EQ(v->integer, 0);
  EXPECT_EQ(encode(*v), "0");
  Result<Value> d = decode_value_text("-0.0");
  ASSERT_TRUE(d);
  EXPECT_TRUE(std::signbit(d->real));
  EXPECT_EQ(encode(*d), R"({"$numberDouble":"-0.0"})");
}

TEST(ValueCodecNumbers, IntegersBeyondInt64AreErrorsNeverRounded) {
  for (const char* json : {"9223372036854775808", "-9223372036854775809", "18446744073709551616",
                           "123456789012345678901234567890"}) {
    Result<Value> v = decode_value_text(json);
    ASSERT_FALSE(v) << json;
    EXPECT_EQ(v.status().message(), std::string("integer ") + json + " is outside the int64 range");
  }
  Result<Value> big = decode_value_text("9223372036854775807");
  ASSERT_TRUE(big);
  EXPECT_EQ(encode(*big), R"({"$numberLong":"9223372036854775807"})");
}

TEST(ValueCodecNumbers, MagnitudeOverflowIsAnErrorUnderflowRoundsToZero) {
  for (const char* json : {"1e400", "-1e400", "1.7976931348623159e308", R"({"$numberDouble":"1e400"})",
                           R"({"$numberDouble":"-1.7976931348623159e308"})",
                           R"({"$numberDouble":"1e99999999999999999999"})"}) {
    Result<Value> v = decode_value_text(json);
    ASSERT_FALSE(v) << json;
    EXPECT_NE(v.status().message().find("outside the float64 range"), std::string::npos) << v.status().message();
  }
  struct {
    const char* json;
    double expected;
  } cases[] = {
      {"1e-400", 0.0},
      {"-1e-400", -0.0},
      {R"({"$numberDouble":"1e-400"})", 0.0},
      {R"({"$numberDouble":"-1e-400"})", -0.0},
      {R"({"$numberDouble":"0.000001e-99999999999999999999"})", 0.0},
      {R"({"$numberDouble":"2.4703282292062328e-324"})", 5e-324},  // just above half the smallest
      {R"({"$numberDouble":"2.4703282292062327e-324"})", 0.0},     // just below it
      {R"({"$numberDouble":"1.7976931348623158e308"})", 1.7976931348623157e308},
      {R"({"$numberDouble":"0e999999"})", 0.0},
  };
  for (const auto& c : cases) {
    Result<Value> v = decode_value_text(c.json);
    ASSERT_TRUE(v) << c.json << ": " << v.status().message();
    EXPECT_EQ(std::bit_cast<uint64_t>(v->real), std::bit_cast<uint64_t>(c.expected)) << c.json;
  }
}

TEST(ValueCodecNumbers, NaNDecodesToTheQuietNaN) {
  Result<Value> nan = decode_value_text(R"({"$numberDouble":"NaN"})");
  ASSERT_TRUE(nan);
  EXPECT_EQ(std::bit_cast<uint64_t>(nan->real), 0x7FF8000000000000u);
  // Every NaN is one value: sign and payload bits are not written.
  double signalling_negative_nan = std::bit_cast<double>(uint64_t{0xFFF0000000000001});
  EXPECT_EQ(encode(Value::of_double(signalling_negative_nan)), R"({"$numberDouble":"NaN"})");
}

// Section 5.3's table and 4.5.3's ".0 appended when it contains no e".
TEST(ValueCodecNumbers, CanonicalDoubleTextFollowsSection5_3) {
  struct {
    double value;
    const char* json;
  } cases[] = {
      {2.5, "2.5"},
      {0.001, "0.001"},
      {0.0001, "1e-04"},
      {1234567.5, "1234567.5"},
      {5e-324, "5e-324"},
      {0.30000000000000004, "0.30000000000000004"},
      {10000, R"({"$numberDouble":"10000.0"})"},
      {100000, R"({"$numberDouble":"1e+05"})"},
      {1e22, R"({"$numberDouble":"1e+22"})"},
      {1e300, R"({"$numberDouble":"1e+300"})"},
      {1152921504606846976.0, R"({"$numberDouble":"1152921504606846976.0"})"},
      {1.2345678901234568e20, R"({"$numberDouble":"123456789012345683968.0"})"},
      {-3.0, R"({"$numberDouble":"-3.0"})"},
      {0.0, R"({"$numberDouble":"0.0"})"},
      {1.7976931348623157e308, R"({"$numberDouble":"1.7976931348623157e+308"})"},
  };
  for (const auto& c : cases) EXPECT_EQ(encode(Value::of_double(c.value)), c.json) << c.value;
}

// The writer appends ".0" to a $numberDouble text without 'e'; the text of an integral double
// never has a '.' without an 'e', so that is also "without '.' or 'e'". Checked over every
// power of two and of ten and a spread of other integral values, with a round trip each.
TEST(ValueCodecNumbers, IntegralDoubleTextsRoundTrip) {
  std::vector<double> values;
  for (int e = 0; e <= 1023; ++e) values.push_back(std::ldexp(1.0, e));
  for (int e = 0; e <= 308; ++e) values.push_back(std::pow(10.0, e));
  for (double d = 1; d < 1e308; d = std::floor(d * 7.3 + 1)) values.push_back(d);
  values.push_back(std::numeric_limits<double>::max());
  for (double d : values) {
    for (double v : {d, -d}) {
      std::string json = encode(Value::of_double(v));
      std::string payload = json.substr(17, json.size() - 19);  // {"$numberDouble":"…"}
      bool exponent = payload.find('e') != std::string::npos;
      EXPECT_EQ(payload.ends_with(".0"), !exponent) << payload;
      EXPECT_EQ(payload.find('.') == payload.size() - 2 || exponent, true) << payload;
      Result<Value> back = decode_value_text(json);
      ASSERT_TRUE(back) << json;
      EXPECT_EQ(back->real, v) << json;
      EXPECT_EQ(encode(*back), json);
    }
  }
}

// ---- vectors (SPEC 4.5.13) ----

TEST(ValueCodecVectors, ElementsArePlainFiniteNumbers) {
  for (const char* json : {R"({"$vector":["NaN"]})", R"({"$vector":[null]})", R"({"$vector":[{"$numberDouble":"1"}]})",
                           R"({"$vector":[[1]]})", R"({"$halfvec":["Infinity"]})"}) {
    Result<Value> v = decode_value_text(json);
    ASSERT_FALSE(v) << json;
    EXPECT_NE(v.status().message().find("is not a number"), std::string::npos) << v.status().message();
  }
  for (const char* json : {R"({"$vector":[1e39]})", R"({"$vector":[-3.4028236e38]})", R"({"$halfvec":[65520]})",
                           R"({"$halfvec":[-1e5]})"}) {
    Result<Value> v = decode_value_text(json);
    ASSERT_FALSE(v) << json;
    EXPECT_NE(v.status().message().find("is outside the"), std::string::npos) << v.status().message();
  }
  Result<Value> forms = decode_value_text(R"({"$vector":[1.0,1E0,-0,1e-50,3.4028235e38]})");
  ASSERT_TRUE(forms) << forms.status().message();
  EXPECT_EQ(forms->floats, (std::vector<float>{1, 1, -0.0f, 0, 3.4028235e38f}));
  EXPECT_EQ(encode(*forms), R"({"$vector":[1,1,-0,0,3.4028235e+38]})");
}

TEST(ValueCodecVectors, ElementsRoundStraightToFloat32) {
  // Just above the midpoint between 1 and the next float, but rounding to that midpoint as a
  // double: decimal -> double -> float would give 1.
  Result<Value> v = decode_value_text(R"({"$vector":[1.00000005960464478]})");
  ASSERT_TRUE(v) << v.status().message();
  EXPECT_EQ(v->floats, (std::vector<float>{1.00000012f}));
  // Subnormal floats, and the edge between the largest float and infinity.
  v = decode_value_text(R"({"$vector":[1e-40,-1.4e-45,7.1e-46,7e-46,3.4028235677973366e38]})");
  ASSERT_TRUE(v) << v.status().message();
  EXPECT_EQ(v->floats, (std::vector<float>{1e-40f, -0x1p-149f, 0x1p-149f, 0, 3.4028235e38f}));
  EXPECT_FALSE(decode_value_text(R"({"$vector":[3.4028235677973367e38]})"));
}

TEST(ValueCodecVectors, HalfvecElementsRoundToFloat16) {
  Result<Value> v = decode_value_text(R"({"$halfvec":[0.1,65504,65519.99,2049,2051,-2049,1e-8,5.9604645e-8,6e-5]})");
  ASSERT_TRUE(v) << v.status().message();
  EXPECT_EQ(v->floats, (std::vector<float>{0.0999755859375f, 65504, 65504, 2048, 2052, -2048, 0, 0x1p-24f,
                                           0x1.f78p-15f}));
  EXPECT_EQ(encode(*v), R"({"$halfvec":[0.099975586,65504,65504,2048,2052,-2048,0,5.9604645e-08,6.0021877e-05]})");
}

// ---- $json (SPEC 4.5.11) ----

TEST(ValueCodecJson, PayloadKeepsNumberTextAndDuplicates) {
  Result<Value> v =
      decode_value_text(R"({"$json":{"n":[1E400, 123456789012345678901234567890,-0,1.0],"a":1,"a":{"$oid":2}}})");
  ASSERT_TRUE(v) << v.status().message();
  EXPECT_EQ(v->kind, Kind::kJson);
  EXPECT_EQ(v->text, R"({"n":[1E400,123456789012345678901234567890,-0,1.0],"a":1,"a":{"$oid":2}})");
  for (const char* json : {R"({"$json":[01]})", R"({"$json":[1.]})", R"({"$json":"\ud800"})", R"({"$json":[-]})"})
    EXPECT_FALSE(decode_value_text(json)) << json;
}

// ---- records, duplicates, nesting (SPEC 2.1, 2.2, 3.3, 4.2) ----

Status decode_record_text(const std::string& json, Record& out) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(object)) return Status::archive("not an object");
  return decode_record(object, out);
}

TEST(ValueCodecRecords, RecordIsNeverATag) {
  Record r;
  Status s = decode_record_text(R"({"$key":{"$numberLong":"5"}})", r);
  ASSERT_TRUE(s) << s.message();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].name, "$key");
  EXPECT_TRUE(r[0].value == Value::of_int(5));
}

TEST(ValueCodecRecords, DuplicateNamesAreErrors) {
  Record r;
  Status s = decode_record_text(R"({"Id":1,"Title":"a","Title":"b"})", r);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "duplicate member \"Title\" in record");
  EXPECT_FALSE(decode_record_text(R"({"":1,"":2})", r));
  s = decode_record_text(R"({"x":{"a":1,"b":[{"c":1,"c":2}]}})", r);
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("duplicate member \"c\" in document"), std::string::npos) << s.message();
}

// {"<name(0)>":0,...} with `count` members, then `extra`.
std::string object_with(int count, std::string (*name)(int), const std::string& extra = "") {
  std::string json = "{";
  for (int i = 0; i < count; ++i) json += (i ? ",\"" : "\"") + name(i) + "\":0";
  return json + extra + "}";
}

std::string numbered(int i) { return "c" + std::to_string(i); }

// Names that differ only in bytes 8 and 9, which the duplicate check's hash skips in names of
// this length: they all collide, so telling them apart is left to the comparisons.
std::string lookalike(int i) {
  return "abcdefgh" + std::string{char('a' + i % 26), char('a' + i / 26)} + "ijklmnop";
}

TEST(ValueCodecRecords, DuplicateNamesAreFoundInNarrowAndWideRecords) {
  for (int count : {1, 2, 40, 63, 64, 255, 256, 300}) {
    for (auto name : {numbered, lookalike}) {
      Record r;
      Status s = decode_record_text(object_with(count, name), r);
      ASSERT_TRUE(s) << count << ": " << s.message();
      EXPECT_EQ(r.size(), static_cast<size_t>(count));
      std::string twice = name(count / 2);
      s = decode_record_text(object_with(count, name, ",\"" + twice + "\":1"), r);
      ASSERT_FALSE(s) << count << " " << twice;
      EXPECT_EQ(s.message(), "duplicate member \"" + twice + "\" in record");
    }
  }
}

std::string nested_arrays(int levels, const std::string& inner = "") {
  return std::string(levels, '[') + inner + std::string(levels, ']');
}

TEST(ValueCodecRecords, NestingIsLimitedTo64LevelsCountingTheRecord) {
  // Standalone: the outermost array is level 1.
  EXPECT_TRUE(decode_value_text(nested_arrays(64)));
  EXPECT_FALSE(decode_value_text(nested_arrays(65)));
  // In a record "r" is level 1, so a field holds at most 63 levels.
  Record r;
  EXPECT_TRUE(decode_record_text(R"({"f":)" + nested_arrays(63) + "}", r));
  Status s = decode_record_text(R"({"f":)" + nested_arrays(64) + "}", r);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "field \"f\": nesting deeper than 64 levels");
  // Tags and their payloads count: a tag object, its payload object one level deeper.
  const std::string binary = R"({"$binary":{"base64":"","subType":"00"}})";
  EXPECT_TRUE(decode_value_text(nested_arrays(62, binary)));
  EXPECT_FALSE(decode_value_text(nested_arrays(63, binary)));
  EXPECT_TRUE(decode_value_text(nested_arrays(63, R"({"$numberLong":"1"})")));
  EXPECT_TRUE(decode_value_text(R"({"$json":)" + nested_arrays(63) + "}"));
  EXPECT_FALSE(decode_value_text(R"({"$json":)" + nested_arrays(64) + "}"));
  EXPECT_TRUE(decode_value_text(R"({"$literal":{"$a":)" + nested_arrays(62) + "}}"));
  EXPECT_FALSE(decode_value_text(R"({"$literal":{"$a":)" + nested_arrays(63) + "}}"));
  EXPECT_TRUE(decode_value_text(nested_arrays(62, R"({"$vector":[1]})")));
  EXPECT_FALSE(decode_value_text(nested_arrays(63, R"({"$vector":[1]})")));
}

TEST(ValueCodecRecords, EscapedNamesAreComparedUnescaped) {
  Result<Value> doc = decode_value_text(R"({"\u0061":1})");
  ASSERT_TRUE(doc);
  ASSERT_EQ(doc->kind, Kind::kDocument);
  EXPECT_EQ(doc->fields[0].name, "a");
  Record r;
  Status s = decode_record_text(R"({"a":1,"\u0061":2})", r);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.message(), "duplicate member \"a\" in record");
}

// A one-member object whose name starts with an escape may be a tag ("\u0024..."); deciding
// must not unescape the name a second time: simdjson keeps room for each string once, and a
// long name read twice ran past its buffer (libFuzzer, under ASan).
TEST(ValueCodecTest, LongEscapedNameOfAOneMemberObject) {
  std::string name = "\\" + std::string(20000, 'a');
  Result<Value> v = decode_value_text("{\"\\\\" + std::string(20000, 'a') + "\":1}");
  ASSERT_TRUE(v) << v.status().message();
  ASSERT_EQ(v->kind, Kind::kDocument);
  ASSERT_EQ(v->fields.size(), 1u);
  EXPECT_EQ(v->fields[0].name, name);
  EXPECT_EQ(v->fields[0].value.integer, 1);
}

}  // namespace
}  // namespace decant
