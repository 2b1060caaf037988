// Subprocess: start a program with pipes to its stdin, stdout and stderr, and wait for it on a fiber.
//
// Why posix_spawn and pidfd. glibc's posix_spawn is clone(CLONE_VM|CLONE_VFORK)+exec: no copy of
// the parent's page tables however large the parent is, no fork-in-a-multithreaded-process hazards,
// and exec failures (a missing program, a bad directory) come back as the call's error code instead
// of a child that exits 127. The child gets an empty signal mask (a SignalSet's blocks must not leak
// into it), SIGPIPE and SIGXFSZ at their defaults, and only descriptors 0-2 (close_fds, as Python).
// Waiting uses a pidfd (Linux >= 5.3): a descriptor that becomes readable when the child exits, so
// wait() parks in the reactor like any socket read, and kill() signals exactly this process even if
// its pid has since been reused. Without pidfd_open (older kernels, ENOSYS) wait() falls back to
// polling waitpid on a timer, backing off from 1 ms to 50 ms, and signals go through kill(2) (tests
// force this path with io/detail/subprocess_wait.hpp).
//
// No zombies: the child is reaped by wait(), communicate(), or the destructor, which kills a child
// still running (SIGKILL) and reaps it. Nothing else here reaps: a program that calls waitpid(-1)
// or ignores SIGCHLD takes that job over and our wait() then reports ECHILD.
#pragma once

#include <spindle/fibers/clock.hpp>
#include <spindle/io/file_descriptor.hpp>
#include <spindle/io/subprocess_pipe.hpp>

#include <sys/types.h>

#include <optional>
#include <signal.h>
#include <string>
#include <string_view>
#include <vector>

namespace spindle {

// What a child's standard stream is connected to.
enum class Stdio {
  inherit,    // the parent's descriptor
  pipe,       // a SubprocessPipe in the parent
  devnull,    // /dev/null
  to_stdout,  // stderr only: wherever stdout goes (2>&1)
};

struct SubprocessOptions {
  Stdio stdin_mode = Stdio::inherit;
  Stdio stdout_mode = Stdio::inherit;
  Stdio stderr_mode = Stdio::inherit;
  // "NAME=value" entries replacing the environment; nullopt inherits the parent's. The program is
  // looked up in the parent's PATH either way (posix_spawnp).
  std::optional<std::vector<std::string>> env{};
  // The child's working directory; empty keeps the parent's.
  std::string cwd{};
};

// The output communicate() collected (empty for a stream that is not a pipe).
struct SubprocessOutput {
  std::string out;
  std::string err;
};

class Subprocess {
 public:
  // Starts argv[0] (looked up in PATH unless it contains '/') with arguments argv[1...]. Never
  // parks (posix_spawn returns once the child has exec'd or failed). Call on a scheduler thread if
  // pipes are used. Throws std::invalid_argument for an empty argv, IoError naming the program
  // ("spawn 'no-such-program': No such file or directory"; with the directory when cwd is set) if
  // it cannot be started, IoError for failing pipes.
  static Subprocess spawn(std::vector<std::string> argv, SubprocessOptions options = {});

  // Kills (SIGKILL) and reaps a child still running, blocking the thread only for the moment the
  // kernel takes to end it; closes the pipes. Destroy it on the thread that spawned it.
  ~Subprocess();
  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&&) = delete;
  Subprocess(const Subprocess&) = delete;

  // Parks until the child exits, reaps it and returns returncode(); returns at once if it already
  // has. Cancellation point; being cancelled or timing out leaves the child running. Throws
  // TimeoutError when `timeout` passes first, FiberError outside a fiber, IoError if waitpid fails.
  int wait(std::optional<Duration> timeout = std::nullopt);

  // Writes `input` to stdin and closes it, reads stdout and stderr to end of file, all at once (so a
  // child blocked writing one pipe while we write another cannot deadlock), then wait()s. Streams
  // that are not pipes are skipped; non-empty input without a stdin pipe is std::logic_error. A
  // child that exits without reading all its input is not an error. Parks; cancellation point.
  // Throws TimeoutError when `timeout` (for the whole exchange) passes first: the child is left
  // running and what was read is lost. Uses helper fibers on the calling thread's scheduler, which
  // have ended (cancelled and joined) when it returns or throws.
  SubprocessOutput communicate(std::string_view input = {}, std::optional<Duration> timeout = std::nullopt);

  // Sends `signal` to the child (through its pidfd); does nothing once it has been reaped. Never
  // blocks. Throws IoError if the kernel refuses.
  void send_signal(int signal);
  void kill() { send_signal(SIGKILL); }
  void terminate() { send_signal(SIGTERM); }

  // The exit status once reaped: 0-255 for a normal exit, -N when killed by signal N (Python's
  // convention); nullopt while running or not yet waited for. Never blocks.
  std::optional<int> returncode() const noexcept { return returncode_; }
  pid_t pid() const noexcept { return pid_; }
  const std::vector<std::string>& args() const noexcept { return argv_; }

  // The parent's ends of the pipes, nullptr for streams that are not pipes.
  SubprocessPipe* stdin_pipe() noexcept { return stdin_ ? &*stdin_ : nullptr; }
  SubprocessPipe* stdout_pipe() noexcept { return stdout_ ? &*stdout_ : nullptr; }
  SubprocessPipe* stderr_pipe() noexcept { return stderr_ ? &*stderr_ : nullptr; }

 private:
  Subprocess() = default;
  // waitpid(WNOHANG): records the status and returns true once the child has been reaped.
  bool try_reap();

  std::vector<std::string> argv_;
  pid_t pid_ = -1;
  FileDescriptor pidfd_;
  std::optional<int> returncode_;
  std::optional<SubprocessPipe> stdin_;
  std::optional<SubprocessPipe> stdout_;
  std::optional<SubprocessPipe> stderr_;
};

// "exit status 3", "killed by SIGKILL", for messages about a returncode().
std::string describe_returncode(int returncode);

}  // namespace spindle
