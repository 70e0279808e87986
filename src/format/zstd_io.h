// zstd compression as a decorator over ByteSink/ByteSource (format-design.md, "Compression").
// Output is a sequence of independent frames, each holding whole lines, followed by a
// seekable-format seek table, so readers may split the work by frame and `zstd -dc` still works.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "format/byte_io.h"
#include "format/status.h"

namespace decant {

struct ZstdSinkOptions {
  int level = 3;
  int threads = 0;                    // 0: one per hardware thread (at least 1)
  size_t frame_bytes = 4 << 20;       // target uncompressed bytes per frame
};

// Cuts the byte stream into frames after the last '\n' that keeps a frame within frame_bytes
// (a line longer than that gets a frame of its own), compresses frames on a worker pool and
// writes them to `inner` in order. The cut points depend only on the bytes written, so the
// output is identical for any thread count and any split of the input into write() calls.
class ZstdSink : public ByteSink {
 public:
  explicit ZstdSink(ByteSink& inner, ZstdSinkOptions options = {});
  ~ZstdSink() override;
  ZstdSink(const ZstdSink&) = delete;
  ZstdSink& operator=(const ZstdSink&) = delete;

  Status write(std::string_view bytes) override;
  // Also keeps the line for the frame index (SPEC 6.3).
  Status write_structural_line(std::string_view line, int64_t line_number) override;
  // Compresses the rest (a final line need not end in '\n'), writes the frame index (when
  // an archive writer marked its structural lines) and the seek table, and finishes `inner`.
  Status finish() override;

 private:
  struct Job {
    std::string input;   // released once compressed
    size_t input_size = 0;
    int64_t lines = 0;   // '\n' in the input, counted before it is released
    std::string output;
    Status status;
    bool done = false;
  };
  struct SeekEntry {
    uint32_t compressed_size;
    uint32_t decompressed_size;
  };

  size_t next_frame_end(size_t start);
  Status submit(std::string frame);
  // Writes finished frames in order, blocking until at most `max_in_flight` remain.
  Status write_finished_frames(size_t max_in_flight);
  Status write_frame(Job& job);
  Status write_frame_index();
  Status write_seek_table();
  void compress_loop();

  ByteSink& inner_;
  int level_;
  size_t frame_bytes_;
  size_t max_in_flight_;
  std::string pending_;                  // bytes not yet assigned to a frame
  // Length of pending_'s prefix already searched in vain for '\n' (a line longer than a frame
  // still arriving), so each write scans only the new bytes.
  size_t scanned_without_newline_ = 0;
  std::vector<SeekEntry> seek_entries_;
  std::vector<int64_t> frame_lines_;     // lines per data frame, for the frame index
  struct StructuralLine {
    int64_t line;
    std::string text;  // without its '\n'
  };
  std::vector<StructuralLine> structural_;
  size_t structural_bytes_ = 0;
  bool index_abandoned_ = false;         // too much structural text to index
  Status failure_;                       // sticky: the first error fails every later call
  bool finished_ = false;

  std::deque<std::unique_ptr<Job>> in_flight_;  // submission order; touched by the caller only
  std::mutex mutex_;
  std::condition_variable work_available_;
  std::condition_variable job_done_;
  std::deque<Job*> queued_;  // jobs no worker has taken yet
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// Streaming decompression of any concatenation of zstd and skippable frames. A background
// thread decompresses into a few bounded chunks so the consumer's parsing overlaps with it.
// `inner` is read only from that thread; destruction waits for a read already in progress.
class ZstdSource : public ByteSource {
 public:
  // `name` prefixes error messages (usually the file name).
  ZstdSource(std::unique_ptr<ByteSource> inner, std::string name);
  ~ZstdSource() override;
  ZstdSource(const ZstdSource&) = delete;
  ZstdSource& operator=(const ZstdSource&) = delete;

  Result<size_t> read(char* buffer, size_t capacity) override;
  // zstd frames that decompressed to something so far (skippable frames do not count).
  int64_t frames_decompressed() const { return frames_decompressed_.load(); }

 private:
  struct Chunk {
    std::unique_ptr<char[]> data;
    size_t size = 0;
  };

  void decompress_loop();
  Status decompress_all();
  bool take_free_chunk();    // false when the source is being destroyed
  void publish_filling();

  std::unique_ptr<ByteSource> inner_;
  std::string name_;
  Chunk filling_;  // producer thread only
  Chunk current_;  // consumer only
  size_t current_pos_ = 0;

  std::mutex mutex_;
  std::condition_variable chunk_ready_;
  std::condition_variable chunk_free_;
  std::deque<Chunk> ready_;
  std::deque<Chunk> free_;
  bool producer_done_ = false;
  Status producer_status_;
  bool stopping_ = false;
  std::atomic<int64_t> frames_decompressed_{0};
  std::thread producer_;
};

// Sniffs the first 4 bytes: a zstd or skippable frame magic gives a ZstdSource, anything else
// (including input shorter than 4 bytes) a source that yields the input unchanged.
Result<std::unique_ptr<ByteSource>> open_archive_source(std::unique_ptr<ByteSource> raw,
                                                        std::string name);

struct SeekTableEntry {
  uint64_t compressed_offset;
  uint64_t compressed_size;
  uint64_t decompressed_offset;
  uint64_t decompressed_size;
};

// Reads the seekable-format seek table at the end of a regular file without moving the file
// offset. A file without one (or a pipe) gives an empty vector; a malformed table is an error.
Result<std::vector<SeekTableEntry>> read_seek_table(int fd);

// decant's frame index (SPEC 6.3): where each data frame starts in lines, and the structural
// lines (header, stream, end, trailer) verbatim, so that a reader can start at any frame.
struct FrameIndex {
  struct Line {
    int64_t line;
    std::string text;  // without its '\n'
  };
  std::vector<SeekTableEntry> frames;  // the data frames only
  std::vector<int64_t> first_line;     // per data frame: the archive line number it starts with
  std::vector<Line> lines;             // in line order; lines[0] is the header
  // The data frame holding archive line `line` (the last frame when it is past the end).
  size_t frame_of_line(int64_t line) const;
};

// The frame index of a seekable zstd file; none when the file has no seek table or no index
// (written by another tool, or through a transform); an index that fails a check is an error.
Result<std::optional<FrameIndex>> read_frame_index(int fd);

// The first line of the file (without its '\n'), decompressing only as much of the first
// frame as it takes: to check an index's copy of the header against the archive itself.
Result<std::string> read_first_line(int fd, size_t max_line_bytes);

}  // namespace decant
