// The reader hashes a record's text as read when it can prove that text canonical, and
// re-encodes it otherwise. Whatever the spelling, the digest input must be the canonical
// encoding: for canonical and non-canonical spellings alike, canonical_record() has to equal
// encode_record() of the decoded record.
#include <gtest/gtest.h>

#include "format/archive.h"
#include "format/value_codec.h"

namespace decant {
namespace {

// Reads one record line `r` inside a minimal archive (counts and digests not checked).
void expect_canonical_bytes(const std::string& r) {
  std::string archive =
      "{\"t\":\"header\",\"format\":\"decant-archive\",\"version\":\"1.0\"}\n"
      "{\"t\":\"stream\",\"name\":\"s\",\"kind\":\"table\",\"schema\":{\"columns\":[],\"key\":[],\"indexes\":[]}}\n"
      "{\"t\":\"rec\",\"s\":\"s\",\"r\":" + r + "}\n";
  MemorySource source(archive);
  ReaderOptions options;
  options.strict_digests = false;
  ArchiveReader reader(source, "test", options);
  ASSERT_TRUE(reader.open());
  ASSERT_TRUE(reader.next());
  Result<ArchiveEvent> event = reader.next();
  ASSERT_TRUE(event) << r << ": " << event.status().message();
  ASSERT_EQ(*event, ArchiveEvent::kRecord);
  std::string expected;
  encode_record(reader.record(), expected);
  EXPECT_EQ(reader.canonical_record(), expected) << "written as " << r;
  EXPECT_EQ(reader.record_hash(), hash_record_bytes(expected));
}

TEST(CanonicalProof, CanonicalSpellingsAreHashedAsRead) {
  for (const char* r : {
           R"({})",
           R"({"a":1,"b":-9007199254740991,"c":2.5,"d":1e-05,"e":true,"f":false,"g":null})",
           R"({"s":"plain","q":"say \"hi\"\\ \n\t\r\b\f \u0000 \u001f / é 😀"})",
           R"({"k\"ey":"v","":[]})",
           R"({"n":{"a":[1,[2,{}]],"b":{"c":"d"}}})",
           R"({"t":{"$numberLong":"9007199254740993"},"u":{"$numberDouble":"3.0"},"v":{"$binary":{"base64":"AAE=","subType":"00"}}})",
           R"({"j":{"$json":{"x":1.0,"y":[true]}},"l":{"$literal":{"$set":{"a":1}}},"w":{"$vector":[0.1,1]}})",
           R"({"d":[{"$localDate":"2024-02-29"},{"$interval":{"months":1,"days":-3,"micros":"5"}}]})",
       })
    expect_canonical_bytes(r);
}

TEST(CanonicalProof, OtherSpellingsAreReEncoded) {
  for (const char* r : {
           R"({ "a":1})",                              // whitespace, anywhere
           R"({"a" :1})",
           R"({"a":1 ,"b":2})",
           R"({"a":[1, 2]})",
           R"({"a":{"b" : {}}})",
           R"({"a":{"$numberDouble":"3.0" }})",
           R"({"a":"\/"})",                            // escapes the canonical form does not use
           R"({"a":"\u00e9"})",
           R"({"a":"\u000A"})",
           R"({"a":"\u000a"})",
           R"({"a":"\u001F"})",
           R"({"\u0061":1})",
           R"({"a":1.0,"b":1E5,"c":-0,"d":0.10000000000000001,"e":2.50})",  // other number spellings
           R"({"a":9007199254740993})",
           R"({"a":{"$numberLong":"5"}})",            // tags in a non-canonical form
           R"({"a":{"$binary":{"subType":"00","base64":"AAE="}}})",
           R"({"a":{"$rawText":"Y2Fm"}})",
           R"({"a":{"$json":{"x" : 1}}})",
           R"({"a":{"$vector":[1.0,1E0]}})",
           R"({"a":{"$literal":{"$set":1}},"b":{"$numberDouble":"3.00"}})",
       })
    expect_canonical_bytes(r);
}

}  // namespace
}  // namespace decant
