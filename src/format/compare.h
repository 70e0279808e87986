// Content summaries of streams (count + order-independent digest, optionally each record's key
// and hash) and their comparison: the basis of `decant diff` between archives and live sources.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "format/digest.h"
#include "format/schema.h"
#include "format/value.h"

namespace decant {

struct StreamSummary {
  std::vector<std::string> key;  // key columns; empty means records are compared whole
  int64_t count = 0;
  Digest digest;
  // Only when records are kept: record identity (canonical key, or the whole record) -> hashes.
  std::unordered_multimap<std::string, Hash128> records;
};

class ContentSummary {
 public:
  explicit ContentSummary(bool keep_records) : keep_records_(keep_records) {}
  void begin_stream(const std::string& name, const StreamInfo& stream);
  void add(const std::string& stream, const Record& record, std::string_view canonical, Hash128 hash);
  const std::map<std::string, StreamSummary>& streams() const { return streams_; }

 private:
  bool keep_records_;
  std::map<std::string, StreamSummary> streams_;
  std::string scratch_;
};

struct RecordDifference {
  std::string stream;
  std::string identity;  // canonical key, or the record itself for keyless streams
  std::string what;      // "changed", "only in A", "only in B"
};

struct StreamDifference {
  std::string name;
  int64_t count_a = -1;  // -1: the stream is absent on that side
  int64_t count_b = -1;
  bool equal = false;
};

// Compares every stream; collects up to `max_records` record differences for unequal streams
// (both summaries must have kept their records for that).
std::vector<StreamDifference> compare_summaries(const ContentSummary& a, const ContentSummary& b,
                                                size_t max_records, std::vector<RecordDifference>& records);

}  // namespace decant
