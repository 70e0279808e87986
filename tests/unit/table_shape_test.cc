// SPEC 11.0 rule 1, through the import driver: a stream without columns lands in a table store
// as (_id, document) rows whose JSON text decodes to exactly the original values.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "backends/sqlite_client.h"
#include "format/archive.h"
#include "format/value_codec.h"
#include "import/import.h"
#include "import/table_shape.h"

namespace decant {
namespace {

Record document(const std::string& json) {
  Value v = decode_value_text(json).value();
  Record r;
  for (const Field& f : v.fields) r.add(f.name) = f.value;
  return r;
}

std::string collection_archive(const std::vector<Record>& documents) {
  MemorySink sink;
  ArchiveWriter writer(sink);
  EXPECT_TRUE(writer.write_header(SourceDescription{"test", "memory", nullptr, {}}));
  StreamInfo stream;
  stream.name = "people";
  stream.kind = "collection";
  stream.indexes = {{"name_1", {"name"}, false, ""}};
  EXPECT_TRUE(writer.begin_stream(stream));
  for (const Record& d : documents) EXPECT_TRUE(writer.write_record("people", d));
  EXPECT_TRUE(writer.end_stream("people"));
  EXPECT_TRUE(writer.finish());
  return sink.data();
}

Status import_into_sqlite(const std::string& archive, const std::string& path) {
  MemorySource source(archive);
  ArchiveReader reader(source, "memory");
  DECANT_TRY(reader.open());
  Result<std::unique_ptr<Sink>> sink = builtin_sinks().find(path)->open(path, SinkOptions{});
  if (!sink) return sink.take_status();
  ImportSummary summary;
  return import_archive(reader, **sink, StreamSelection(), nullptr, summary);
}

class TableShape : public ::testing::Test {
 protected:
  std::string path_ = std::filesystem::temp_directory_path() / ("decant-shape-" + std::to_string(getpid()) + ".db");
  void TearDown() override { std::filesystem::remove(path_); }
};

TEST_F(TableShape, DocumentsBecomeIdAndDocumentRows) {
  std::vector<Record> documents = {
      document(R"({"_id":"a","name":"Ann","tags":["x",{"$numberLong":"9007199254740993"}]})"),
      document(R"({"_id":{"$numberDouble":"2.0"},"$set":{"n":1}})"),
      document(R"({"_id":{"k":1,"j":[]}})"),
  };
  ASSERT_TRUE(import_into_sqlite(collection_archive(documents), path_));

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
  SqliteDb db(raw);
  Result<SqliteStatement> rows = sqlite_prepare(db.get(), "SELECT _id, document FROM people ORDER BY rowid", Side::kTarget);
  ASSERT_TRUE(rows);
  for (const Record& original : documents) {
    ASSERT_EQ(sqlite3_step(rows->get()), SQLITE_ROW);
    Value id = decode_value_text(std::string(sqlite_column_text(rows->get(), 0))).value();
    Value rest = decode_value_text(std::string(sqlite_column_text(rows->get(), 1))).value();
    EXPECT_TRUE(id == *original.find("_id"));
    ASSERT_EQ(rest.kind, Kind::kDocument);
    ASSERT_EQ(rest.fields.size() + 1, original.size());
    for (size_t i = 0; i < rest.fields.size(); ++i) EXPECT_TRUE(rest.fields[i] == original[i + 1]);
  }
  EXPECT_EQ(sqlite3_step(rows->get()), SQLITE_DONE);
  // The index on a document field has no column to go on.
  Result<SqliteStatement> indexes =
      sqlite_prepare(db.get(), "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'name_1'", Side::kTarget);
  ASSERT_EQ(sqlite3_step(indexes->get()), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(indexes->get(), 0), 0);
}

TEST_F(TableShape, DocumentWithoutIdIsRefusedAndNothingIsWritten) {
  Status status = import_into_sqlite(collection_archive({document(R"({"_id":1})"), document(R"({"n":2})")}), path_);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.side(), Side::kArchive);
  EXPECT_NE(status.message().find("stream \"people\", archive line 4"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("no \"_id\""), std::string::npos) << status.message();
  EXPECT_FALSE(std::filesystem::exists(path_));
}

}  // namespace
}  // namespace decant

namespace decant {
namespace {

TEST(TableShapeRows, FromTableRowUndoesToTableRow) {
  Record original = document(R"({"_id":{"source":"A","target":"B"},"n":{"$numberLong":"9007199254740993"},"v":{"$vector":[1,0.5]},"d":{"$literal":{"$set":1}}})");
  Record row;
  ASSERT_TRUE(to_table_row(original, row));
  Record back;
  ASSERT_TRUE(from_table_row(row, back));
  EXPECT_EQ(back, original);

  // After SQLite the JSON text comes back as text values, with the same columns.
  Record as_text;
  for (const Field& f : row) as_text.add(f.name) = Value::of_text(f.value.text);
  ASSERT_TRUE(from_table_row(as_text, back));
  EXPECT_EQ(back, original);
  EXPECT_TRUE(is_table_shape(table_shape(StreamInfo{})));

  Record broken;
  broken.add("_id") = Value::of_text("\"x\"");
  broken.add("document") = Value::of_text("[1]");
  EXPECT_FALSE(from_table_row(broken, back));
}

}  // namespace
}  // namespace decant
