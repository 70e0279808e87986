#include "format/zstd_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zstd.h>

namespace decant {
namespace {

// A local in-memory source (MemorySource lives in byte_io.cc, owned elsewhere); `max_read`
// forces short reads.
class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string data, size_t max_read = SIZE_MAX)
      : data_(std::move(data)), max_read_(max_read) {}
  Result<size_t> read(char* buffer, size_t capacity) override {
    size_t n = std::min({capacity, max_read_, data_.size() - offset_});
    std::memcpy(buffer, data_.data() + offset_, n);
    offset_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t max_read_;
  size_t offset_ = 0;
};

class FailingSink : public ByteSink {
 public:
  Status write(std::string_view) override { return Status::target("out: disk full"); }
  Status finish() override { return Status::ok(); }
};

// Lines of varied length, including a few far longer than the frames used below.
std::string generate_lines(size_t total_bytes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string out;
  uint64_t line = 0;
  while (out.size() < total_bytes) {
    out += "{\"t\":\"rec\",\"n\":" + std::to_string(line++) + ",\"v\":\"";
    size_t length = rng() % 50 == 0 ? 70000 + rng() % 50000 : rng() % 300;
    for (size_t i = 0; i < length; ++i) out.push_back(static_cast<char>('a' + rng() % 26));
    out += "\"}\n";
  }
  return out;
}

std::string compress(const std::string& input, ZstdSinkOptions options, size_t write_size) {
  MemorySink memory;
  {
    ZstdSink sink(memory, options);
    for (size_t i = 0; i < input.size(); i += write_size) {
      Status status = sink.write(std::string_view(input).substr(i, write_size));
      EXPECT_TRUE(status) << status.message();
    }
    Status status = sink.finish();
    EXPECT_TRUE(status) << status.message();
  }
  return memory.data();
}

Result<std::string> read_all(ByteSource& source) {
  std::string out;
  char buffer[7919];  // odd size so reads straddle the source's chunk boundaries
  for (;;) {
    Result<size_t> n = source.read(buffer, sizeof buffer);
    if (!n) return n.take_status();
    if (*n == 0) return out;
    out.append(buffer, *n);
  }
}

Result<std::string> open_and_read(std::string data, size_t max_read = SIZE_MAX) {
  auto source = open_archive_source(std::make_unique<StringSource>(std::move(data), max_read),
                                    "in.ndjson.zst");
  if (!source) return source.take_status();
  return read_all(**source);
}

class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("decant_zstd_" + std::to_string(::getpid()) + "_" + test->name() + ".zst");
    std::ofstream(path_, std::ios::binary).write(contents.data(), std::streamsize(contents.size()));
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

Result<std::vector<SeekTableEntry>> seek_table_of(const std::string& compressed) {
  TempFile file(compressed);
  int fd = ::open(file.path().c_str(), O_RDONLY);
  EXPECT_GE(fd, 0);
  auto entries = read_seek_table(fd);
  ::close(fd);
  return entries;
}

constexpr size_t kFrameBytes = 64 << 10;
const ZstdSinkOptions kSmallFrames{.level = 3, .threads = 4, .frame_bytes = kFrameBytes};

TEST(ZstdIo, RoundTripsManyFrames) {
  std::string input = generate_lines(6 << 20, 1);
  std::string compressed = compress(input, kSmallFrames, 10007);
  EXPECT_LT(compressed.size(), input.size());
  auto output = open_and_read(compressed);
  ASSERT_TRUE(output) << output.status().message();
  EXPECT_TRUE(*output == input);
}

TEST(ZstdIo, FramesHoldWholeLinesAndAsManyAsFit) {
  std::string input = generate_lines(3 << 20, 2);
  std::string compressed = compress(input, kSmallFrames, 4096);
  auto entries = seek_table_of(compressed);
  ASSERT_TRUE(entries) << entries.status().message();
  ASSERT_GT(entries->size(), 40u);

  for (size_t i = 0; i < entries->size(); ++i) {
    const SeekTableEntry& entry = (*entries)[i];
    const char* frame = compressed.data() + entry.compressed_offset;
    ASSERT_EQ(ZSTD_findFrameCompressedSize(frame, entry.compressed_size), entry.compressed_size);
    ASSERT_EQ(ZSTD_getFrameContentSize(frame, entry.compressed_size), entry.decompressed_size);
    std::string decoded(entry.decompressed_size, '\0');
    size_t n = ZSTD_decompress(decoded.data(), decoded.size(), frame, entry.compressed_size);
    ASSERT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
    ASSERT_EQ(decoded, input.substr(entry.decompressed_offset, entry.decompressed_size));
    ASSERT_EQ(decoded.back(), '\n') << "frame " << i;
    if (decoded.size() > kFrameBytes) {
      // Only a single over-long line may exceed the target.
      EXPECT_EQ(decoded.find('\n'), decoded.size() - 1) << "frame " << i;
    }
    if (i + 1 < entries->size()) {
      // The next line would not have fit: frames are as large as the rule allows.
      size_t next_line = input.find('\n', entry.decompressed_offset + decoded.size()) + 1 -
                         (entry.decompressed_offset + decoded.size());
      EXPECT_GT(decoded.size() + next_line, kFrameBytes) << "frame " << i;
    }
  }
}

TEST(ZstdIo, SeekTableSizesAddUp) {
  std::string input = generate_lines(1 << 20, 3);
  std::string compressed = compress(input, kSmallFrames, 65536);
  auto entries = seek_table_of(compressed);
  ASSERT_TRUE(entries) << entries.status().message();
  uint64_t compressed_total = 0;
  uint64_t decompressed_total = 0;
  for (const SeekTableEntry& entry : *entries) {
    EXPECT_EQ(entry.compressed_offset, compressed_total);
    EXPECT_EQ(entry.decompressed_offset, decompressed_total);
    compressed_total += entry.compressed_size;
    decompressed_total += entry.decompressed_size;
  }
  EXPECT_EQ(decompressed_total, input.size());
  // 8-byte skippable header, 8 bytes per entry, 9-byte footer.
  EXPECT_EQ(compressed_total + 8 + 8 * entries->size() + 9, compressed.size());
}

TEST(ZstdIo, ZstdCliDecompressesOutput) {
  std::string input = generate_lines(2 << 20, 4);
  TempFile file(compress(input, kSmallFrames, 100000));
  std::string command = "zstd -dcq '" + file.path().string() + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[65536];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  EXPECT_EQ(::pclose(pipe), 0);
  EXPECT_TRUE(output == input);
}

TEST(ZstdIo, OutputIsIndependentOfThreadsAndWriteSizes) {
  std::string input = generate_lines(2 << 20, 5);
  ZstdSinkOptions single = kSmallFrames;
  single.threads = 1;
  std::string reference = compress(input, single, input.size());
  EXPECT_TRUE(compress(input, kSmallFrames, 333) == reference);
  ZstdSinkOptions many = kSmallFrames;
  many.threads = 8;
  EXPECT_TRUE(compress(input, many, 1 << 20) == reference);
}

TEST(ZstdIo, FinalLineWithoutNewline) {
  std::string input = "{\"a\":1}\n{\"b\":2}";
  std::string compressed = compress(input, ZstdSinkOptions{.frame_bytes = 4}, 3);
  auto entries = seek_table_of(compressed);
  ASSERT_TRUE(entries) << entries.status().message();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1].decompressed_size, 7u);
  auto output = open_and_read(compressed);
  ASSERT_TRUE(output) << output.status().message();
  EXPECT_EQ(*output, input);
}

