// Stream descriptions shared by the archive-layer unit tests.
#pragma once

#include <string>

#include "format/schema.h"

namespace decant::testing {

// A table with an int64 key "id" and a nullable text "name".
inline StreamInfo id_name_table(const std::string& name) {
  StreamInfo s;
  s.name = name;
  s.columns = {{"id", "int64", "INTEGER", false, ""}, {"name", "text", "TEXT", true, ""}};
  s.key = {"id"};
  return s;
}

}  // namespace decant::testing
