#include "export/export.h"

namespace decant {

Status export_archive(Source& source, ArchiveWriter& writer, const StreamSelection& selection,
                      ProgressObserver* progress, ExportSummary& summary) {
  Result<std::vector<StreamInfo>> streams = source.streams();
  if (!streams) return streams.take_status();
  DECANT_TRY(writer.write_header(source.describe()));
  if (progress) {
    int64_t expected = 0;  // the sum of the stream descriptions' estimates, when all have one
    for (const StreamInfo& stream : *streams) {
      if (!selection.selected(stream.name)) continue;
      expected = stream.estimated_rows < 0 || expected < 0 ? -1 : expected + stream.estimated_rows;
    }
    progress->expect(expected, 0);
  }
  for (const StreamInfo& original : *streams) {
    if (!selection.selected(original.name)) continue;
    StreamInfo stream = original;
    stream.name = selection.renamed(original.name);
    DECANT_TRY(writer.begin_stream(stream));
    if (progress) progress->stream_started(stream.name, stream.estimated_rows);
    int64_t count = 0;
    Status read = source.read(original, [&](const Record& record) -> Status {
      if (interrupt_requested()) return interrupted_status();
      DECANT_TRY(writer.write_record(stream.name, record));
      ++count;
      if (progress) progress->advanced(writer.records_written(), writer.bytes_written());
      return Status::ok();
    });
    DECANT_TRY(std::move(read).context("stream \"" + original.name + "\""));
    DECANT_TRY(writer.end_stream(stream.name));
    if (progress) progress->stream_finished(stream.name, count);
    ++summary.streams;
  }
  DECANT_TRY(writer.finish());
  if (progress) progress->advanced(writer.records_written(), writer.bytes_written());  // the trailer
  summary.records = writer.records_written();
  summary.bytes = writer.bytes_written();
  return Status::ok();
}

}  // namespace decant
