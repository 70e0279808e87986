// An archive is untrusted input (format/SPEC.md 8): each way of attacking or breaking the reader
// gives one clear error naming the line and byte offset, never a crash or an unbounded
// allocation. Tests named after a fuzzer finding replay that finding (tests/fuzz/regressions/).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "format/archive.h"
#include "format/value_codec.h"

namespace decant {
namespace {

const std::string kHeader = R"({"t":"header","format":"decant-archive","version":"1.0"})";
const std::string kStream = R"({"t":"stream","name":"a","kind":"table","schema":{"columns":[],"key":[],"indexes":[]}})";

// The archive of `lines`, each given a terminating newline.
std::string archive(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

// The "NAME:LINE: byte OFFSET:" prefix of an error on line `line` (1-based) of `lines`.
std::string at(const std::vector<std::string>& lines, size_t line) {
  size_t offset = 0;
  for (size_t i = 0; i + 1 < line; ++i) offset += lines[i].size() + 1;
  return "in.ndjson:" + std::to_string(line) + ": byte " + std::to_string(offset) + ": ";
}

Status read_all(const std::string& bytes) {
  MemorySource source(bytes);
  ArchiveReader reader(source, "in.ndjson");
  DECANT_TRY(reader.open());
  for (;;) {
    Result<ArchiveEvent> e = reader.next();
    if (!e) return e.take_status();
    if (*e == ArchiveEvent::kEnd) return Status::ok();
  }
}

// Reading `lines` fails at line `line` with a message that starts with the location and then
// contains `what`.
void expect_error_at(const std::vector<std::string>& lines, size_t line, const std::string& what) {
  Status s = read_all(archive(lines));
  ASSERT_FALSE(s) << "expected: " << what;
  EXPECT_EQ(s.side(), Side::kArchive);
  EXPECT_EQ(s.message().rfind(at(lines, line), 0), 0u) << s.message();
  EXPECT_NE(s.message().find(what), std::string::npos) << s.message();
}

std::string nested(int levels) { return std::string(levels, '[') + std::string(levels, ']'); }

// Fuzzer finding: simdjson types "nul" as a null, and converting its is_null() result to bool
// threw, which terminated decant.
TEST(FuzzRegression, MisspeltNullIsAMalformedValue) {
  for (const char* text : {"nul", "nll", "nulll", "n"}) {
    Result<Value> v = decode_value_text(text);
    ASSERT_FALSE(v) << text;
    EXPECT_NE(v.status().message().find("malformed null"), std::string::npos) << v.status().message();
  }
  Result<Value> in_json = decode_value_text(R"({"$json":[1,nul]})");
  ASSERT_FALSE(in_json);
  EXPECT_NE(in_json.status().message().find("malformed null in $json"), std::string::npos)
      << in_json.status().message();
  expect_error_at({kHeader, kStream, R"({"t":"rec","s":"a","r":{"x":nll}})"}, 3, "field \"x\": malformed null");
}

// Fuzzer finding: an object member without its colon ({"a","b":1}) made simdjson's field
// result an error, and reading its key threw, which terminated decant.
TEST(FuzzRegression, MemberWithoutColonIsAnError) {
  expect_error_at({kHeader, kStream, R"({"t":"rec","s":"a","r":{"x","y":1}})"}, 3, "a record field");
  expect_error_at({kHeader, kStream, R"({"t":"rec","s":"a","r":{"x":{"p","q":1}}})"}, 3, "field \"x\"");
  EXPECT_FALSE(decode_value_text(R"({"p","q":1})"));
}

// Without a depth check, nlohmann built a tree of every level of a non-record line: 40 MB of
// '[' in a stream line took 1.7 GB. Every line kind now stops at 64 levels.
TEST(UntrustedInput, DeepNestingInAnyLineIsRefused) {
  std::string deep = nested(100000);
  expect_error_at({R"({"t":"header","format":"decant-archive","version":"1.0","x":)" + deep + "}"}, 1,
                  "nests deeper than 64 levels");
  std::string stream = kStream;
  stream.insert(stream.size() - 1, ",\"options\":{\"x\":" + deep + "}");
  expect_error_at({kHeader, stream}, 2, "nesting deeper than 64 levels");
  expect_error_at({kHeader, kStream, R"({"t":"end","s":"a","count":0,"digest":)" + deep + "}"}, 3,
                  "nesting deeper than 64 levels");
  expect_error_at({kHeader, kStream, R"({"t":"rec","s":"a","r":{"x":)" + deep + "}}"}, 3,
                  "field \"x\": nesting deeper than 64 levels");
  // A line kind of a newer minor is skipped, but not before its depth is checked.
  std::string newer = R"({"t":"header","format":"decant-archive","version":"1.9"})";
  expect_error_at({newer, kStream, R"({"t":"future","x":)" + deep + "}"}, 3, "nesting deeper than 64 levels");
}

TEST(UntrustedInput, SixtyFourLevelsAreAccepted) {
  // The record object is level 1 and the line object around it does not count (SPEC 2.2).
  std::string ok = R"({"t":"rec","s":"a","r":{"x":)" + nested(63) + "}}";
  std::vector<std::string> lines = {kHeader, kStream, ok, R"({"t":"end","s":"a","count":1,"digest":"0"})"};
  Status s = read_all(archive(lines));
  ASSERT_FALSE(s);  // the made-up digest, which shows the record itself was read
  EXPECT_NE(s.message().find("malformed digest"), std::string::npos) << s.message();
  expect_error_at({kHeader, kStream, R"({"t":"rec","s":"a","r":{"x":)" + nested(64) + "}}"}, 3,
                  "nesting deeper than 64 levels");
}

TEST(UntrustedInput, InvalidUtf8AnywhereIsACorruptLine) {
  const std::string bad = "\xc3\x28";         // a lead byte without its continuation
  const std::string overlong = "\xc0\xaf";    // '/' in two bytes
  const std::string surrogate = "\xed\xa0\x80";  // U+D800 encoded
  for (const std::string& bytes : {bad, overlong, surrogate}) {
    expect_error_at({R"({"t":"header","format":"decant-archive","version":"1.0","producer":")" + bytes + "\"}"}, 1,
                    "not a decant archive");
    expect_error_at({kHeader, R"({"t":"stream","name":")" + bytes + R"(","kind":"table","schema":{}})"}, 2,
                    "not valid UTF-8");
    expect_error_at({kHeader, kStream, R"({"t":"rec","s":"a","r":{"x":")" + bytes + "\"}}"}, 3, "not valid UTF-8");
    expect_error_at({kHeader, kStream, R"({"t":"rec","s":"a","r":{")" + bytes + "\":1}}"}, 3, "not valid UTF-8");
  }
}

