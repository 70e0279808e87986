#include "import/table_shape.h"

#include "format/value_codec.h"

namespace decant {

StreamInfo table_shape(const StreamInfo& stream) {
  StreamInfo table = stream;
  table.columns = {{"_id", "json", "", false, ""}, {"document", "json", "", false, ""}};
  table.key = {"_id"};
  table.indexes.clear();
  return table;
}

Status to_table_row(const Record& document, Record& row) {
  row.clear_keep_capacity();
  const Value* id = document.find("_id");
  if (!id) return Status::archive("the record has no \"_id\" field, which a stream without columns needs to become a table");
  Value& id_json = row.add("_id");
  id_json.kind = Kind::kJson;
  encode_value(*id, id_json.text);
  // Encoded as a document value, not a record: a rest of one "$..." field needs $literal.
  Value rest;
  rest.kind = Kind::kDocument;
  for (const Field& field : document)
    if (field.name != "_id") rest.fields.push_back(field);
  Value& rest_json = row.add("document");
  rest_json.kind = Kind::kJson;
  encode_value(rest, rest_json.text);
  return Status::ok();
}

bool is_table_shape(const StreamInfo& stream) {
  return stream.columns.size() == 2 && stream.columns[0].name == "_id" && stream.columns[1].name == "document";
}

Status from_table_row(const Record& row, Record& document) {
  document.clear_keep_capacity();
  auto json_text = [&](const char* column) -> const std::string* {
    const Value* value = row.find(column);
    return value && (value->kind == Kind::kJson || value->kind == Kind::kText) ? &value->text : nullptr;
  };
  const std::string* id = json_text("_id");
  const std::string* rest = json_text("document");
  if (!id || !rest) return Status::archive("a row of the table form needs \"_id\" and \"document\" as JSON text");
  Result<Value> id_value = decode_value_text(*id);
  if (!id_value) return id_value.take_status().context("column \"_id\"");
  Result<Value> rest_value = decode_value_text(*rest);
  if (!rest_value) return rest_value.take_status().context("column \"document\"");
  if (rest_value->kind != Kind::kDocument) return Status::archive("column \"document\" does not hold a document");
  document.add("_id") = std::move(id_value.value());
  for (Field& field : rest_value->fields) document.add(field.name) = std::move(field.value);
  return Status::ok();
}

}  // namespace decant
