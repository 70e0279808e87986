// export: Source -> ArchiveWriter, stream by stream, records one at a time.
#pragma once

#include "export/source.h"
#include "format/archive.h"
#include "format/pipeline.h"

namespace decant {

struct ExportSummary {
  int64_t streams = 0;
  int64_t records = 0;
  uint64_t bytes = 0;  // uncompressed archive bytes
};

// Writes header, every selected stream and the trailer, then finishes the writer's sink.
Status export_archive(Source& source, ArchiveWriter& writer, const StreamSelection& selection,
                      ProgressObserver* progress, ExportSummary& summary);

}  // namespace decant
