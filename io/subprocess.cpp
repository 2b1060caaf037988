#include <spindle/io/subprocess.hpp>

#include <spindle/fibers/errors.hpp>
#include <spindle/fibers/fd_wait.hpp>
#include <spindle/fibers/spawn.hpp>
#include <spindle/fibers/this_fiber.hpp>
#include <spindle/io/detail/subprocess_wait.hpp>
#include <spindle/io/errors.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

extern char** environ;

namespace spindle {
namespace detail {
namespace {
std::atomic<bool> pidfd_disabled{false};
}  // namespace

void set_pidfd_disabled(bool disabled) noexcept { pidfd_disabled.store(disabled, std::memory_order_relaxed); }
}  // namespace detail

namespace {

using namespace std::chrono_literals;

// pidfd_open(pid, 0), or -1 with errno ENOSYS while the test seam (io/detail/subprocess_wait.hpp)
// plays an older kernel.
int open_pidfd(pid_t pid) {
  if (detail::pidfd_disabled.load(std::memory_order_relaxed)) {
    errno = ENOSYS;
    return -1;
  }
  // Through syscall(): glibc 2.36's <sys/pidfd.h> lacks extern "C" for C++.
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// "SIGTERM", or "signal 40" for one without an abbreviation (real-time signals).
std::string signal_name(int signal) {
  const char* name = ::sigabbrev_np(signal);
  return name != nullptr ? "SIG" + std::string(name) : "signal " + std::to_string(signal);
}

// posix_spawn's two attribute objects, destroyed on every path.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  SpawnSetup() {
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

const char* stream_name(int child_fd) {
  static constexpr const char* names[] = {"stdin", "stdout", "stderr"};
  return names[child_fd];
}

// Connects the child's descriptor `child_fd` as `mode` asks; returns the parent's end of a pipe.
std::optional<SubprocessPipe> connect_stream(SpawnSetup& setup, int child_fd, Stdio mode, const std::string& program,
                                             std::vector<FileDescriptor>& child_ends) {
  switch (mode) {
    case Stdio::inherit: return std::nullopt;
    case Stdio::devnull:
      ::posix_spawn_file_actions_addopen(&setup.actions, child_fd, "/dev/null", child_fd == 0 ? O_RDONLY : O_WRONLY, 0);
      return std::nullopt;
    case Stdio::to_stdout:
      if (child_fd != STDERR_FILENO) throw std::invalid_argument("Stdio::to_stdout is only for stderr");
      ::posix_spawn_file_actions_adddup2(&setup.actions, STDOUT_FILENO, STDERR_FILENO);
      return std::nullopt;
    case Stdio::pipe: {
      int ends[2];
      std::string name = std::string(stream_name(child_fd)) + " of " + program;
      if (::pipe2(ends, O_CLOEXEC) != 0) throw_io_error(errno, "pipe for", name);
      FileDescriptor read_end(ends[0]), write_end(ends[1]);
      bool child_reads = child_fd == STDIN_FILENO;
      FileDescriptor& child_end = child_reads ? read_end : write_end;
      ::posix_spawn_file_actions_adddup2(&setup.actions, child_end.get(), child_fd);
      child_ends.push_back(std::move(child_end));
      return SubprocessPipe(std::move(child_reads ? write_end : read_end), std::move(name));
    }
  }
  throw std::invalid_argument("unknown Stdio mode");
}

std::vector<char*> null_terminated(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

// The remaining time to `deadline`, for calls that take a timeout.
std::optional<Duration> time_left(std::optional<TimePoint> deadline) {
  if (!deadline) return std::nullopt;
  return std::max(Duration::zero(), *deadline - now());
}

// Helper fibers that borrow the caller's stack: whatever way the caller leaves, they are cancelled
// and have ended first.
class BorrowingFibers {
 public:
  BorrowingFibers() = default;
  BorrowingFibers(const BorrowingFibers&) = delete;
  BorrowingFibers& operator=(const BorrowingFibers&) = delete;
  ~BorrowingFibers() {
    for (JoinHandle<void>& fiber : fibers_) fiber.cancel();
    for (JoinHandle<void>& fiber : fibers_) {
      // They borrow this stack, so wait them out even if the caller is cancelled again meanwhile.
      for (;;) {
        try {
          fiber.exception();
          break;
        } catch (...) {
        }
      }
    }
  }
  template <class Fn>
  void spawn(Fn&& fn) {
    fibers_.push_back(spindle::spawn(std::forward<Fn>(fn)));
  }
  // Joins each (rethrowing the first failure; the rest are then cancelled by the destructor).
  void join_all() {
    while (!fibers_.empty()) {
      fibers_.front().join();
      fibers_.erase(fibers_.begin());
    }
  }

 private:
  std::vector<JoinHandle<void>> fibers_;
};

}  // namespace

Subprocess Subprocess::spawn(std::vector<std::string> argv, SubprocessOptions options) {
  if (argv.empty()) throw std::invalid_argument("Subprocess::spawn: argv is empty");
  Subprocess child;
  child.argv_ = argv;
  const std::string program = "'" + argv[0] + "'";

  SpawnSetup setup;
  std::vector<FileDescriptor> child_ends;  // closed in the parent once the child has them
  child.stdin_ = connect_stream(setup, STDIN_FILENO, options.stdin_mode, program, child_ends);
  child.stdout_ = connect_stream(setup, STDOUT_FILENO, options.stdout_mode, program, child_ends);
  child.stderr_ = connect_stream(setup, STDERR_FILENO, options.stderr_mode, program, child_ends);
  ::posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1);
  if (!options.cwd.empty()) ::posix_spawn_file_actions_addchdir_np(&setup.actions, options.cwd.c_str());

  sigset_t no_signals, default_signals;
  sigemptyset(&no_signals);
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGPIPE);
  sigaddset(&default_signals, SIGXFSZ);
  ::posix_spawnattr_setsigmask(&setup.attributes, &no_signals);
  ::posix_spawnattr_setsigdefault(&setup.attributes, &default_signals);
  ::posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv_pointers = null_terminated(argv);
  std::vector<char*> env_pointers;
  if (options.env) env_pointers = null_terminated(*options.env);
  char** envp = options.env ? env_pointers.data() : environ;

