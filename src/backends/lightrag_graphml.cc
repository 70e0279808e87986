#include "backends/lightrag_graphml.h"

#include <libxml/xmlreader.h>

#include <charconv>
#include <cmath>
#include <map>
#include <memory>
#include <strings.h>

#include "backends/lightrag_json.h"
#include "format/value_codec.h"

namespace decant::lightrag {
namespace {

struct KeyDecl {
  std::string name;
  std::string type;
  std::string scope;  // node, edge, all, graph
};

std::string attribute(xmlTextReaderPtr reader, const char* name) {
  xmlChar* value = xmlTextReaderGetAttribute(reader, reinterpret_cast<const xmlChar*>(name));
  if (!value) return "";
  std::string text(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return text;
}

bool has_attribute(xmlTextReaderPtr reader, const char* name) {
  xmlChar* value = xmlTextReaderGetAttribute(reader, reinterpret_cast<const xmlChar*>(name));
  if (!value) return false;
  xmlFree(value);
  return true;
}

std::string local_name(xmlTextReaderPtr reader) {
  const xmlChar* name = xmlTextReaderConstLocalName(reader);
  return name ? reinterpret_cast<const char*>(name) : "";
}

// GraphML data text to the value networkx would make of it (int, float, bool, str).
Status typed_value(const std::string& type, const std::string& text, Value& out) {
  if (type == "long" || type == "int" || type == "integer") {
    int64_t integer;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), integer);
    if (ec != std::errc() || ptr != text.data() + text.size())
      return Status::source("\"" + text + "\" is not an integer (attr.type " + type + ")");
    out = Value::of_int(integer);
  } else if (type == "double" || type == "float") {
    double real;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), real);
    if (ec != std::errc() || ptr != text.data() + text.size()) {
      // Python's float() also takes inf, nan and their spellings.
      const char* t = text.c_str() + (text[0] == '-' || text[0] == '+');
      bool negative = text[0] == '-';
      if (strcasecmp(t, "inf") == 0 || strcasecmp(t, "infinity") == 0) real = negative ? -HUGE_VAL : HUGE_VAL;
      else if (strcasecmp(t, "nan") == 0) real = std::nan("");
      else return Status::source("\"" + text + "\" is not a number (attr.type " + type + ")");
    }
    out = Value::of_double(real);
  } else if (type == "boolean") {
    std::string lower;
    for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "true" || lower == "1") out = Value::of_bool(true);
    else if (lower == "false" || lower == "0") out = Value::of_bool(false);
    else return Status::source("\"" + text + "\" is not a boolean");
  } else {
    out = Value::of_text(text);
  }
  return Status::ok();
}

void escape_xml(std::string_view text, bool attribute_value, std::string& out) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"':
        if (attribute_value) out += "&quot;";
        else out += c;
        break;
      // A raw carriage return would read back as a line feed: XML normalises line ends.
      case '\r': out += "&#13;"; break;
      case '\n':
        if (attribute_value) out += "&#10;";
        else out += c;
        break;
      case '\t':
        if (attribute_value) out += "&#09;";
        else out += c;
        break;
      default: out += c;
    }
  }
}

bool xml_representable(std::string_view text) {
  for (unsigned char c : text)
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
  return true;
}

const char* graphml_type(const Value& value) {
  switch (value.kind) {
    case Kind::kInt64:
    case Kind::kInt32: return "long";
    case Kind::kFloat64: return "double";
    case Kind::kBool: return "boolean";
    default: return "string";
  }
}

// The text networkx writes for a value: str() of the Python value.
std::string graphml_text(const Value& value) {
  switch (value.kind) {
    case Kind::kInt64:
    case Kind::kInt32: return std::to_string(value.integer);
    case Kind::kFloat64: {
      std::string text;
      append_py_float(value.real, text);
      // str(float('nan')) is "nan", str(float('inf')) "inf": Python's own spellings.
      if (text == "NaN") return "nan";
      if (text == "Infinity") return "inf";
      if (text == "-Infinity") return "-inf";
      return text;
    }
    case Kind::kBool: return value.boolean ? "True" : "False";
    case Kind::kText: return value.text;
    default: {
      std::string encoded;
      encode_value(value, encoded);
      return encoded;
    }
  }
}

}  // namespace

