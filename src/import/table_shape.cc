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

}  // namespace decant
