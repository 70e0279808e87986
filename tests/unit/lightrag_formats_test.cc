// The LightRAG file-format pieces, checked against bytes Python and numpy produce (the expected
// strings below were printed by Python 3.11: json.dumps, repr, numpy float16, zlib, base64).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "backends/lightrag_json.h"
#include "backends/lightrag_vectors.h"
#include "layouts/lightrag.h"

namespace decant::lightrag {
namespace {

Value document() {
  Value v;
  v.kind = Kind::kDocument;
  return v;
}
Value array() {
  Value v;
  v.kind = Kind::kArray;
  return v;
}

std::string py_float(double value) {
  std::string out;
  append_py_float(value, out);
  return out;
}

TEST(LightragFormats, FloatsAsPythonRepr) {
  EXPECT_EQ(py_float(1.0), "1.0");
  EXPECT_EQ(py_float(0.0001), "0.0001");
  EXPECT_EQ(py_float(1e-05), "1e-05");
  EXPECT_EQ(py_float(1e16), "1e+16");
  EXPECT_EQ(py_float(123456789012345.0), "123456789012345.0");
  EXPECT_EQ(py_float(0.30000000000000004), "0.30000000000000004");
  EXPECT_EQ(py_float(-0.0), "-0.0");
  EXPECT_EQ(py_float(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(py_float(-std::numeric_limits<double>::infinity()), "-Infinity");
}

TEST(LightragFormats, EnsureAsciiEscapesAsPythonJsonDumps) {
  // json.dumps("Zürich 😀 \u2028 del \x7f ~") == '"Z\\u00fcrich \\ud83d\\ude00 \\u2028 del \\u007f ~"'
  std::string json = "\"Z\xC3\xBCrich \xF0\x9F\x98\x80 \xE2\x80\xA8 del \x7F ~\"";
  escape_non_ascii(json);
  EXPECT_EQ(json, "\"Z\\u00fcrich \\ud83d\\ude00 \\u2028 del \\u007f ~\"");
  std::string plain = "{\"a\": 1}";
  escape_non_ascii(plain);
  EXPECT_EQ(plain, "{\"a\": 1}");
}

TEST(LightragFormats, IndentedLayoutIsJsonDumpIndent2) {
  // json.dumps({"k": [1, {"x": None}], "e": [], "o": {}}, indent=2)
  Value doc = document();
  Value list = array();
  list.items.push_back(Value::of_int(1));
  Value inner = document();
  inner.fields.push_back(Field{"x", Value::null()});
  list.items.push_back(inner);
  doc.fields.push_back(Field{"k", list});
  doc.fields.push_back(Field{"e", array()});
  doc.fields.push_back(Field{"o", document()});
  std::string out;
  ASSERT_TRUE(append_py_json(doc, PyLayout::kIndented, 0, out));
  EXPECT_EQ(out, "{\n  \"k\": [\n    1,\n    {\n      \"x\": null\n    }\n  ],\n  \"e\": [],\n  \"o\": {}\n}");
  out.clear();
  ASSERT_TRUE(append_py_json(doc, PyLayout::kOneLine, 0, out));
  EXPECT_EQ(out, "{\"k\": [1, {\"x\": null}], \"e\": [], \"o\": {}}");
}

TEST(LightragFormats, HalfPrecisionRoundsToNearestEven) {
  EXPECT_EQ(float_to_half(1.0f), 0x3C00);
  EXPECT_EQ(float_to_half(-2.0f), 0xC000);
  EXPECT_EQ(float_to_half(65504.0f), 0x7BFF);
  EXPECT_EQ(float_to_half(1e6f), 0x7C00);          // overflow: infinity, as numpy
  EXPECT_EQ(float_to_half(0.1f), 0x2E66);          // numpy.float16(0.1).view(uint16)
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048), 0x3C00);  // a tie rounds to even
  EXPECT_EQ(float_to_half(5.9604645e-08f), 0x0001);      // the smallest subnormal
  EXPECT_EQ(half_to_float(0x2E66), 0.0999755859375f);
  EXPECT_TRUE(std::isnan(half_to_float(0x7E00)));
}

TEST(LightragFormats, RowVectorIsBase64ZlibFloat16) {
  // LightRAG: base64(zlib.compress(np.array([1,2,3,4], np.float16).tobytes()))
  EXPECT_EQ(encode_row_vector({1, 2, 3, 4}), "eJxjsGFwYHBicAEAA/YBAw==");
  std::vector<float> back;
  ASSERT_TRUE(decode_row_vector("eJxjsGFwYHBicAEAA/YBAw==", back));
  EXPECT_EQ(back, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_FALSE(decode_row_vector("not base64!", back));
}

TEST(LightragFormats, NormalisedRowsAndStreamedBase64) {
  EXPECT_EQ(l2_normalized({3, 4, 0, 0}), (std::vector<float>{0.6f, 0.8f, 0, 0}));
  std::string bytes;
  append_float32_le({1.0f}, bytes);
  EXPECT_EQ(bytes, std::string("\x00\x00\x80\x3F", 4));
  // Pieces of any size give the same text as one call.
  std::string whole, pieces;
  Base64Encoder one, many;
  one.add("abcdefghij", whole);
  one.finish(whole);
  for (char c : std::string("abcdefghij")) many.add(std::string_view(&c, 1), pieces);
  many.finish(pieces);
  EXPECT_EQ(whole, "YWJjZGVmZ2hpag==");
  EXPECT_EQ(pieces, whole);
  Base64Decoder decoder;
  std::string decoded;
  ASSERT_TRUE(decoder.add("YWJjZ", decoded));
  ASSERT_TRUE(decoder.add("GVmZ2hpag==", decoded));
  ASSERT_TRUE(decoder.finish(decoded));
  EXPECT_EQ(decoded, "abcdefghij");
}

TEST(LightragFormats, ReaderFromTextReadsMembersInOrder) {
  std::unique_ptr<JsonFileReader> reader =
      JsonFileReader::from_text("{\"b\": 1, \"_id\": \"x\", \"a\": [1.5, \"\\u00fc\"], \"n\": 12345678901234567890}", "test");
  ASSERT_TRUE(reader->expect('{'));
  Record record;
  ASSERT_TRUE(reader->read_members(record, "_id"));
  ASSERT_TRUE(reader->expect_end());
  ASSERT_EQ(record.size(), 3u);
  EXPECT_EQ(record[0].name, "b");
  EXPECT_EQ(record[1].name, "a");
  EXPECT_EQ(record[1].value.items[1].text, "\xC3\xBC");
  EXPECT_EQ(record[2].value.kind, Kind::kDecimal);
  std::unique_ptr<JsonFileReader> bad = JsonFileReader::from_text("{\"a\": }", "bad value");
  ASSERT_TRUE(bad->expect('{'));
  Record ignored;
  Status failed = bad->read_members(ignored, "");
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.message().find("bad value"), std::string::npos);
}

TEST(LightragFormats, LegacyCacheExpansion) {
  Value entry = document();
  entry.fields.push_back(Field{"return", Value::of_text("r")});
  entry.fields.push_back(Field{"cache_type", Value::of_text("query")});
  Value nested = document();
  nested.fields.push_back(Field{"0123", entry});
  std::vector<std::string> ids;
  Result<bool> expanded = expand_legacy_cache("mix", nested, [&](const Record& r) {
    ids.push_back(r[0].value.text);
    EXPECT_EQ(r.size(), 3u);
    return Status::ok();
  });
  ASSERT_TRUE(expanded);
  EXPECT_TRUE(*expanded);
  EXPECT_EQ(ids, (std::vector<std::string>{"mix:query:0123"}));
  Value plain = document();
  plain.fields.push_back(Field{"return", Value::of_text("r")});
  Result<bool> not_nested = expand_legacy_cache("x", plain, [](const Record&) { return Status::ok(); });
  ASSERT_TRUE(not_nested);
  EXPECT_FALSE(*not_nested);
}

}  // namespace
}  // namespace decant::lightrag
