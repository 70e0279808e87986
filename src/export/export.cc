#include "export/export.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace decant {

namespace {

struct Selected {
  const StreamInfo* original;
  StreamInfo stream;  // renamed
};

Status export_sequential(Source& source, ArchiveWriter& writer, const std::vector<Selected>& selected,
                         ProgressObserver* progress, ExportSummary& summary) {
  for (const Selected& s : selected) {
    DECANT_TRY(writer.begin_stream(s.stream));
    if (progress) progress->stream_started(s.stream.name, s.stream.estimated_rows);
    int64_t count = 0;
    Status read = source.read(*s.original, [&](const Record& record) -> Status {
      if (interrupt_requested()) return interrupted_status();
      DECANT_TRY(writer.write_record(s.stream.name, record));
      ++count;
      if (progress) progress->advanced(writer.records_written(), writer.bytes_written());
      return Status::ok();
    });
    DECANT_TRY(std::move(read).context("stream \"" + s.original->name + "\""));
    DECANT_TRY(writer.end_stream(s.stream.name));
    if (progress) progress->stream_finished(s.stream.name, count);
    ++summary.streams;
  }
  return Status::ok();
}

// Parallel export: worker threads read whole streams, each from its own reader of the same
// snapshot, and hand records in bounded batches to this thread, the only one that writes the
// archive (streams interleave in it, SPEC 3.6). Memory stays bounded by the queue's capacity.
class ParallelExport {
 public:
  ParallelExport(ArchiveWriter& writer, const std::vector<Selected>& selected, ProgressObserver* progress)
      : writer_(writer), selected_(selected), progress_(progress) {}

  Status run(std::vector<Source*> readers, ExportSummary& summary) {
    max_batches_ = 4 * readers.size();
    std::vector<std::thread> threads;
    for (Source* reader : readers) threads.emplace_back([this, reader] { work(*reader); });
    Status status = consume(readers.size(), summary);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    space_.notify_all();
    for (std::thread& t : threads) t.join();
    return status;
  }

 private:
  enum class What { kBegin, kRecords, kEnd, kError, kWorkerDone };
  struct Message {
    What what;
    size_t stream = 0;
    std::vector<Record> records;
    Status status;
  };
  static constexpr size_t kBatchRecords = 512;
  static constexpr size_t kBatchBytes = 1 << 20;

  // False when the export is stopping: the worker then gives up.
  bool push(Message message) {
    std::unique_lock<std::mutex> lock(mutex_);
    space_.wait(lock, [&] { return stop_ || queue_.size() < max_batches_ || message.what != What::kRecords; });
    if (stop_) return false;
    queue_.push_back(std::move(message));
    ready_.notify_one();
    return true;
  }

  void work(Source& reader) {
    for (;;) {
      size_t index = next_.fetch_add(1);
      if (index >= selected_.size()) break;
      if (!push({What::kBegin, index, {}, Status::ok()})) return;
      std::vector<Record> batch;
      size_t bytes = 0;
      Status read = reader.read(*selected_[index].original, [&](const Record& record) -> Status {
        if (interrupt_requested()) return interrupted_status();
        batch.push_back(record);
        for (const Field& f : record) bytes += f.name.size() + f.value.text.size() + 16;
        if (batch.size() >= kBatchRecords || bytes >= kBatchBytes) {
          if (!push({What::kRecords, index, std::move(batch), Status::ok()})) return interrupted_status();
          batch = {};
          bytes = 0;
        }
        return Status::ok();
      });
      if (read && !batch.empty() && !push({What::kRecords, index, std::move(batch), Status::ok()})) return;
      if (!read) {
        push({What::kError, index, {}, std::move(read).context("stream \"" + selected_[index].original->name + "\"")});
        return;
      }
      if (!push({What::kEnd, index, {}, Status::ok()})) return;
    }
    push({What::kWorkerDone, 0, {}, Status::ok()});
  }

  Status consume(size_t workers, ExportSummary& summary) {
    std::vector<int64_t> counts(selected_.size(), 0);
    size_t done = 0;
    while (done < workers) {
      Message message;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [&] { return !queue_.empty(); });
        message = std::move(queue_.front());
        queue_.pop_front();
      }
      space_.notify_one();
      if (interrupt_requested()) return interrupted_status();
      const StreamInfo& stream = selected_[message.stream].stream;
      switch (message.what) {
        case What::kBegin:
          DECANT_TRY(writer_.begin_stream(stream));
          if (progress_) progress_->stream_started(stream.name, stream.estimated_rows);
          break;
        case What::kRecords:
          for (const Record& record : message.records) DECANT_TRY(writer_.write_record(stream.name, record));
          counts[message.stream] += static_cast<int64_t>(message.records.size());
          if (progress_) progress_->advanced(writer_.records_written(), writer_.bytes_written());
          break;
        case What::kEnd:
          DECANT_TRY(writer_.end_stream(stream.name));
          if (progress_) progress_->stream_finished(stream.name, counts[message.stream]);
          ++summary.streams;
          break;
        case What::kError: return std::move(message.status);
        case What::kWorkerDone: ++done; break;
      }
    }
    return Status::ok();
  }

  ArchiveWriter& writer_;
  const std::vector<Selected>& selected_;
  ProgressObserver* progress_;
  std::atomic<size_t> next_{0};
  std::mutex mutex_;
  std::condition_variable ready_, space_;
  std::deque<Message> queue_;
  size_t max_batches_ = 8;
  bool stop_ = false;
};

}  // namespace

Status export_archive(Source& source, ArchiveWriter& writer, const StreamSelection& selection,
                      ProgressObserver* progress, ExportSummary& summary) {
  Result<std::vector<StreamInfo>> streams = source.streams();
  if (!streams) return streams.take_status();
  std::vector<Selected> selected;
  for (const StreamInfo& original : *streams) {
    if (!selection.selected(original.name)) continue;
    StreamInfo stream = original;
    stream.name = selection.renamed(original.name);
    selected.push_back({&original, std::move(stream)});
  }
  DECANT_TRY(writer.write_header(source.describe()));
  if (progress) {
    int64_t expected = 0;  // the sum of the stream descriptions' estimates, when all have one
    for (const Selected& s : selected) {
      expected = s.stream.estimated_rows < 0 || expected < 0 ? -1 : expected + s.stream.estimated_rows;
    }
    progress->expect(expected, 0);
  }
  size_t jobs = std::min<size_t>(static_cast<size_t>(std::max(source.parallel_reads(), 1)), selected.size());
  if (jobs <= 1) {
    DECANT_TRY(export_sequential(source, writer, selected, progress, summary));
  } else {
    std::vector<std::unique_ptr<Source>> workers;
    std::vector<Source*> readers{&source};
    for (size_t i = 1; i < jobs; ++i) {
      Result<std::unique_ptr<Source>> worker = source.open_worker();
      if (!worker) return worker.take_status();
      readers.push_back(worker->get());
      workers.push_back(std::move(worker.value()));
    }
    ParallelExport parallel(writer, selected, progress);
    DECANT_TRY(parallel.run(readers, summary));
  }
  DECANT_TRY(writer.finish());
  if (progress) progress->advanced(writer.records_written(), writer.bytes_written());  // the trailer
  summary.records = writer.records_written();
  summary.bytes = writer.bytes_written();
  return Status::ok();
}

}  // namespace decant