TEST(UntrustedInput, BadTagsNameTheFieldAndTheTag) {
  struct {
    std::string value;
    std::string message;
  } cases[] = {
      {R"({"$symbol":"5f"})", "field \"x\": unknown tag \"$symbol\""},
      {R"({"$oid":"5f"})", "field \"x\": malformed $oid payload \"5f\""},
      {R"({"$date":"2024-01-01"})", "field \"x\": $date payload must be {\"$numberLong\":\"<ms>\"}"},
      {R"({"$timestamp":{"t":1,"i":4294967296}})", "$timestamp i must be an unsigned 32-bit integer"},
      {R"({"$regularExpression":{"pattern":"a","options":"si"}})", "options \"si\" are not sorted and unique"},
      {R"({"$minKey":0})", "field \"x\": $minKey payload must be 1"},
      {R"({"$numberLong":12})", "field \"x\": $numberLong payload must be a string"},
      {R"({"$localDate":"2023-02-29"})", "field \"x\": malformed $localDate payload \"2023-02-29\""},
      {R"({"$binary":{"base64":"AA==","subType":"00","extra":1}})", "unexpected member \"extra\" in $binary"},
      {R"({"$vector":[1,"2"]})", "field \"x\": $vector: element 1 is not a number"},
      {R"({"$interval":{"months":1,"days":1,"micros":1}})", "$interval micros must be an integer string"},
      {R"({"$uuid":"not-a-uuid"})", "malformed $uuid payload"},
      {R"({"\u0024numberLong":"x"})", "malformed $numberLong payload"},
      {R"([{"$numberDouble":"1e999"}])", "outside the float64 range"},
  };
  for (const auto& c : cases)
    expect_error_at({kHeader, kStream, R"({"t":"rec","s":"a","r":{"x":)" + c.value + "}}"}, 3, c.message);
}

TEST(UntrustedInput, OverlongLineIsRefusedAtItsStart) {
  std::vector<std::string> lines = {kHeader, kStream, R"({"t":"rec","s":"a","r":{"x":")" + std::string(5 << 20, 'x')};
  ReaderOptions options;
  options.max_line_bytes = 1 << 20;
  MemorySource source(archive(lines));  // unterminated string: the limit is hit before any end
  ArchiveReader reader(source, "in.ndjson", options);
  ASSERT_TRUE(reader.open());
  Result<ArchiveEvent> e = reader.next();
  ASSERT_TRUE(e);  // the stream line
  e = reader.next();
  ASSERT_FALSE(e);
  EXPECT_EQ(e.status().message(), at(lines, 3) + "line is longer than the limit of 1048576 bytes");
}

}  // namespace
}  // namespace decant
