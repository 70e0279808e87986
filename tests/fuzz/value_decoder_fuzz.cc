// libFuzzer target: arbitrary bytes as one JSON value through the value decoder. Beyond not
// crashing, every value that decodes must keep its meaning through the canonical encoding:
// decode(encode(v)) == v and encode is a fixed point (format/SPEC.md 5.1).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "format/value_codec.h"

namespace {

[[noreturn]] void violated(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "value codec property violated: %s\n  first:  %s\n  second: %s\n", what, a.c_str(), b.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace decant;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Result<Value> value = decode_value_text(text);
  if (!value) return 0;
  std::string canonical;
  encode_value(*value, canonical);
  Result<Value> again = decode_value_text(canonical);
  if (!again) violated(("the canonical encoding does not decode: " + again.status().message()).c_str(), canonical, "");
  std::string recanonical;
  encode_value(*again, recanonical);
  if (recanonical != canonical) violated("encoding is not a fixed point", canonical, recanonical);
  if (!(*again == *value)) violated("decode(encode(v)) != v", std::string(text), canonical);
  return 0;
}
