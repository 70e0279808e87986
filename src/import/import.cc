#include "import/import.h"

#include <cctype>
#include <unordered_map>

#include "import/table_shape.h"

namespace decant {

namespace {

constexpr size_t kFirstErrorsKept = 5;

// Records of one isolated batch, kept until the sink has written them all.
struct Pending {
  size_t stream = 0;  // in summary.streams
  Record record;      // as handed to the sink (in table form where needed)
  std::string text;   // the record as it stands in the archive
  int64_t line = 0;
  Hash128 hash;
};

class Importer {
 public:
  Importer(ArchiveReader& reader, Sink& sink, const StreamSelection& selection, ProgressObserver* progress,
           ImportSummary& summary, const ImportOptions& options)
      : reader_(reader), sink_(sink), selection_(selection), progress_(progress), summary_(summary),
        options_(options), isolated_(options.max_errors >= 0) {}

  Status run();

 private:
  Status record();
  Status written(size_t stream, Hash128 hash);
  Status flush();
  Status write_batch(size_t begin, size_t end);
  Status reject(const Pending& pending, Status error);

  ArchiveReader& reader_;
  Sink& sink_;
  const StreamSelection& selection_;
  ProgressObserver* progress_;
  ImportSummary& summary_;
  const ImportOptions& options_;
  const bool isolated_;

