// Decoding straight from simdjson On-Demand values, for the archive reader. Kept apart from
// value_codec.h so that only the two files that parse include simdjson's large header.
#pragma once

#include <simdjson.h>

#include "format/status.h"
#include "format/value.h"

namespace decant {

// Evidence, gathered while decoding, that a record's text as read is already its canonical
// encoding (SPEC 5.1), so the reader can hash the bytes it has instead of encoding the record
// again. Every string, number, key and tag is checked to be written exactly as the canonical
// form writes it, and `length` sums those tokens and the structural characters. Tokens may
// still be separated by whitespace; the caller rules that out by comparing `length` with the
// length of the text it read.
struct CanonicalProof {
  simdjson::ondemand::document* document = nullptr;  // finds where a tag's text ends
  bool holds = true;
  size_t length = 0;
  std::string scratch;  // a tag's canonical encoding, to compare with its text
};

// Errors say what was wrong ("malformed $numberLong payload ..."); the caller adds the line
// and byte position. `level` is the nesting level `json` has if it is an object or array
// (format/SPEC.md 2.2: the record object is level 1, no level may exceed kMaxNestingDepth).
Status decode_value(simdjson::ondemand::value json, Value& out, int level = 1, CanonicalProof* proof = nullptr);
// Decodes the record object "r" (never a tag); its field names must be unique.
Status decode_record(simdjson::ondemand::object json, Record& out, CanonicalProof* proof = nullptr);

}  // namespace decant
