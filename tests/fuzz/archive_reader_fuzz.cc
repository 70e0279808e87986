// libFuzzer target: arbitrary bytes through archive detection (plain or zstd) and the archive
// reader, to the end or the first error. Any crash, sanitizer report, hang or unbounded
// allocation is a bug; errors are the expected outcome for almost every input.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "format/archive.h"
#include "format/zstd_io.h"

namespace {

// Stops a decompression bomb after `limit` bytes, as a truncated input: the reader's own
// bounds are what is under test, not how long a huge valid archive takes to read.
class CappedSource : public decant::ByteSource {
 public:
  CappedSource(std::unique_ptr<decant::ByteSource> inner, size_t limit) : inner_(std::move(inner)), left_(limit) {}
  decant::Result<size_t> read(char* buffer, size_t capacity) override {
    if (left_ == 0) return size_t{0};
    decant::Result<size_t> n = inner_->read(buffer, std::min(capacity, left_));
    if (n) left_ -= *n;
    return n;
  }

 private:
  std::unique_ptr<decant::ByteSource> inner_;
  size_t left_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace decant;
  auto raw = std::make_unique<MemorySource>(std::string(reinterpret_cast<const char*>(data), size));
  Result<std::unique_ptr<ByteSource>> opened = open_archive_source(std::move(raw), "fuzz");
  if (!opened) return 0;
  CappedSource source(std::move(opened.value()), size_t{64} << 20);
  ReaderOptions options;
  options.max_line_bytes = size_t{1} << 20;
  // Not strict, so that records after a mismatching end line (the fuzzer cannot compute
  // digests) are still read.
  options.strict_digests = false;
  ArchiveReader reader(source, "fuzz", options);
  if (!reader.open()) return 0;
  for (;;) {
    Result<ArchiveEvent> event = reader.next();
    if (!event || *event == ArchiveEvent::kEnd) break;
  }
  return 0;
}
