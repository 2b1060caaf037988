#include <spindle/io/detail/no_sigpipe.hpp>

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

namespace spindle::detail {

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

}  // namespace spindle::detail