  struct Active {
    size_t index;      // in summary.streams
    bool table_shape;  // records are turned into table rows on the way to the sink
  };
  std::unordered_map<std::string, Active> active_;  // by archive stream name
  std::string last_name_;
  const Active* last_ = nullptr;
  Record row_;
  Checkpoint checkpoint_;
  int64_t resume_line_ = 0;
  std::vector<Pending> batch_;  // entries beyond batch_size_ are spare, their storage reused
  size_t batch_size_ = 0;
  int64_t batch_bytes_ = 0;
};

Status Importer::run() {
  auto id = reader_.header().find("archive_id");
  checkpoint_.archive_id = id != reader_.header().end() && id->is_string() ? id->get<std::string>() : "";
  if (options_.resume) {
    Result<std::optional<Checkpoint>> stored = sink_.stored_checkpoint();
    if (!stored) return stored.take_status();
    if (stored->has_value()) {
      const Checkpoint& found = **stored;
      if (found.archive_id != checkpoint_.archive_id || checkpoint_.archive_id.empty())
        return Status::usage("the target's checkpoint belongs to archive " + found.archive_id + ", not to this one (" +
                             (checkpoint_.archive_id.empty() ? "which has no archive_id" : checkpoint_.archive_id) +
                             "): not resuming");
      resume_line_ = found.line;
      summary_.resumed_after_line = found.line;
      if (reader_.first_line() > resume_line_ + 1)
        return Status::internal("the archive reader started after the checkpoint's line");
      // A reader that seeked never sees most of the records already written: they are counted
      // from the checkpoint, and those it does read up to the checkpoint are not counted again.
      if (reader_.first_line() > 1) summary_.records = summary_.resumed_records = found.records;
    }
  }
  if (reader_.first_line() > 1 && resume_line_ == 0)
    return Status::internal("the archive reader seeked without a checkpoint to resume after");
  // After reading the checkpoint: beginning may empty the target (--drop, a backend's flush).
  DECANT_TRY(sink_.begin());
  sink_.track(&checkpoint_);
  for (;;) {
    if (interrupt_requested()) return interrupted_status();
    Result<ArchiveEvent> event = reader_.next();
    if (!event) return event.take_status();
    checkpoint_.line = reader_.line_number();
    // A batch never spans other lines: stream lines create tables, end lines may commit.
    if (*event != ArchiveEvent::kRecord) DECANT_TRY(flush());
    switch (*event) {
      case ArchiveEvent::kStream: {
        const StreamInfo& original = reader_.stream();
        if (!selection_.selected(original.name)) break;
        bool as_table = sink_.needs_columns() && original.columns.empty();
        StreamInfo stream = as_table ? table_shape(original) : original;
        stream.name = selection_.renamed(original.name);
        DECANT_TRY(sink_.begin_stream(stream).context("stream \"" + stream.name + "\""));
        active_[original.name] = Active{summary_.streams.size(), as_table};
        summary_.streams.push_back(ImportedStream{stream.name, 0, Digest(), true});
        last_ = nullptr;
        if (progress_) progress_->stream_started(stream.name, stream.estimated_rows);
        break;
      }
      case ArchiveEvent::kRecord: DECANT_TRY(record()); break;
      case ArchiveEvent::kEndStream: {
        auto it = active_.find(reader_.totals().name);
        if (it == active_.end()) break;
        ImportedStream& imported = summary_.streams[it->second.index];
        imported.matches_archive = reader_.totals().unread_records || reader_.totals().matches();
        imported.unread_records = reader_.totals().unread_records;
        DECANT_TRY(sink_.end_stream(imported.name).context("stream \"" + imported.name + "\""));
        if (progress_) progress_->stream_finished(imported.name, imported.records);
        break;
      }
      case ArchiveEvent::kTrailer: break;
      case ArchiveEvent::kEnd:
        summary_.transformed = reader_.digests_mismatched();
        if (progress_) progress_->advanced(summary_.records, reader_.bytes_read());  // end lines and trailer
        return sink_.commit();
    }
  }
}

Status Importer::record() {
  const std::string& name = reader_.stream().name;
  if (!last_ || name != last_name_) {
    auto it = active_.find(name);
    if (it == active_.end()) return Status::ok();  // a stream left out by the selection
    last_ = &it->second;
    last_name_ = name;
  }
  const std::string& target = summary_.streams[last_->index].name;
  if (reader_.line_number() <= resume_line_) {
    if (reader_.first_line() > 1) return Status::ok();
    ++summary_.resumed_records;
    return written(last_->index, reader_.record_hash());
  }
  if (isolated_) {
    if (batch_size_ == batch_.size()) batch_.emplace_back();
    Pending& p = batch_[batch_size_++];
    p.stream = last_->index;
    p.record.clear_keep_capacity();
    Status shaped = Status::ok();
    if (last_->table_shape) {
      shaped = to_table_row(reader_.record(), p.record);
    } else {
      for (const Field& field : reader_.record()) p.record.add(field.name) = field.value;
    }
    p.text.assign(reader_.raw_record());
    p.line = reader_.line_number();
    p.hash = reader_.record_hash();
    batch_bytes_ += int64_t(p.text.size());
    if (!shaped) {
      --batch_size_;
      return reject(p, std::move(shaped).context("stream \"" + target + "\""));
    }
    if (int64_t(batch_size_) >= options_.batch_rows || batch_bytes_ >= options_.batch_bytes) return flush();
    return Status::ok();
  }
  checkpoint_.records = summary_.records + 1;
  Status status = last_->table_shape ? to_table_row(reader_.record(), row_) : Status::ok();
  if (status) status = sink_.write(target, last_->table_shape ? row_ : reader_.record());
  // The context is built only on failure: this is the per-record hot path.
  if (!status)
    return std::move(status).context("stream \"" + target + "\", archive line " +
                                     std::to_string(reader_.line_number()));
  return written(last_->index, reader_.record_hash());
}

Status Importer::written(size_t stream, Hash128 hash) {
  ImportedStream& imported = summary_.streams[stream];
  ++imported.records;
  imported.digest.add(hash);
  ++summary_.records;
  if (progress_) progress_->advanced(summary_.records, reader_.bytes_read());
  return Status::ok();
}

// Writes the batch whole in one isolated batch; when that fails, undoes it and writes each
// record in a batch of its own, rejecting those that fail alone. A target that refuses every
// write (out of memory, read-only) fails the import instead: no record is to blame.
Status Importer::flush() {
  if (batch_size_ == 0) return Status::ok();
  size_t size = batch_size_;
  batch_size_ = 0;
  batch_bytes_ = 0;
  checkpoint_.records = summary_.records + int64_t(size);  // at most: some may be rejected
  Status whole = write_batch(0, size);
  if (whole) {
    ++summary_.batches_ok;
    for (size_t i = 0; i < size; ++i) DECANT_TRY(written(batch_[i].stream, batch_[i].hash));
    return Status::ok();
  }
  // A lost connection, a conflict with another writer or a target that takes no writes (out
  // of memory, read-only) is no record's fault: the import is retried (--retries) or fails
  // instead of its records rejected.
  if (whole.faults_no_record()) return whole;
  ++summary_.batches_failed;
  if (whole.side() != Side::kTarget) return whole;  // undoing the batch failed, or a bug
  for (size_t i = 0; i < size; ++i) {
    Status alone = write_batch(i, i + 1);
    if (alone) {
      DECANT_TRY(written(batch_[i].stream, batch_[i].hash));
    } else if (alone.side() != Side::kTarget || alone.faults_no_record()) {
      return alone;  // undoing the batch failed, a bug, or no record's fault: nothing to reject
    } else {
      DECANT_TRY(reject(batch_[i], std::move(alone)));
    }
  }
  return Status::ok();
}

// One isolated batch of batch_[begin, end). A failure of the records themselves comes back as
// a target error after the batch was undone; failing to undo it is an internal error, since
// the import cannot go on.
Status Importer::write_batch(size_t begin, size_t end) {
  DECANT_TRY(sink_.begin_batch());
  Status status = Status::ok();
  for (size_t i = begin; i < end && status; ++i) {
    status = sink_.write(summary_.streams[batch_[i].stream].name, batch_[i].record);
    if (!status && end - begin == 1)
      status.context("stream \"" + summary_.streams[batch_[i].stream].name + "\"");
  }
  if (status) status = sink_.end_batch();
  if (status) return status;
  Status undone = sink_.abort_batch();
  if (!undone) return Status::internal("undoing a failed batch: " + undone.message());
  if (status.faults_no_record()) return status;
  return Status::target(status.message());
}

Status Importer::reject(const Pending& pending, Status error) {
  RejectedRecord rejected{summary_.streams[pending.stream].name, pending.line, error.message()};
  ++summary_.rejected;
  ++summary_.errors_by_type[error_type(rejected.error)];
  if (summary_.first_errors.size() < kFirstErrorsKept) summary_.first_errors.push_back(rejected);
  if (options_.reject) DECANT_TRY(options_.reject(rejected, pending.text));
  if (summary_.rejected > options_.max_errors)
    return Status::target("more than " + std::to_string(options_.max_errors) + " records rejected (--max-errors); " +
                          "the last, archive line " + std::to_string(pending.line) + ": " + rejected.error);
  return Status::ok();
}

}  // namespace

std::string error_type(const std::string& message) {
  std::string out;
  int depth = 0;
  bool in_number = false;
  for (size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (c == '(') ++depth;
    bool digit = std::isdigit(static_cast<unsigned char>(c));
    if (depth == 0 && digit && !in_number) out += 'N';
    if (depth == 0 && !digit && !(c == ' ' && i + 1 < message.size() && message[i + 1] == '(')) out += c;
    in_number = digit;
    if (c == ')' && depth > 0) --depth;
  }
  return out;
}

Status import_archive(ArchiveReader& reader, Sink& sink, const StreamSelection& selection,
                      ProgressObserver* progress, ImportSummary& summary, const ImportOptions& options) {
  Importer importer(reader, sink, selection, progress, summary, options);
  Status status = importer.run();
  if (!status) sink.rollback();
  return status;
}

}  // namespace decant
