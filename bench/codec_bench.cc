// Codec throughput benchmark (not a test): writes a generated archive through ArchiveWriter
// (plain, or zstd through ZstdSink) and reads it back through ArchiveReader (decompress + parse
// + digest verification), printing one JSON line of results per run. Also writes the TSV the
// SQLite benchmark loads, from the same generator. See bench/README.md.
//
//   codec_bench write FILE --mb N [--zstd LEVEL] [--threads T] [--frame-mb F]
//   codec_bench read FILE [--stage drain|parse]
//   codec_bench gen-tsv FILE --rows N
//
// MB is 10^6 bytes. Throughput is always of *uncompressed archive bytes*.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>
#include <cmath>
#include <cstdint>

#include "format/archive.h"
#include "format/byte_io.h"
#include "format/zstd_io.h"

namespace bench {

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() { return splitmix64(state_++); }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t state_;
};

inline const char* const kWorkspaces[8] = {"default", "tenant_a", "tenant_b", "research",
                                           "legal",   "support",  "staging",  "archive"};

inline void append_hex(uint64_t v, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(v >> shift) & 15];
}

class Generator {
 public:
  explicit Generator(uint64_t seed = 42) : rng_(seed) {
    static const char* const kSyllables[] = {
        "ka", "to", "ri", "mel", "an", "sor", "vi", "len", "du", "pra", "ex", "tra", "con", "ge", "mo",
        "li", "ne", "sta", "qu", "bel", "ion", "ter", "ma", "ro", "si", "de", "lo", "pe", "un", "ar"};
    constexpr size_t kN = sizeof kSyllables / sizeof kSyllables[0];
    Rng words(7);
    vocabulary_.reserve(2000);
    std::unordered_set<std::string> seen;
    while (vocabulary_.size() < 2000) {
      std::string w;
      int syllables = 1 + static_cast<int>(words.below(3));
      for (int s = 0; s < syllables; ++s) w += kSyllables[words.below(kN)];
      if (seen.insert(w).second) vocabulary_.push_back(w);
    }
  }

  // Zipf-like (log-uniform rank): a few words are very common, most are rare.
  const std::string& word() {
    double u = rng_.uniform();
    size_t rank = static_cast<size_t>(std::exp(u * std::log(2000.0))) - 1;
    if (rank >= vocabulary_.size()) rank = vocabulary_.size() - 1;
    return vocabulary_[rank];
  }

  void words(int n, std::string& out) {
    for (int i = 0; i < n; ++i) {
      if (i) out += ' ';
      out += word();
    }
  }

  // ~200 bytes of minified JSON, as an extraction cache would hold it. No tab, newline or
  // backslash, so the TSV for `sqlite3 .import` needs no escaping; the '"' inside the text
  // are escaped by the archive encoder like any real JSON-in-a-text-column.
  void value(std::string& out) {
    out.clear();
    out += "{\"entity\":\"";
    words(2, out);
    out += "\",\"type\":\"";
    out += word();
    out += "\",\"description\":\"";
    words(10 + static_cast<int>(rng_.below(12)), out);
    out += "\",\"source_id\":\"chunk-";
    append_hex(rng_.next(), out);
    out += "\",\"weight\":";
    out += std::to_string(rng_.below(1000) / 100.0).substr(0, 4);
    out += '}';
  }

  // Row i: unique for every i (the first 64 hex bits are a bijection of i).
  static void id(uint64_t i, std::string& out) {
    out.clear();
    out += kWorkspaces[i % 8];
    out += ":extract:";
    append_hex(splitmix64(i * 2), out);
    append_hex(splitmix64(i * 2 + 1), out);
  }
  static const char* workspace(uint64_t i) { return kWorkspaces[i % 8]; }

 private:
  Rng rng_;
  std::vector<std::string> vocabulary_;
};

}  // namespace bench

namespace {

using Clock = std::chrono::steady_clock;

struct Usage {
  double user = 0, sys = 0;
  long maxrss_kb = 0;
};

Usage usage_now() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);  // all threads of the process
  Usage u;
  u.user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  u.sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  u.maxrss_kb = ru.ru_maxrss;
  return u;
}

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "codec_bench: %s\n", message.c_str());
  std::exit(1);
}

