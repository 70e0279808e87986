// import --jq FILTER: the archive's text goes through `jq -c FILTER` on its way to the reader,
// the transform step of DESIGN.md run by decant itself instead of in a shell pipe.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>

#include "format/byte_io.h"

namespace decant::cli {

// Runs jq as a child process: a thread feeds it `input`, read() returns its output. jq's own
// messages go to decant's stderr. A filter jq cannot compile, or no jq, is a usage error from
// start(); jq failing on the records is an error when its output ends.
class JqSource : public ByteSource {
 public:
  static Result<std::unique_ptr<JqSource>> start(std::unique_ptr<ByteSource> input, const std::string& filter);
  ~JqSource() override;
  Result<size_t> read(char* buffer, size_t capacity) override;

 private:
  JqSource(std::unique_ptr<ByteSource> input, pid_t pid, int to_jq, int from_jq);
  Status finish_child();

  std::unique_ptr<ByteSource> input_;
  pid_t pid_;
  int to_jq_;    // written by feeder_ only, which closes it
  int from_jq_;
  std::thread feeder_;
  Status feed_status_;
  bool done_ = false;
};

}  // namespace decant::cli