TEST(ZstdIo, EmptyInputIsJustASeekTable) {
  std::string compressed = compress("", kSmallFrames, 1);
  EXPECT_EQ(compressed.size(), 17u);
  auto entries = seek_table_of(compressed);
  ASSERT_TRUE(entries) << entries.status().message();
  EXPECT_TRUE(entries->empty());
  auto output = open_and_read(compressed);
  ASSERT_TRUE(output) << output.status().message();
  EXPECT_EQ(*output, "");
}

TEST(ZstdIo, ConcatenatedArchivesDecompressInSequence) {
  std::string first = generate_lines(200000, 6);
  std::string second = generate_lines(300000, 7);
  auto output = open_and_read(compress(first, kSmallFrames, 999) +
                              compress(second, kSmallFrames, 999));
  ASSERT_TRUE(output) << output.status().message();
  EXPECT_TRUE(*output == first + second);
}

TEST(ZstdIo, SniffsThroughOneByteReads) {
  std::string input = generate_lines(300000, 8);
  auto output = open_and_read(compress(input, kSmallFrames, 4096), 1);
  ASSERT_TRUE(output) << output.status().message();
  EXPECT_TRUE(*output == input);
}

TEST(ZstdIo, PlainInputPassesThroughUnchanged) {
  for (std::string plain : {std::string(), std::string("{\n"), std::string("x"),
                            std::string("{\"t\":\"header\"}\n{\"t\":\"end\"}\n")}) {
    for (size_t max_read : {size_t{1}, SIZE_MAX}) {
      auto output = open_and_read(plain, max_read);
      ASSERT_TRUE(output) << output.status().message();
      EXPECT_EQ(*output, plain);
    }
  }
}

