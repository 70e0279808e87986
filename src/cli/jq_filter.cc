#include "cli/jq_filter.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "format/pipeline.h"

namespace decant::cli {

namespace {

// Runs jq on no input with the filter defined as a function it never calls: jq compiles it and
// exits 3 on a syntax error, without running it on anything.
Status check_filter(const std::string& filter) {
  std::string program = "def decant_filter: (" + filter + "\n); empty";
  pid_t pid = ::fork();
  if (pid < 0) return Status::internal(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    ::execlp("jq", "jq", "-n", program.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Status::internal(std::string("waiting for jq: ") + std::strerror(errno));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::ok();
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return Status::usage("--jq: cannot run jq (is it installed?)");
  return Status::usage("--jq: jq does not accept the filter (its message is above)");
}

}  // namespace

Result<std::unique_ptr<JqSource>> JqSource::start(std::unique_ptr<ByteSource> input, const std::string& filter) {
  DECANT_TRY(check_filter(filter));
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return Status::internal(std::string("pipe: ") + std::strerror(errno));
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return Status::internal(std::string("pipe: ") + std::strerror(errno));
  }
  pid_t pid = ::fork();
  if (pid < 0) return Status::internal(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(in[0], STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::signal(SIGPIPE, SIG_DFL);
    ::execlp("jq", "jq", "-c", filter.c_str(), static_cast<char*>(nullptr));
    const char message[] = "decant: error: cannot run jq (is it installed?)\n";
    [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  return std::unique_ptr<JqSource>(new JqSource(std::move(input), pid, in[1], out[0]));
}

JqSource::JqSource(std::unique_ptr<ByteSource> input, pid_t pid, int to_jq, int from_jq)
    : input_(std::move(input)), pid_(pid), to_jq_(to_jq), from_jq_(from_jq) {
  feeder_ = std::thread([this] {
    std::vector<char> buffer(1 << 20);
    for (;;) {
      Result<size_t> n = input_->read(buffer.data(), buffer.size());
      if (!n) {
        feed_status_ = n.take_status();
        break;
      }
      if (*n == 0) break;
      for (size_t done = 0; done < *n;) {
        ssize_t w = ::write(to_jq_, buffer.data() + done, *n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {  // jq stopped reading: its exit status says why
          ::close(to_jq_);
          return;
        }
        done += size_t(w);
      }
    }
    ::close(to_jq_);
  });
}

JqSource::~JqSource() {
  ::close(from_jq_);  // a jq still writing gets EPIPE and ends, which ends the feeder's writes
  if (!done_) {
    ::kill(pid_, SIGTERM);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (feeder_.joinable()) feeder_.join();
}

Status JqSource::finish_child() {
  done_ = true;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) return Status::internal(std::string("waiting for jq: ") + std::strerror(errno));
  }
  feeder_.join();
  feeder_ = std::thread();
  if (!feed_status_) return feed_status_;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::ok();
  return Status::source("--jq: jq failed (exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) +
                       "); its message is above");
}

Result<size_t> JqSource::read(char* buffer, size_t capacity) {
  if (done_) return size_t{0};
  for (;;) {
    ssize_t n = ::read(from_jq_, buffer, capacity);
    if (n > 0) return size_t(n);
    if (n == 0) {
      DECANT_TRY(finish_child());
      return size_t{0};
    }
    if (errno != EINTR) return Status::source(std::string("reading jq's output: ") + std::strerror(errno));
    if (interrupt_requested()) return interrupted_status();
  }
}

}  // namespace decant::cli
