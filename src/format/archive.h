// The archive layer: the only code that knows line framing. ArchiveWriter turns streams of
// Records into NDJSON lines with per-stream end lines and a trailer; ArchiveReader parses them
// back, recomputing counts and digests as it goes (format/SPEC.md).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "format/byte_io.h"
#include "format/digest.h"
#include "format/schema.h"
#include "format/status.h"
#include "format/value.h"
#include "format/zstd_io.h"

namespace decant {

constexpr int kFormatMajor = 1;
constexpr int kFormatMinor = 0;
constexpr const char* kFormatName = "decant-archive";

class ArchiveWriter {
 public:
  explicit ArchiveWriter(ByteSink& sink) : sink_(sink) {}

  Status write_header(const SourceDescription& source);
  Status begin_stream(const StreamInfo& stream);
  Status write_record(const std::string& stream, const Record& record);
  Status end_stream(const std::string& stream);
  // Writes the trailer and finishes the sink. Every stream must have ended.
  Status finish();

  uint64_t bytes_written() const { return bytes_; }
  int64_t records_written() const { return total_records_; }

 private:
  Status emit(const std::string& line);
  Status emit_structural(const std::string& line);
  struct OpenStream {
    int64_t count = 0;
    Digest digest;
  };
  ByteSink& sink_;
  std::unordered_map<std::string, OpenStream> open_;
  std::unordered_map<std::string, bool> seen_;
  std::string line_;
  std::string last_stream_name_;
  OpenStream* last_stream_ = nullptr;
  Digest total_digest_;
  int64_t total_records_ = 0;
  int64_t streams_ = 0;
  uint64_t bytes_ = 0;
  int64_t lines_ = 0;
};

struct ReaderOptions {
  size_t max_line_bytes = size_t{64} << 20;
  // When false (a transformed archive), end-line and trailer counts and digests are reported
  // but a mismatch is not an error.
  bool strict_digests = true;
};

// What an end line declared and what the reader computed for the same stream.
struct StreamTotals {
  std::string name;
  int64_t count = 0;
  Digest digest;
  int64_t declared_count = 0;
  Digest declared_digest;
  // The stream began before the frame a seeking reader started at (ArchiveReader::open_at):
  // count and digest cover only the records after that point and are not checked.
  bool unread_records = false;
  bool matches() const { return count == declared_count && digest == declared_digest; }
};

enum class ArchiveEvent { kStream, kRecord, kEndStream, kTrailer, kEnd };

class ArchiveReader {
 public:
  ArchiveReader(ByteSource& source, std::string name, ReaderOptions options = {});
  ~ArchiveReader();

  // Reads and checks the header line.
  Status open();
  // Instead of open(), for a source that starts at data frame `frame` of `index`: takes the
  // header and the structural lines before that frame from the index (next() returns their
  // stream and end events first), then reads on from the frame's first line. Records before
  // it are never read: their streams' end lines and the trailer are not checked against them
  // (StreamTotals::unread_records). The caller checks the index's header against the archive.
  Status open_at(const FrameIndex& index, size_t frame);
  const nlohmann::json& header() const { return header_; }
  // The first archive line read from the source: 1, or the seek frame's first line.
  int64_t first_line() const { return first_line_; }

  // Advances to the next event. After kTrailer, the next call returns kEnd.
  Result<ArchiveEvent> next();

  // Valid for kStream, kRecord and kEndStream: the stream the event belongs to.
  const StreamInfo& stream() const { return *current_stream_; }
  // Valid for kRecord: the decoded record and its canonical encoding.
  const Record& record() const { return record_; }
  std::string_view canonical_record() const { return canonical_view_; }
  // The record's JSON text exactly as it stands in the archive.
  std::string_view raw_record() const { return raw_record_.empty() ? canonical_view_ : raw_record_; }
  Hash128 record_hash() const { return record_hash_; }
  // Valid for kEndStream.
  const StreamTotals& totals() const { return totals_; }
  // Every stream that has ended so far, in end order.
  const std::vector<StreamTotals>& ended_streams() const { return ended_; }

  int64_t line_number() const { return line_number_; }
  uint64_t bytes_read() const { return consumed_; }
  bool digests_mismatched() const { return digests_mismatched_; }

 private:
  struct StreamState {
    StreamInfo info;
    int64_t count = 0;
    Digest digest;
    bool ended = false;
    bool unread_records = false;  // declared before the frame the reader started at
  };

  Result<bool> next_line(std::string_view& line);
  Status parse_header(std::string_view line);
  Result<ArchiveEvent> replay_next();
  Status fail(const std::string& message) const;
  Status handle_record();
  // Non-record lines; an empty optional is a line kind from a newer minor version, skipped.
  Result<std::optional<ArchiveEvent>> handle_other(std::string_view line, const std::string& kind);
  Status check_totals(const std::string& what, int64_t declared_count, const std::string& declared_digest,
                      int64_t count, const Digest& digest);

  ByteSource& source_;
  std::string name_;
  ReaderOptions options_;
  nlohmann::json header_;
  int header_minor_ = 0;

  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  size_t scanned_ = 0;
  bool eof_ = false;

  int64_t line_number_ = 0;
  uint64_t line_offset_ = 0;
  uint64_t consumed_ = 0;

  struct Parser;  // simdjson's parser and the canonical proof, kept out of this header
  std::unique_ptr<Parser> parser_;
  std::unordered_map<std::string, std::unique_ptr<StreamState>> streams_;
  StreamState* last_state_ = nullptr;
  const StreamInfo* current_stream_ = nullptr;
  Record record_;
  std::string canonical_;          // the re-encoded record, when its text was not canonical
  std::string_view canonical_view_;  // canonical_, or the record's text in the line buffer
  std::string_view raw_record_;    // the record's text as read
  std::string stream_name_;
  Hash128 record_hash_;
  StreamTotals totals_;
  std::vector<StreamTotals> ended_;
  Digest total_digest_;
  int64_t total_records_ = 0;
  bool trailer_seen_ = false;
  bool digests_mismatched_ = false;
  int64_t first_line_ = 1;
  uint64_t first_offset_ = 0;
  std::vector<FrameIndex::Line> replay_;  // structural lines before first_line_, not yet returned
  size_t replayed_ = 0;
};

// Fresh archive identity: 32 lowercase hex digits.
std::string new_archive_id();

}  // namespace decant
