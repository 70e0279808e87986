// The decant command line: parses options, assembles source -> archive -> sink from the
// library, reports on stderr. Exit codes are documented in README.md.
#pragma once

#include "format/status.h"

namespace decant::cli {

enum ExitCode {
  kExitOk = 0,
  kExitDifferent = 1,    // diff found differences
  kExitUsage = 2,        // bad options; nothing was read or written
  kExitSource = 3,       // the source (database, or the archive file being read) failed
  kExitTarget = 4,       // the target (database, or the archive being written) failed
  kExitArchive = 5,      // the archive is malformed, truncated or fails verification
  kExitInternal = 70,    // a bug in decant
  kExitInterrupted = 130,
};

int exit_code_for(const Status& status);
int run(int argc, char** argv);

}  // namespace decant::cli