  pid_t pid = -1;
  int error = ::posix_spawnp(&pid, argv[0].c_str(), &setup.actions, &setup.attributes, argv_pointers.data(), envp);
  if (error != 0) {
    throw_io_error(error, "spawn", options.cwd.empty() ? program : program + " in directory '" + options.cwd + "'");
  }
  child.pid_ = pid;  // from here on the destructor kills and reaps it if anything below throws
  int pidfd = open_pidfd(pid);
  if (pidfd >= 0) {
    child.pidfd_.reset(pidfd);
    make_nonblocking(pidfd, "pidfd");
  } else if (errno != ENOSYS) {
    throw_io_error(errno, "pidfd_open for", program);
  }
  return child;
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : argv_(std::move(other.argv_)),
      pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::move(other.pidfd_)),
      returncode_(other.returncode_),
      stdin_(std::move(other.stdin_)),
      stdout_(std::move(other.stdout_)),
      stderr_(std::move(other.stderr_)) {
  other.stdin_.reset();
  other.stdout_.reset();
  other.stderr_.reset();
}

Subprocess::~Subprocess() {
  if (pid_ <= 0 || returncode_) return;
  // Not a cancellation point and no fiber needed: SIGKILL cannot be caught, so the blocking
  // waitpid returns as soon as the kernel has torn the process down.
  try {
    send_signal(SIGKILL);
  } catch (const IoError&) {
    ::kill(pid_, SIGKILL);
  }
  int status;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

bool Subprocess::try_reap() {
  int status = 0;
  for (;;) {
    pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
    if (reaped == 0) return false;
    if (reaped == pid_) break;
    if (errno != EINTR) throw_io_error(errno, "wait for", "'" + argv_[0] + "'");
  }
  returncode_ = WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
  pidfd_.close();
  return true;
}

int Subprocess::wait(std::optional<Duration> timeout) {
  if (returncode_) return *returncode_;
  std::optional<TimePoint> deadline;
  if (timeout) deadline = now() + *timeout;
  auto timed_out = [&] { return TimeoutError("wait for '" + argv_[0] + "' (pid " + std::to_string(pid_) + ") timed out"); };
  Duration backoff = 1ms;  // the polling fallback, without a pidfd
  for (;;) {
    if (try_reap()) return *returncode_;
    if (pidfd_) {
      if (!wait_readable(pidfd_.get(), deadline)) throw timed_out();
      continue;
    }
    if (deadline && now() >= *deadline) throw timed_out();
    TimePoint next = now() + backoff;
    this_fiber::sleep_until(deadline ? std::min(next, *deadline) : next);
    backoff = std::min<Duration>(backoff * 2, 50ms);
  }
}

SubprocessOutput Subprocess::communicate(std::string_view input, std::optional<Duration> timeout) {
  if (!input.empty() && !stdin_) {
    throw std::logic_error("communicate: input given but stdin of '" + argv_[0] + "' is not a pipe");
  }
  std::optional<TimePoint> deadline;
  if (timeout) deadline = now() + *timeout;
  SubprocessOutput output;
  {
    BorrowingFibers helpers;
    if (stdin_) {
      helpers.spawn([&] {
        try {
          stdin_->write_all(input, time_left(deadline));
        } catch (const IoError& error) {
          if (error.code() != std::errc::broken_pipe) throw;  // the child stopped reading: fine
        }
        stdin_->close();
      });
    }
    if (stderr_) helpers.spawn([&] { output.err = stderr_->read_to_end(time_left(deadline)); });
    if (stdout_) output.out = stdout_->read_to_end(time_left(deadline));
    helpers.join_all();
  }
  wait(time_left(deadline));
  return output;
}

void Subprocess::send_signal(int signal) {
  if (pid_ <= 0 || returncode_) return;
  int result = pidfd_ ? static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd_.get(), signal, nullptr, 0)) : ::kill(pid_, signal);
  // ESRCH: it has exited and waits to be reaped, which is not an error.
  if (result != 0 && errno != ESRCH) {
    throw_io_error(errno, "send " + signal_name(signal) + " to", "'" + argv_[0] + "'");
  }
}

std::string describe_returncode(int returncode) {
  if (returncode >= 0) return "exit status " + std::to_string(returncode);
  return "killed by " + signal_name(-returncode);
}

}  // namespace spindle
