// Values <-> their archive JSON encoding (format/SPEC.md sections 4 and 5). The encoder writes
// the canonical form, which is also what record digests are computed over.
#pragma once

#include <string>
#include <string_view>

#include "format/status.h"
#include "format/value.h"

namespace decant {

// Appends the canonical encoding of `value` / of a record object to `out`.
void encode_value(const Value& value, std::string& out);
void encode_record(const Record& record, std::string& out);
// Appends `text` as a JSON string literal (canonical escaping).
void encode_string(std::string_view text, std::string& out);

constexpr int kMaxNestingDepth = 64;

// Convenience for tests and small inputs: decode a standalone JSON text (an object or array
// there is at nesting level 1, like a record object).
Result<Value> decode_value_text(std::string_view json);

std::string base64_encode(std::string_view bytes);
bool base64_decode(std::string_view text, std::string& out);

}  // namespace decant
