#include "import/import.h"

#include <unordered_map>

namespace decant {

namespace {

Status run(ArchiveReader& reader, Sink& sink, const StreamSelection& selection, ProgressObserver* progress,
           ImportSummary& summary) {
  DECANT_TRY(sink.begin());
  std::unordered_map<std::string, size_t> active;  // archive stream name -> index in summary.streams
  std::string last_name;
  ImportedStream* last = nullptr;
  std::string target_name;
  for (;;) {
    if (interrupt_requested()) return interrupted_status();
    Result<ArchiveEvent> event = reader.next();
    if (!event) return event.take_status();
    switch (*event) {
      case ArchiveEvent::kStream: {
        const StreamInfo& original = reader.stream();
        if (!selection.selected(original.name)) break;
        StreamInfo stream = original;
        stream.name = selection.renamed(original.name);
        DECANT_TRY(sink.begin_stream(stream).context("stream \"" + stream.name + "\""));
        active[original.name] = summary.streams.size();
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
          last = &summary.streams[it->second];
          last_name = name;
        }
        DECANT_TRY(sink.write(last->name, reader.record())
                       .context("stream \"" + last->name + "\", archive line " + std::to_string(reader.line_number())));
        ++last->records;
        last->digest.add(reader.record_hash());
        ++summary.records;
        if (progress) progress->advanced(summary.records, reader.bytes_read());
        break;
      }
      case ArchiveEvent::kEndStream: {
        auto it = active.find(reader.totals().name);
        if (it == active.end()) break;
        ImportedStream& imported = summary.streams[it->second];
        imported.matches_archive = reader.totals().matches();
        DECANT_TRY(sink.end_stream(imported.name).context("stream \"" + imported.name + "\""));
        if (progress) progress->stream_finished(imported.name, imported.records);
        break;
      }
      case ArchiveEvent::kTrailer: break;
      case ArchiveEvent::kEnd:
        summary.transformed = reader.digests_mismatched();
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