TEST(ZstdIo, TruncatedInputIsAnArchiveError) {
  std::string compressed = compress(generate_lines(500000, 9), kSmallFrames, 4096);
  for (size_t length : {size_t{6}, compressed.size() / 2}) {
    auto output = open_and_read(compressed.substr(0, length));
    ASSERT_FALSE(output);
    EXPECT_EQ(output.status().side(), Side::kArchive);
    EXPECT_NE(output.status().message().find("in.ndjson.zst: truncated"), std::string::npos)
        << output.status().message();
  }
}

TEST(ZstdIo, FlippedByteIsAnArchiveError) {
  std::string compressed = compress(generate_lines(500000, 10), kSmallFrames, 4096);
  compressed[compressed.size() / 2] ^= 0x20;
  auto output = open_and_read(compressed);
  ASSERT_FALSE(output);
  EXPECT_EQ(output.status().side(), Side::kArchive);
  EXPECT_NE(output.status().message().find("in.ndjson.zst: corrupt zstd data at compressed byte"),
            std::string::npos)
      << output.status().message();
}

TEST(ZstdIo, InnerWriteErrorPropagates) {
  FailingSink failing;
  ZstdSink sink(failing, ZstdSinkOptions{.threads = 2, .frame_bytes = 16});
  Status status = Status::ok();
  for (int i = 0; i < 100 && status; ++i) status = sink.write("a line of text\n");
  if (status) status = sink.finish();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.side(), Side::kTarget);
  EXPECT_EQ(status.message(), "out: disk full");
}

TEST(ZstdIo, AbandonedStreamsShutDownCleanly) {
  std::string input = generate_lines(2 << 20, 11);
  {
    MemorySink memory;
    ZstdSink sink(memory, kSmallFrames);
    ASSERT_TRUE(sink.write(input));
  }
  auto source = open_archive_source(
      std::make_unique<StringSource>(compress(input, kSmallFrames, 65536)), "in");
  ASSERT_TRUE(source);
  char buffer[100];
  ASSERT_TRUE((*source)->read(buffer, sizeof buffer));
}

TEST(ZstdIo, SeekTableAbsentOrMalformed) {
  auto plain = seek_table_of("{\"t\":\"header\"}\n");
  ASSERT_TRUE(plain) << plain.status().message();
  EXPECT_TRUE(plain->empty());

  std::string compressed = compress(generate_lines(300000, 12), kSmallFrames, 4096);
  std::string wrong_count = compressed;
  wrong_count[wrong_count.size() - 9] ^= 1;  // Number_Of_Frames, low byte
  auto malformed = seek_table_of(wrong_count);
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.status().side(), Side::kArchive);

  std::string wrong_size = compressed;
  wrong_size[wrong_size.size() - 17] ^= 1;  // last entry's Compressed_Size, low byte
  EXPECT_FALSE(seek_table_of(wrong_size));
}

}  // namespace
}  // namespace decant
