// The archive layer on in-memory bytes: a clean round trip, then one test per way an archive
// can be damaged, each expecting an error that names the line and byte offset.
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "format/archive.h"
#include "format/zstd_io.h"
#include "sample_streams.h"

namespace decant {
namespace {

StreamInfo table(const std::string& name) { return testing::id_name_table(name); }

Record row(int64_t id, const std::string& name) {
  Record r;
  r.add("id") = Value::of_int(id);
  r.add("name") = Value::of_text(name);
  return r;
}

// Two streams, interleaved, as parallel exporters would write them.
std::string sample_archive() {
  MemorySink sink;
  ArchiveWriter w(sink);
  SourceDescription src;
  src.backend = "test";
  src.location = "memory";
  EXPECT_TRUE(w.write_header(src));
  EXPECT_TRUE(w.begin_stream(table("a")));
  EXPECT_TRUE(w.begin_stream(table("b")));
  for (int i = 1; i <= 3; ++i) {
    EXPECT_TRUE(w.write_record("a", row(i, "a" + std::to_string(i))));
    EXPECT_TRUE(w.write_record("b", row(i, "b" + std::to_string(i))));
  }
  EXPECT_TRUE(w.end_stream("a"));
  EXPECT_TRUE(w.end_stream("b"));
  EXPECT_TRUE(w.finish());
  return sink.data();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Reads everything; returns the first error, or ok.
Status read_all(const std::string& bytes, ReaderOptions options = {}, int64_t* records = nullptr) {
  MemorySource source(bytes);
  ArchiveReader reader(source, "test.ndjson", options);
  DECANT_TRY(reader.open());
  for (;;) {
    Result<ArchiveEvent> e = reader.next();
    if (!e) return e.take_status();
    if (*e == ArchiveEvent::kEnd) return Status::ok();
    if (*e == ArchiveEvent::kRecord && records) ++*records;
  }
}

void expect_error(const std::string& bytes, const std::string& where, const std::string& what,
                  ReaderOptions options = {}) {
  Status s = read_all(bytes, options);
  ASSERT_FALSE(s) << "expected an error containing: " << what;
  EXPECT_EQ(s.side(), Side::kArchive);
  EXPECT_NE(s.message().find(where), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(what), std::string::npos) << s.message();
}

// "test.ndjson:LINE: byte OFFSET:" for line number `line` (1-based) of `lines`.
std::string location(const std::vector<std::string>& lines, size_t line) {
  size_t offset = 0;
  for (size_t i = 0; i + 1 < line; ++i) offset += lines[i].size() + 1;
  return "test.ndjson:" + std::to_string(line) + ": byte " + std::to_string(offset) + ":";
}

TEST(Archive, RoundTripsInterleavedStreams) {
  std::string bytes = sample_archive();
  MemorySource source(bytes);
  ArchiveReader reader(source, "mem");
  ASSERT_TRUE(reader.open());
  EXPECT_EQ(reader.header()["version"], "1.0");
  std::vector<std::string> seen;
  for (;;) {
    Result<ArchiveEvent> e = reader.next();
    ASSERT_TRUE(e) << e.status().message();
    if (*e == ArchiveEvent::kEnd) break;
    if (*e == ArchiveEvent::kRecord) {
      seen.push_back(reader.stream().name + ":" + reader.record().find("name")->text);
      EXPECT_TRUE(reader.record() == row(reader.record().find("id")->integer, reader.record().find("name")->text));
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"a:a1", "b:b1", "a:a2", "b:b2", "a:a3", "b:b3"}));
  ASSERT_EQ(reader.ended_streams().size(), 2u);
  EXPECT_TRUE(reader.ended_streams()[0].matches());
  EXPECT_EQ(reader.ended_streams()[0].count, 3);
  EXPECT_EQ(reader.bytes_read(), bytes.size());
}

TEST(Archive, DigestIsIndependentOfRecordOrder) {
  std::vector<std::string> lines = split_lines(sample_archive());
  std::swap(lines[3], lines[7]);  // two records of stream "a"
  EXPECT_TRUE(read_all(join_lines(lines)));
}

TEST(ArchiveCorruption, FlippedByteInAValueIsADigestMismatch) {
  std::vector<std::string> lines = split_lines(sample_archive());
  size_t pos = lines[3].find("a1");
  lines[3][pos + 1] = '7';
  expect_error(join_lines(lines), location(lines, 10), "stream \"a\": digest mismatch");
}

TEST(ArchiveCorruption, FlippedByteInTheSyntaxIsACorruptLine) {
  std::vector<std::string> lines = split_lines(sample_archive());
  lines[4].back() = 'x';
  expect_error(join_lines(lines), location(lines, 5), "corrupt");
}

TEST(ArchiveCorruption, DroppedTrailerIsATruncatedArchive) {
  std::vector<std::string> lines = split_lines(sample_archive());
  lines.pop_back();
  expect_error(join_lines(lines), "test.ndjson:" + std::to_string(lines.size()) + ":", "truncated archive");
}

TEST(ArchiveCorruption, CutMidLineIsATruncatedArchive) {
  std::string bytes = sample_archive();
  for (size_t cut : {bytes.size() / 3, bytes.size() / 2, bytes.size() - 2}) {
    Status s = read_all(bytes.substr(0, cut));
    ASSERT_FALSE(s);
    EXPECT_NE(s.message().find("truncated archive"), std::string::npos) << s.message();
  }
}

TEST(ArchiveCorruption, RecordAfterItsEndLineIsRejected) {
  std::vector<std::string> lines = split_lines(sample_archive());
  lines.insert(lines.begin() + 10, lines[7]);  // a copy of a:a3 right after "end a"
  expect_error(join_lines(lines), location(lines, 11), "after its end line");
}

TEST(ArchiveCorruption, RecordBeforeItsStreamLineIsRejected) {
  std::vector<std::string> lines = split_lines(sample_archive());
  std::swap(lines[1], lines[3]);
  expect_error(join_lines(lines), location(lines, 2), "before its stream line");
}

TEST(ArchiveCorruption, UnknownMajorVersionIsRefused) {
  std::vector<std::string> lines = split_lines(sample_archive());
  lines[0].replace(lines[0].find("\"1.0\""), 5, "\"2.0\"");
  expect_error(join_lines(lines), location(lines, 1), "unsupported archive version 2.0");
}

TEST(ArchiveVersioning, NewerMinorIsReadAndItsUnknownLinesSkipped) {
  std::vector<std::string> lines = split_lines(sample_archive());
  lines[0].replace(lines[0].find("\"1.0\""), 5, "\"1.7\"");
  lines.insert(lines.begin() + 3, R"({"t":"checkpoint","s":"a","at":1,"future":true})");
  EXPECT_TRUE(read_all(join_lines(lines)));
}

TEST(ArchiveCorruption, UnknownLineKindInTheSameMinorIsRejected) {
  std::vector<std::string> lines = split_lines(sample_archive());
  lines.insert(lines.begin() + 3, R"({"t":"checkpoint"})");
  expect_error(join_lines(lines), location(lines, 4), "unknown line kind \"checkpoint\"");
}

TEST(ArchiveCorruption, OversizedLineIsRejectedWithoutReadingItWhole) {
  std::vector<std::string> lines = split_lines(sample_archive());
  lines[3] = R"({"t":"rec","s":"a","r":{"id":1,"name":")" + std::string(10 << 20, 'x') + "\"}}";
  ReaderOptions options;
  options.max_line_bytes = 1 << 20;
  expect_error(join_lines(lines), location(lines, 4), "longer than the limit of 1048576 bytes", options);
}

TEST(ArchiveCorruption, CountMismatchInTheEndLine) {
  std::vector<std::string> lines = split_lines(sample_archive());
  lines[9].replace(lines[9].find("\"count\":3"), 9, "\"count\":4");
  expect_error(join_lines(lines), location(lines, 10), "count mismatch: the archive says 4 records, it holds 3");
}

TEST(ArchiveCorruption, ContentAfterTheTrailer) {
  std::vector<std::string> lines = split_lines(sample_archive());
  lines.push_back(lines[3]);
  expect_error(join_lines(lines), location(lines, lines.size()), "content after the trailer");
}

TEST(ArchiveCorruption, InvalidUtf8) {
  std::vector<std::string> lines = split_lines(sample_archive());
  lines[3].replace(lines[3].find("a1"), 2, "\xc3\x28");
  expect_error(join_lines(lines), location(lines, 4), "corrupt");
}

TEST(ArchiveCorruption, NotAnArchiveAtAll) {
  expect_error("", "test.ndjson", "empty input");
  expect_error("hello\n", "test.ndjson:1: byte 0:", "not a decant archive");
  expect_error("{\"t\":\"header\",\"format\":\"other\"}\n", "test.ndjson:1:", "not a decant archive");
}

TEST(ArchiveCorruption, BadTagInARecordNamesTheField) {
  std::vector<std::string> lines = split_lines(sample_archive());
  lines[3].replace(lines[3].find("\"a1\""), 4, R"({"$numberLong":"x"})");
  expect_error(join_lines(lines), location(lines, 4), "field \"name\": malformed $numberLong");
}

TEST(ArchiveTransformed, MismatchesAreReportedNotFatalWhenNotStrict) {
  std::vector<std::string> lines = split_lines(sample_archive());
  lines.erase(lines.begin() + 3);  // drop a record, as a jq select would
  ReaderOptions options;
  options.strict_digests = false;
  int64_t records = 0;
  MemorySource source(join_lines(lines));
  ArchiveReader reader(source, "t", options);
  ASSERT_TRUE(reader.open());
  for (;;) {
    Result<ArchiveEvent> e = reader.next();
    ASSERT_TRUE(e) << e.status().message();
    if (*e == ArchiveEvent::kEnd) break;
    if (*e == ArchiveEvent::kRecord) ++records;
  }
  EXPECT_EQ(records, 5);
  EXPECT_TRUE(reader.digests_mismatched());
  EXPECT_FALSE(reader.ended_streams()[0].matches());
  EXPECT_TRUE(reader.ended_streams()[1].matches());
}

TEST(Archive, ZstdLayerIsTransparentToTheReader) {
  std::string plain = sample_archive();
  MemorySink compressed;
  {
    ZstdSinkOptions options;
    options.frame_bytes = 64;  // many frames
    ZstdSink zstd(compressed, options);
    ASSERT_TRUE(zstd.write(plain));
    ASSERT_TRUE(zstd.finish());
  }
  ASSERT_NE(compressed.data(), plain);
  Result<std::unique_ptr<ByteSource>> source =
      open_archive_source(std::make_unique<MemorySource>(compressed.data()), "test.ndjson.zst");
  ASSERT_TRUE(source);
  ArchiveReader reader(**source, "test.ndjson.zst");
  ASSERT_TRUE(reader.open());
  int64_t records = 0;
  for (;;) {
    Result<ArchiveEvent> e = reader.next();
    ASSERT_TRUE(e) << e.status().message();
    if (*e == ArchiveEvent::kEnd) break;
    records += *e == ArchiveEvent::kRecord;
  }
  EXPECT_EQ(records, 6);
}

}  // namespace
}  // namespace decant