void check(const decant::Status& s) {
  if (!s) die(s.message());
}

const char* flag(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 0; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

long long file_size(const std::string& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -1;
}

void report(const char* op, const std::string& file, const std::string& codec, int threads, long long records,
            unsigned long long archive_bytes, double seconds, const Usage& before, const Usage& after,
            long baseline_rss_kb) {
  double cpu = (after.user - before.user) + (after.sys - before.sys);
  std::printf(
      "{\"op\":\"%s\",\"file\":\"%s\",\"codec\":\"%s\",\"threads\":%d,\"records\":%lld,"
      "\"archive_bytes\":%llu,\"file_bytes\":%lld,\"seconds\":%.3f,\"mb_s\":%.1f,\"rec_s\":%.0f,"
      "\"user_s\":%.2f,\"sys_s\":%.2f,\"mb_per_cpu_s\":%.1f,\"maxrss_mb\":%.1f,\"baseline_rss_mb\":%.1f}\n",
      op, file.c_str(), codec.c_str(), threads, records, archive_bytes, file_size(file), seconds,
      archive_bytes / seconds / 1e6, records / seconds, after.user - before.user, after.sys - before.sys,
      cpu > 0 ? archive_bytes / cpu / 1e6 : 0.0, after.maxrss_kb / 1024.0, baseline_rss_kb / 1024.0);
  std::fflush(stdout);
}

decant::StreamInfo kv_stream() {
  decant::StreamInfo s;
  s.name = "kv";
  s.kind = "table";
  for (const char* name : {"id", "workspace", "value"}) {
    decant::Column c;
    c.name = name;
    c.type = "text";
    c.source_type = "TEXT";
    c.nullable = std::strcmp(name, "id") != 0;
    s.columns.push_back(c);
  }
  s.key = {"id"};
  return s;
}

int cmd_write(int argc, char** argv) {
  std::string path = argv[2];
  double mb = std::atof(flag(argc, argv, "--mb", "1000"));
  int level = std::atoi(flag(argc, argv, "--zstd", "0"));
  int threads = std::atoi(flag(argc, argv, "--threads", "0"));
  double frame_mb = std::atof(flag(argc, argv, "--frame-mb", "4"));
  auto target = static_cast<unsigned long long>(mb * 1e6);

  // A pool of distinct values, used in order: a 4 MB frame holds ~15k records, far fewer than
  // the pool, so no value repeats inside a frame (frames are compressed independently) and the
  // ratio is that of all-distinct values, while generation stays out of the timed loop.
  constexpr size_t kPool = 65536;
  bench::Generator gen(42);
  std::vector<std::string> pool(kPool);
  for (auto& v : pool) gen.value(v);
  Usage baseline = usage_now();

  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) die("cannot create " + path + ": " + std::strerror(errno));
  decant::FdSink file(fd, path);
  std::unique_ptr<decant::ZstdSink> zstd;
  decant::ByteSink* sink = &file;
  if (level > 0) {
    decant::ZstdSinkOptions options;
    options.level = level;
    options.threads = threads;
    options.frame_bytes = static_cast<size_t>(frame_mb * (1 << 20));
    zstd = std::make_unique<decant::ZstdSink>(file, options);
    sink = zstd.get();
  }

  Usage before = usage_now();
  auto start = Clock::now();
  decant::ArchiveWriter writer(*sink);
  decant::SourceDescription source;
  source.backend = "bench";
  source.location = "generated";
  check(writer.write_header(source));
  const std::string stream = "kv";
  check(writer.begin_stream(kv_stream()));
  decant::Record record;
  std::string id;
  for (uint64_t i = 0; writer.bytes_written() < target; ++i) {
    bench::Generator::id(i, id);
    record.clear_keep_capacity();
    decant::Value& v_id = record.add("id");
    v_id.kind = decant::Kind::kText;
    v_id.text.assign(id);
    decant::Value& v_ws = record.add("workspace");
    v_ws.kind = decant::Kind::kText;
    v_ws.text.assign(bench::Generator::workspace(i));
    decant::Value& v_value = record.add("value");
    v_value.kind = decant::Kind::kText;
    v_value.text.assign(pool[i % kPool]);
    check(writer.write_record(stream, record));
  }
  check(writer.end_stream(stream));
  check(writer.finish());  // finishes the zstd sink (and through it the file sink)
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  Usage after = usage_now();
  ::close(fd);
  std::string codec = level > 0 ? "zstd-" + std::to_string(level) : "plain";
  report("write", path, codec, level > 0 ? threads : 1, writer.records_written(), writer.bytes_written(), seconds,
         before, after, baseline.maxrss_kb);
  return 0;
}

