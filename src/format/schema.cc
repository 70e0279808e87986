#include "format/schema.h"

#include <type_traits>

namespace decant {

using nlohmann::json;

nlohmann::ordered_json to_json(const StreamInfo& s) {
  using ojson = nlohmann::ordered_json;
  ojson columns = ojson::array();
  for (const Column& c : s.columns) {
    columns.push_back({{"name", c.name},
                       {"type", c.type},
                       {"source_type", c.source_type},
                       {"nullable", c.nullable},
                       {"default", c.default_expr.empty() ? ojson(nullptr) : ojson(c.default_expr)}});
  }
  ojson indexes = ojson::array();
  for (const Index& i : s.indexes) {
    indexes.push_back(
        {{"name", i.name}, {"columns", i.columns}, {"unique", i.unique}, {"definition", i.definition}});
  }
  return ojson{{"t", "stream"},
              {"name", s.name},
              {"kind", s.kind},
              {"schema", {{"columns", columns}, {"key", s.key}, {"indexes", indexes}}},
              {"options", s.options},
              {"estimate", {{"rows", s.estimated_rows}, {"bytes", s.estimated_bytes}}}};
}

namespace {

template <typename T>
bool read_member(const json& j, const char* name, T& out, std::string& error, bool required) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) {
    if (required) error = std::string("missing member \"") + name + "\"";
    return !required;
  }
  // json's get<integer>() converts a float by a plain cast, undefined beyond the integer's
  // range (an untrusted archive may say 3.7e124): only JSON integers are accepted.
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if (!it->is_number_integer()) {
      error = std::string("member \"") + name + "\" is not an integer";
      return false;
    }
  }
  try {
    out = it->get<T>();
  } catch (const json::exception&) {
    error = std::string("member \"") + name + "\" has the wrong type";
    return false;
  }
  return true;
}

}  // namespace

bool from_json(const json& j, StreamInfo& s, std::string& error) {
  s = StreamInfo();
  if (!j.is_object()) return error = "stream line is not an object", false;
  if (!read_member(j, "name", s.name, error, true) || !read_member(j, "kind", s.kind, error, true))
    return false;
  if (s.name.empty()) return error = "stream name is empty", false;
  auto schema = j.find("schema");
  if (schema != j.end() && schema->is_object()) {
    auto columns = schema->find("columns");
    if (columns != schema->end() && columns->is_array()) {
      for (const json& c : *columns) {
        Column col;
        if (!c.is_object() || !read_member(c, "name", col.name, error, true) ||
            !read_member(c, "type", col.type, error, false) ||
            !read_member(c, "source_type", col.source_type, error, false) ||
            !read_member(c, "nullable", col.nullable, error, false) ||
            !read_member(c, "default", col.default_expr, error, false)) {
          if (error.empty()) error = "malformed column";
          return false;
        }
        s.columns.push_back(std::move(col));
      }
    }
    if (!read_member(*schema, "key", s.key, error, false)) return false;
    auto indexes = schema->find("indexes");
    if (indexes != schema->end() && indexes->is_array()) {
      for (const json& i : *indexes) {
        Index idx;
        if (!i.is_object() || !read_member(i, "name", idx.name, error, false) ||
            !read_member(i, "columns", idx.columns, error, false) ||
            !read_member(i, "unique", idx.unique, error, false) ||
            !read_member(i, "definition", idx.definition, error, false)) {
          if (error.empty()) error = "malformed index";
          return false;
        }
        s.indexes.push_back(std::move(idx));
      }
    }
  }
  auto options = j.find("options");
  if (options != j.end() && options->is_object()) s.options = *options;
  auto estimate = j.find("estimate");
  if (estimate != j.end() && estimate->is_object()) {
    if (!read_member(*estimate, "rows", s.estimated_rows, error, false) ||
        !read_member(*estimate, "bytes", s.estimated_bytes, error, false))
      return false;
  }
  return true;
}

}  // namespace decant