Status read_graphml(const std::string& path, GraphPart part, const std::function<Status(const Record&)>& emit) {
  std::unique_ptr<xmlTextReader, decltype(&xmlFreeTextReader)> reader(
      xmlReaderForFile(path.c_str(), nullptr, XML_PARSE_NONET | XML_PARSE_HUGE | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
      xmlFreeTextReader);
  if (!reader) return Status::source("cannot open " + path + " as XML");
  xmlTextReaderPtr r = reader.get();
  auto where = [&]() { return path + ": line " + std::to_string(xmlTextReaderGetParserLineNumber(r)); };

  std::map<std::string, KeyDecl> keys;
  Record record;
  bool in_item = false;        // inside the <node> or <edge> being emitted
  bool in_data = false;
  std::string data_key, data_text;
  int rc;
  while ((rc = xmlTextReaderRead(r)) == 1) {
    int type = xmlTextReaderNodeType(r);
    if (type == XML_READER_TYPE_ELEMENT) {
      std::string name = local_name(r);
      bool empty = xmlTextReaderIsEmptyElement(r) == 1;
      if (name == "key") {
        keys[attribute(r, "id")] = KeyDecl{attribute(r, "attr.name"), attribute(r, "attr.type"), attribute(r, "for")};
      } else if ((name == "node" && part == GraphPart::kNodes) || (name == "edge" && part == GraphPart::kEdges)) {
        record.clear_keep_capacity();
        Value& id = record.add("_id");
        if (part == GraphPart::kNodes) {
          if (!has_attribute(r, "id")) return Status::source(where() + ": a node without an id");
          id = Value::of_text(attribute(r, "id"));
        } else {
          if (!has_attribute(r, "source") || !has_attribute(r, "target"))
            return Status::source(where() + ": an edge without source or target");
          id.kind = Kind::kDocument;
          id.fields = {Field{"source", Value::of_text(attribute(r, "source"))},
                       Field{"target", Value::of_text(attribute(r, "target"))}};
        }
        in_item = !empty;
        if (empty) DECANT_TRY(emit(record));
      } else if (name == "data" && in_item) {
        data_key = attribute(r, "key");
        data_text.clear();
        in_data = !empty;
        if (empty) {
          auto found = keys.find(data_key);
          if (found == keys.end()) return Status::source(where() + ": data for an undeclared key \"" + data_key + "\"");
          Status typed = typed_value(found->second.type, "", record.add(found->second.name));
          if (!typed) return std::move(typed).context(where());
        }
      }
    } else if (in_data && (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
                           type == XML_READER_TYPE_WHITESPACE || type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE)) {
      const xmlChar* text = xmlTextReaderConstValue(r);
      if (text) data_text += reinterpret_cast<const char*>(text);
    } else if (type == XML_READER_TYPE_END_ELEMENT) {
      std::string name = local_name(r);
      if (name == "data" && in_data) {
        in_data = false;
        auto found = keys.find(data_key);
        if (found == keys.end()) return Status::source(where() + ": data for an undeclared key \"" + data_key + "\"");
        if (record.find(found->second.name))
          return Status::source(where() + ": attribute \"" + found->second.name + "\" given twice");
        Status typed = typed_value(found->second.type, data_text, record.add(found->second.name));
        if (!typed) return std::move(typed).context(where());
      } else if (in_item && (name == "node" || name == "edge")) {
        in_item = false;
        DECANT_TRY(emit(record));
      }
    }
  }
  if (rc != 0) {
    const xmlError* error = xmlGetLastError();
    std::string message = error && error->message ? error->message : "malformed XML";
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Status::source(where() + ": " + message);
  }
  return Status::ok();
}

int GraphmlWriter::key_index(GraphPart part, const std::string& name, const std::string& type, bool add) {
  std::vector<Key>& keys = part == GraphPart::kNodes ? node_keys_ : edge_keys_;
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i].name == name && keys[i].type == type) return static_cast<int>(i);
  if (!add) return -1;
  keys.push_back(Key{name, type});
  return static_cast<int>(keys.size()) - 1;
}