int cmd_read(int argc, char** argv) {
  std::string path = argv[2];
  std::string stage = flag(argc, argv, "--stage", "parse");
  Usage before = usage_now();
  auto start = Clock::now();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("cannot open " + path + ": " + std::strerror(errno));
  auto opened = decant::open_archive_source(std::make_unique<decant::FdSource>(fd, path), path);
  if (!opened) die(opened.take_status().message());
  std::unique_ptr<decant::ByteSource> source = std::move(opened.value());
  unsigned char magic[4] = {};
  if (::pread(fd, magic, 4, 0) != 4) die("short file");
  bool zstd_frame = magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd;
  bool skippable = (magic[0] & 0xf0) == 0x50 && magic[1] == 0x2a && magic[2] == 0x4d && magic[3] == 0x18;
  std::string codec = zstd_frame || skippable ? "zstd" : "plain";

  long long records = 0;
  unsigned long long bytes = 0;
  if (stage == "drain") {
    // Decompression (or plain reads) only: the floor under parsing.
    std::unique_ptr<char[]> buffer(new char[1 << 20]);
    for (;;) {
      auto n = source->read(buffer.get(), 1 << 20);
      if (!n) die(n.take_status().message());
      if (*n == 0) break;
      bytes += *n;
      for (size_t i = 0; i < *n; i += 4096) records += buffer[i] == '\n';  // touch the bytes
    }
    records = 0;
  } else {
    decant::ArchiveReader reader(*source, path);
    check(reader.open());
    for (;;) {
      auto event = reader.next();
      if (!event) die(event.take_status().message());
      if (*event == decant::ArchiveEvent::kRecord) ++records;
      if (*event == decant::ArchiveEvent::kEnd) break;
    }
    if (reader.digests_mismatched()) die("digest mismatch");
    bytes = reader.bytes_read();
  }
  source.reset();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  Usage after = usage_now();
  ::close(fd);
  report(stage == "drain" ? "drain" : "read", path, codec, codec == "zstd" ? 2 : 1, records, bytes, seconds, before,
         after, 0);
  return 0;
}

int cmd_gen_tsv(int argc, char** argv) {
  std::string path = argv[2];
  long long rows = std::atoll(flag(argc, argv, "--rows", "1000000"));
  FILE* out = std::fopen(path.c_str(), "w");
  if (!out) die("cannot create " + path);
  bench::Generator gen(42);
  std::string id, value, line;
  unsigned long long value_bytes = 0;
  for (long long i = 0; i < rows; ++i) {
    bench::Generator::id(static_cast<uint64_t>(i), id);
    gen.value(value);
    value_bytes += value.size();
    line.clear();
    line += id;
    line += '\t';
    line += bench::Generator::workspace(static_cast<uint64_t>(i));
    line += '\t';
    line += value;
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), out);
  }
  if (std::fclose(out) != 0) die("writing " + path);
  std::printf("{\"op\":\"gen-tsv\",\"file\":\"%s\",\"rows\":%lld,\"file_bytes\":%lld,\"avg_value_bytes\":%.1f}\n",
              path.c_str(), rows, file_size(path), rows ? double(value_bytes) / rows : 0.0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: codec_bench write FILE --mb N [--zstd LEVEL] [--threads T] [--frame-mb F]\n"
                 "       codec_bench read FILE [--stage drain|parse]\n"
                 "       codec_bench gen-tsv FILE --rows N\n");
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "write") return cmd_write(argc, argv);
  if (cmd == "read") return cmd_read(argc, argv);
  if (cmd == "gen-tsv") return cmd_gen_tsv(argc, argv);
  die("unknown command " + cmd);
}
