// import: ArchiveReader -> Sink. The sink commits only after the reader has reached the end of
// a complete, verified archive; any failure before that rolls the sink back.
#pragma once

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
};

struct ImportSummary {
  std::vector<ImportedStream> streams;
  int64_t records = 0;
  bool transformed = false;  // some end line or the trailer disagreed with the records
};

Status import_archive(ArchiveReader& reader, Sink& sink, const StreamSelection& selection,
                      ProgressObserver* progress, ImportSummary& summary);

}  // namespace decant
