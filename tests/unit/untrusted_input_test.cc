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

}  // namespace
}  // namespace decant
