// Interposers that keep the scheduler's reactor in step with descriptor numbers. A registration
// must be dropped before its descriptor closes (fd_wait.hpp), so close, dup2 and dup3 (which close
// their target) forget it first, on any thread and whether or not patching is on. A descriptor
// closed behind the hooks' back (fclose, libc internals) leaves a stale registration under its
// number; socket, socketpair, dup and accept clear it for the number they return.
#include <spindle/io/hooks/detail/real_calls.hpp>

#include <spindle/fibers/fd_wait.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

using namespace spindle::detail::hooks;

namespace {

// forget_fd may touch errno (epoll_ctl); the caller must see only the real call's.
void forget(int fd) noexcept {
  int saved = errno;
  spindle::forget_fd(fd);
  errno = saved;
}

int fresh(int fd) noexcept {
  if (fd >= 0) forget(fd);
  return fd;
}

}  // namespace

extern "C" {

int close(int fd) {
  forget(fd);
  return real().close(fd);
}

int dup(int fd) noexcept { return fresh(real().dup(fd)); }

int dup2(int fd, int target) noexcept {
  if (fd != target) forget(target);
  return real().dup2(fd, target);
}

int dup3(int fd, int target, int flags) noexcept {
  if (fd != target) forget(target);
  return real().dup3(fd, target, flags);
}

int socket(int domain, int type, int protocol) noexcept { return fresh(real().socket(domain, type, protocol)); }

int socketpair(int domain, int type, int protocol, int pair[2]) noexcept {
  int result = real().socketpair(domain, type, protocol, pair);
  if (result == 0) {
    fresh(pair[0]);
    fresh(pair[1]);
  }
  return result;
}

}  // extern "C"
