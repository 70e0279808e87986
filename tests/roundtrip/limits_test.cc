// The decant binary on hostile archives fed through a pipe: a 1 GB single line (plain and
// zstd), a huge deeply nested line, invalid UTF-8 and a bad tag. Each is refused with one clear
// error naming the line and byte offset, and the peak RSS of the decant process, measured from
// outside with wait4(), stays far below what buffering the input would take.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"

namespace decant::test {
namespace {

// The sanitizer build's decant keeps freed memory in quarantine and shadow memory beside it.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kRssScale = 3;
#else
constexpr long kRssScale = 1;
#endif

const std::string kHeader = R"({"t":"header","format":"decant-archive","version":"1.0"})" "\n";
const std::string kStream =
    R"({"t":"stream","name":"a","kind":"table","schema":{"columns":[{"name":"x","type":"text"}],"key":[],"indexes":[]}})" "\n";

struct Fed {
  int exit_code = -1;
  std::string err;
  long peak_rss_kb = 0;
  uint64_t bytes_accepted = 0;  // how much of the input decant read before it stopped
};

// Writes the input to decant's stdin with `write`, which returns false once the pipe is closed.
using Feeder = std::function<void(const std::function<bool(std::string_view)>& write)>;

Fed run_fed(const std::vector<std::string>& args, const Feeder& feed) {
  signal(SIGPIPE, SIG_IGN);
  TempDir dir;
  std::string err_path = dir.path("stderr");
  int in[2];
  EXPECT_EQ(pipe(in), 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    close(in[0]);
    close(in[1]);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(err, STDERR_FILENO);
    int out = open("/dev/null", O_WRONLY);
    dup2(out, STDOUT_FILENO);
    std::vector<char*> argv = {const_cast<char*>(DECANT_BINARY)};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(DECANT_BINARY, argv.data());
    _exit(127);
  }
  close(in[0]);
  Fed fed;
  feed([&](std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = write(in[1], bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      fed.bytes_accepted += static_cast<uint64_t>(n);
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  });
  close(in[1]);
  int status = 0;
  struct rusage usage {};
  EXPECT_EQ(wait4(pid, &status, 0, &usage), pid);
  fed.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  fed.peak_rss_kb = usage.ru_maxrss;
  std::ifstream f(err_path);
  std::stringstream ss;
  ss << f.rdbuf();
  fed.err = ss.str();
  std::printf("decant %s: exit %d, peak RSS %ld kB, read %llu bytes\n", args[0].c_str(), fed.exit_code,
              fed.peak_rss_kb, static_cast<unsigned long long>(fed.bytes_accepted));
  return fed;
}

constexpr uint64_t kGigabyte = uint64_t{1} << 30;

// Header, stream line, then one record line whose string value runs for 1 GiB of 'x'.
void one_gigabyte_line(const std::function<bool(std::string_view)>& write) {
  if (!write(kHeader + kStream + R"({"t":"rec","s":"a","r":{"x":")")) return;
  std::string chunk(1 << 20, 'x');
  for (uint64_t sent = 0; sent < kGigabyte; sent += chunk.size())
    if (!write(chunk)) return;
  write("\"}}\n");
}

const std::string kLongLineError =
    "<stdin>:3: byte " + std::to_string(kHeader.size() + kStream.size()) + ": line is longer than the limit of 67108864 bytes";

TEST(Limits, OneGigabyteLineIsRefusedWithoutBufferingIt) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"verify", "-"}, std::vector<std::string>{"inspect", "-"}}) {
    Fed fed = run_fed(args, one_gigabyte_line);
    EXPECT_EQ(fed.exit_code, 5) << fed.err;
    EXPECT_NE(fed.err.find(kLongLineError), std::string::npos) << fed.err;
    EXPECT_LT(fed.bytes_accepted, kGigabyte / 4) << "decant read on past the limit";
    EXPECT_LT(fed.peak_rss_kb, 200 * 1024 * kRssScale) << args[0];
  }
}

TEST(Limits, OneGigabyteLineIsRefusedByImportWithNothingWritten) {
  TempDir dir;
  std::string target = dir.path("t.db");
  Fed fed = run_fed({"import", "sqlite:" + target, "-i", "-"}, one_gigabyte_line);
  EXPECT_EQ(fed.exit_code, 5) << fed.err;
  EXPECT_NE(fed.err.find(kLongLineError), std::string::npos) << fed.err;
  EXPECT_LT(fed.peak_rss_kb, 400 * 1024 * kRssScale);  // SQLite's page cache comes on top
  EXPECT_FALSE(std::filesystem::exists(target));
}

