#include "import/import.h"

#include <unordered_map>

#include "import/table_shape.h"

namespace decant {

namespace {

Status run(ArchiveReader& reader, Sink& sink, const StreamSelection& selection, ProgressObserver* progress,
           ImportSummary& summary) {
  DECANT_TRY(sink.begin());
  struct Active {
    size_t index;      // in summary.streams
    bool table_shape;  // records are turned into table rows on the way to the sink
  };
  std::unordered_map<std::string, Active> active;  // by archive stream name
  std::string last_name;
  ImportedStream* last = nullptr;
  bool last_table_shape = false;
  Record row;
  for (;;) {
    if (interrupt_requested()) return interrupted_status();
    Result<ArchiveEvent> event = reader.next();
    if (!event) return event.take_status();
    switch (*event) {
      case ArchiveEvent::kStream: {
        const StreamInfo& original = reader.stream();
        if (!selection.selected(original.name)) break;
        bool as_table = sink.needs_columns() && original.columns.empty();
        StreamInfo stream = as_table ? table_shape(original) : original;
        stream.name = selection.renamed(original.name);
        DECANT_TRY(sink.begin_stream(stream).context("stream \"" + stream.name + "\""));
        active[original.name] = Active{summary.streams.size(), as_table};
        summary.streams.push_back(ImportedStream{stream.name, 0, Digest(), true});
        last = nullptr;
        if (progress) progress->stream_started(stream.name, stream.estimated_rows);
        break;
      }
      case ArchiveEvent::kRecord: {
        const std::string& name = reader.stream().name;
        if (!last || name != last_name) {
          auto it = active.find(name);
          if (it == active.end()) break;  // a stream left out by the selection
          last = &summary.streams[it->second.index];
          last_table_shape = it->second.table_shape;
          last_name = name;
        }
        Status written = last_table_shape ? to_table_row(reader.record(), row) : Status::ok();
        if (written) written = sink.write(last->name, last_table_shape ? row : reader.record());
        // The context is built only on failure: this is the per-record hot path.
        if (!written)
          return std::move(written).context("stream \"" + last->name + "\", archive line " +
                                            std::to_string(reader.line_number()));
        ++last->records;
        last->digest.add(reader.record_hash());
        ++summary.records;
        if (progress) progress->advanced(summary.records, reader.bytes_read());
        break;
      }
      case ArchiveEvent::kEndStream: {
        auto it = active.find(reader.totals().name);
        if (it == active.end()) break;
        ImportedStream& imported = summary.streams[it->second.index];
        imported.matches_archive = reader.totals().matches();
        DECANT_TRY(sink.end_stream(imported.name).context("stream \"" + imported.name + "\""));
        if (progress) progress->stream_finished(imported.name, imported.records);
        break;
      }
      case ArchiveEvent::kTrailer: break;
      case ArchiveEvent::kEnd:
        summary.transformed = reader.digests_mismatched();
        if (progress) progress->advanced(summary.records, reader.bytes_read());  // end lines and trailer
        return sink.commit();
    }
  }
}

}  // namespace

Status import_archive(ArchiveReader& reader, Sink& sink, const StreamSelection& selection,
                      ProgressObserver* progress, ImportSummary& summary) {
  Status status = run(reader, sink, selection, progress, summary);
  if (!status) sink.rollback();
  return status;
}

}  // namespace decant
