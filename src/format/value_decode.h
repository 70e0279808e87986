// Decoding straight from simdjson On-Demand values, for the archive reader. Kept apart from
// value_codec.h so that only the two files that parse include simdjson's large header.
#pragma once

#include <simdjson.h>

#include "format/status.h"
#include "format/value.h"

namespace decant {

// Errors say what was wrong ("malformed $numberLong payload ..."); the caller adds the line
// and byte position.
Status decode_value(simdjson::ondemand::value json, Value& out, int depth = 0);
Status decode_record(simdjson::ondemand::object json, Record& out);

}  // namespace decant