TEST(Limits, OneGigabyteLineInsideZstdIsRefusedWithoutBufferingIt) {
  // 1 GiB of 'x' compresses to a few hundred kB: a decompression bomb for a careless reader.
  Fed fed = run_fed({"verify", "-"}, [](const std::function<bool(std::string_view)>& write) {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
    std::string out(ZSTD_CStreamOutSize(), '\0');
    auto push = [&](std::string_view bytes, ZSTD_EndDirective mode) {
      ZSTD_inBuffer input{bytes.data(), bytes.size(), 0};
      for (;;) {
        ZSTD_outBuffer output{out.data(), out.size(), 0};
        size_t left = ZSTD_compressStream2(cctx, &output, &input, mode);
        if (ZSTD_isError(left) || !write(std::string_view(out.data(), output.pos))) return false;
        if (mode == ZSTD_e_continue ? input.pos == input.size : left == 0) return true;
      }
    };
    one_gigabyte_line([&](std::string_view bytes) { return push(bytes, ZSTD_e_continue); });
    push("", ZSTD_e_end);
    ZSTD_freeCCtx(cctx);
  });
  EXPECT_EQ(fed.exit_code, 5) << fed.err;
  EXPECT_NE(fed.err.find(kLongLineError), std::string::npos) << fed.err;
  EXPECT_LT(fed.peak_rss_kb, 200 * 1024 * kRssScale);
}

TEST(Limits, HugeDeeplyNestedLinesAreRefusedWithBoundedMemory) {
  // 60 MB of '[' in a stream line's options (nlohmann would build a tree of every level) and
  // in a record (simdjson's decoder): both stop at level 64.
  const size_t levels = 30'000'000;
  std::string nested = std::string(levels, '[') + std::string(levels, ']');
  std::string stream = kStream;
  stream.insert(stream.size() - 2, ",\"options\":{\"x\":" + nested + "}");
  Fed in_stream = run_fed({"verify", "-"}, [&](const auto& write) { write(kHeader + stream); });
  EXPECT_EQ(in_stream.exit_code, 5) << in_stream.err;
  EXPECT_NE(in_stream.err.find("<stdin>:2: byte " + std::to_string(kHeader.size()) +
                               ": corrupt line: nesting deeper than 64 levels"),
            std::string::npos)
      << in_stream.err;
  EXPECT_LT(in_stream.peak_rss_kb, 512 * 1024 * kRssScale);

  std::string record = R"({"t":"rec","s":"a","r":{"x":)" + nested + "}}\n";
  Fed in_record = run_fed({"verify", "-"}, [&](const auto& write) { write(kHeader + kStream + record); });
  EXPECT_EQ(in_record.exit_code, 5) << in_record.err;
  EXPECT_NE(in_record.err.find("<stdin>:3: byte " + std::to_string(kHeader.size() + kStream.size()) +
                               ": corrupt record: field \"x\": nesting deeper than 64 levels"),
            std::string::npos)
      << in_record.err;
  EXPECT_LT(in_record.peak_rss_kb, 512 * 1024 * kRssScale);
}

TEST(Limits, InvalidUtf8AndBadTagsNameTheLineAndByte) {
  const std::string prefix = kHeader + kStream;
  const std::string where = "<stdin>:3: byte " + std::to_string(prefix.size()) + ": ";
  struct {
    std::string record;
    std::string message;
  } cases[] = {
      {"{\"t\":\"rec\",\"s\":\"a\",\"r\":{\"x\":\"caf\xc3\x28\"}}\n", "corrupt line: The input is not valid UTF-8"},
      {R"({"t":"rec","s":"a","r":{"x":{"$symbol":"1"}}})" "\n", "corrupt record: field \"x\": unknown tag \"$symbol\""},
      {R"({"t":"rec","s":"a","r":{"x":{"$localDate":"2023-02-29"}}})" "\n",
       "corrupt record: field \"x\": malformed $localDate payload \"2023-02-29\""},
  };
  for (const auto& c : cases) {
    Fed fed = run_fed({"verify", "-"}, [&](const auto& write) { write(prefix + c.record); });
    EXPECT_EQ(fed.exit_code, 5) << fed.err;
    EXPECT_NE(fed.err.find(where + c.message), std::string::npos) << fed.err;
  }
}

}  // namespace
}  // namespace decant::test
