#include <spindle/io/detail/pipe_io.hpp>

#include <spindle/fibers/errors.hpp>
#include <spindle/fibers/fd_wait.hpp>
#include <spindle/io/errors.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <string>

namespace spindle::detail {
namespace {

ssize_t writev_without_sigpipe(int fd, const iovec* pieces, int count) noexcept {
  struct sigaction action {};
  ::sigaction(SIGPIPE, nullptr, &action);
  if (action.sa_handler == SIG_IGN) return ::writev(fd, pieces, count);
  sigset_t sigpipe, previous;
  sigemptyset(&sigpipe);
  sigaddset(&sigpipe, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &sigpipe, &previous);
  ssize_t wrote = ::writev(fd, pieces, count);
  int error = errno;
  if (sigismember(&previous, SIGPIPE) != 1) {
    if (wrote < 0 && error == EPIPE) {
      const timespec no_wait{};
      ::sigtimedwait(&sigpipe, nullptr, &no_wait);
    }
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }
  errno = error;
  return wrote;
}

}  // namespace

std::size_t read_pipe(int fd, void* data, std::size_t size, std::optional<TimePoint> deadline, std::string_view subject) {
  for (;;) {
    ssize_t got = ::read(fd, data, size);
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno == EINTR) continue;
    if (errno != EAGAIN) throw_io_error(errno, "read from", subject);
    if (!wait_readable(fd, deadline)) throw TimeoutError("read from " + std::string(subject) + ": timed out");
  }
}

std::size_t write_pipe(int fd, const iovec* pieces, int count, std::optional<TimePoint> deadline,
                       std::string_view subject) {
  for (;;) {
    ssize_t wrote = writev_without_sigpipe(fd, pieces, count);
    if (wrote >= 0) return static_cast<std::size_t>(wrote);
    if (errno == EINTR) continue;
    if (errno != EAGAIN) throw_io_error(errno, "write to", subject);
    if (!wait_writable(fd, deadline)) throw TimeoutError("write to " + std::string(subject) + ": timed out");
  }
}

}  // namespace spindle::detail
