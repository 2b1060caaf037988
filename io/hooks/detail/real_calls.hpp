// The real libc functions behind the hooks, resolved once with dlsym(RTLD_NEXT).
//
// They are filled by a constructor when the library loads; a hook that runs even earlier (another
// library's constructor calling read) resolves them itself, so every hook starts with one load and
// one predictable branch before it can forward a call.
#pragma once

#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

namespace spindle::detail::hooks {

struct RealCalls {
  ssize_t (*read)(int, void*, size_t);
  ssize_t (*readv)(int, const iovec*, int);
  ssize_t (*write)(int, const void*, size_t);
  ssize_t (*writev)(int, const iovec*, int);
  ssize_t (*recv)(int, void*, size_t, int);
  ssize_t (*recvfrom)(int, void*, size_t, int, sockaddr*, socklen_t*);
  ssize_t (*recvmsg)(int, msghdr*, int);
  ssize_t (*send)(int, const void*, size_t, int);
  ssize_t (*sendto)(int, const void*, size_t, int, const sockaddr*, socklen_t);
  ssize_t (*sendmsg)(int, const msghdr*, int);
  int (*connect)(int, const sockaddr*, socklen_t);
  int (*accept)(int, sockaddr*, socklen_t*);
  int (*accept4)(int, sockaddr*, socklen_t*, int);
  int (*poll)(pollfd*, nfds_t, int);
  int (*ppoll)(pollfd*, nfds_t, const timespec*, const sigset_t*);
  int (*select)(int, fd_set*, fd_set*, fd_set*, timeval*);
  unsigned int (*sleep)(unsigned int);
  int (*usleep)(useconds_t);
  int (*nanosleep)(const timespec*, timespec*);
  int (*clock_nanosleep)(clockid_t, int, const timespec*, timespec*);
  int (*getaddrinfo)(const char*, const char*, const addrinfo*, addrinfo**);
  hostent* (*gethostbyname)(const char*);
  int (*gethostbyname_r)(const char*, hostent*, char*, size_t, hostent**, int*);
  int (*socket)(int, int, int);
  int (*socketpair)(int, int, int, int*);
  int (*close)(int);
  int (*dup)(int);
  int (*dup2)(int, int);
  int (*dup3)(int, int, int);
  int (*fcntl)(int, int, ...);
};

// Resolves every entry (idempotent, thread-safe enough: each store writes the same value). Aborts
// with a message if libc lacks one of them, since no hook could then forward its call.
void resolve_real_calls() noexcept;

[[gnu::visibility("hidden")]] inline RealCalls real_calls{};

// The real functions, resolving them first if the library's constructor has not run yet.
inline const RealCalls& real() noexcept {
  if (real_calls.close == nullptr) [[unlikely]] resolve_real_calls();
  return real_calls;
}

}  // namespace spindle::detail::hooks
