// import: ArchiveReader -> Sink. The sink commits only after the reader has reached the end of
// a complete, verified archive; any failure before that rolls the sink back.
#pragma once

#include <functional>
#include <map>
#include <string_view>
#include <vector>

#include "format/archive.h"
#include "format/pipeline.h"
#include "import/sink.h"

namespace decant {

struct ImportedStream {
  std::string name;          // as written to the target (after renaming)
  int64_t records = 0;
  Digest digest;             // of the records actually written
  bool matches_archive = true;  // false when the archive's end line disagreed (transformed input)
  // After a seeking resume: records and digest cover only what this run read, not the part
  // of the stream before the seek frame, and the end line was not checked.
  bool unread_records = false;
};

struct RejectedRecord {
  std::string stream;
  int64_t line = 0;  // in the archive
  std::string error;
};

struct ImportSummary {
  std::vector<ImportedStream> streams;
  int64_t records = 0;
  bool transformed = false;  // some end line or the trailer disagreed with the records
  // With ImportOptions::max_errors: isolated batches that were written whole or failed (and
  // were rerun record by record), the records rejected, their errors by type (the message
  // without record numbers and key values) and the first few in full.
  int64_t batches_ok = 0;
  int64_t batches_failed = 0;
  int64_t rejected = 0;
  // With ImportOptions::resume: the records an earlier, interrupted run had already written
  // (counted in `records` and the digests too) and the archive line it had reached.
  int64_t resumed_records = 0;
  int64_t resumed_after_line = 0;
  std::map<std::string, int64_t> errors_by_type;
  std::vector<RejectedRecord> first_errors;
};

struct ImportOptions {
  // Up to this many records that the target refuses are rejected instead of failing the
  // import; -1: the first refusal fails it. Needs a sink that isolates batches
  // (SinkBackend::isolates_batches): records go in batches, and a batch that fails is undone
  // and rerun one record at a time, so its good records are still written.
  int64_t max_errors = -1;
  int64_t batch_rows = 10000;
  int64_t batch_bytes = 16 << 20;
  // Continue after the checkpoint an interrupted import left in the target (its archive must
  // be this one): records up to it are read and verified but not written again.
  bool resume = false;
  // Called for each rejected record with the record's archive text, unchanged.
  std::function<Status(const RejectedRecord& rejected, std::string_view record_text)> reject;
};

Status import_archive(ArchiveReader& reader, Sink& sink, const StreamSelection& selection,
                      ProgressObserver* progress, ImportSummary& summary, const ImportOptions& options = {});

// The type of an error for grouping: its message without numbers and parenthesized key values.
std::string error_type(const std::string& message);

}  // namespace decant
