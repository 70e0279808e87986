// Decoding straight from simdjson On-Demand values, for the archive reader. Kept apart from
// value_codec.h so that only the two files that parse include simdjson's large header.
#pragma once

#include <simdjson.h>

#include "format/status.h"
#include "format/value.h"

namespace decant {

// Errors say what was wrong ("malformed $numberLong payload ..."); the caller adds the line
// and byte position. `level` is the nesting level `json` has if it is an object or array
// (format/SPEC.md 2.2: the record object is level 1, no level may exceed kMaxNestingDepth).
Status decode_value(simdjson::ondemand::value json, Value& out, int level = 1);
// Decodes the record object "r" (never a tag); its field names must be unique.
Status decode_record(simdjson::ondemand::object json, Record& out);

}  // namespace decant