Status GraphmlWriter::observe(GraphPart part, const Record& record) {
  for (size_t i = 1; i < record.size(); ++i) {
    std::string text = graphml_text(record[i].value);
    if (!xml_representable(text) || !xml_representable(record[i].name))
      return Status::target("attribute \"" + record[i].name + "\" holds a control character, which XML cannot represent");
    key_index(part, record[i].name, graphml_type(record[i].value), true);
  }
  return Status::ok();
}

Status GraphmlWriter::write(ByteSink& out, const Replay& replay) {
  std::string text =
      "<?xml version='1.0' encoding='utf-8'?>\n"
      "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
      "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">";
  // networkx inserts each new key before the others: the last one used comes first.
  size_t total = node_keys_.size() + edge_keys_.size();
  for (size_t n = total; n-- > 0;) {
    bool node = n < node_keys_.size();
    const Key& key = node ? node_keys_[n] : edge_keys_[n - node_keys_.size()];
    text += "\n  <key id=\"d" + std::to_string(n) + "\" for=\"" + (node ? "node" : "edge") + "\" attr.name=\"";
    escape_xml(key.name, true, text);
    text += "\" attr.type=\"" + key.type + "\" />";
  }
  text += "\n  <graph edgedefault=\"undirected\"";
  bool any_item = false;
  auto item = [&](GraphPart part, const Record& record) -> Status {
    if (!any_item) text += ">";
    any_item = true;
    text += "\n    ";
    if (part == GraphPart::kNodes) {
      if (record[0].value.kind != Kind::kText) return Status::target("a node's _id must be text");
      text += "<node id=\"";
      escape_xml(record[0].value.text, true, text);
      text += "\"";
    } else {
      const Value& id = record[0].value;
      const Value* source = nullptr;
      const Value* target = nullptr;
      for (const Field& f : id.fields) {
        if (f.name == "source") source = &f.value;
        if (f.name == "target") target = &f.value;
      }
      if (id.kind != Kind::kDocument || !source || !target || source->kind != Kind::kText || target->kind != Kind::kText)
        return Status::target("an edge's _id must be {\"source\": text, \"target\": text}");
      text += "<edge source=\"";
      escape_xml(source->text, true, text);
      text += "\" target=\"";
      escape_xml(target->text, true, text);
      text += "\"";
    }
    if (record.size() == 1) {
      text += " />";
    } else {
      text += ">";
      size_t offset = part == GraphPart::kNodes ? 0 : node_keys_.size();
      for (size_t i = 1; i < record.size(); ++i) {
        const Value& value = record[i].value;
        int index = key_index(part, record[i].name, graphml_type(value), false);
        if (index < 0) return Status::internal("graph attribute \"" + record[i].name + "\" was not observed");
        std::string body = graphml_text(value);
        text += "\n      <data key=\"d" + std::to_string(offset + static_cast<size_t>(index)) + "\"";
        if (body.empty()) {
          text += " />";
        } else {
          text += ">";
          escape_xml(body, false, text);
          text += "</data>";
        }
      }
      text += part == GraphPart::kNodes ? "\n    </node>" : "\n    </edge>";
    }
    if (text.size() >= (1 << 20)) {
      DECANT_TRY(out.write(text));
      text.clear();
    }
    return Status::ok();
  };
  DECANT_TRY(replay(GraphPart::kNodes, [&](const Record& r) { return item(GraphPart::kNodes, r); }));
  DECANT_TRY(replay(GraphPart::kEdges, [&](const Record& r) { return item(GraphPart::kEdges, r); }));
  text += any_item ? "\n  </graph>\n</graphml>\n" : " />\n</graphml>\n";
  return out.write(text);
}

}  // namespace decant::lightrag
