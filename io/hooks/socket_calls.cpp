// Interposers for the socket calls: recv/send families, connect, accept. Outside a fiber, with
// patching off, or with MSG_DONTWAIT given, each forwards to libc unchanged.
#include <spindle/io/hooks/detail/blocking_call.hpp>
#include <spindle/io/hooks/detail/gate.hpp>
#include <spindle/io/hooks/detail/real_calls.hpp>
#include <spindle/io/hooks/detail/socket_transfer.hpp>

#include <spindle/fibers/fd_wait.hpp>

#include <fcntl.h>
#include <sys/socket.h>

using namespace spindle::detail::hooks;

namespace {

bool cooperates(int flags) noexcept { return (flags & MSG_DONTWAIT) == 0 && cooperative(); }

// Out of line, so the pass-through path of each hook needs no stack frame.
[[gnu::noinline]] ssize_t receive(int fd, void* buffer, size_t length, int flags, sockaddr* from, socklen_t* from_length) noexcept {
  iovec one{buffer, length};
  msghdr message = single_buffer_message(one, from, from_length != nullptr ? *from_length : 0);
  std::optional<ssize_t> got = receive_message(fd, &message, flags);
  if (got && *got >= 0 && from_length != nullptr) *from_length = message.msg_namelen;
  return got.value_or(-1);
}

[[gnu::noinline]] ssize_t transmit(int fd, const void* buffer, size_t length, int flags, const sockaddr* to, socklen_t to_length) noexcept {
  iovec one{const_cast<void*>(buffer), length};
  msghdr message = single_buffer_message(one, const_cast<sockaddr*>(to), to_length);
  return transmit_message(fd, &message, flags).value_or(-1);
}

// A blocking connect: started non-blocking (the one moment the hooks touch a descriptor's flags),
// then completed by parking until the socket is writable, within SO_SNDTIMEO.
[[gnu::noinline]] int connect_cooperatively(int fd, const sockaddr* address, socklen_t length) noexcept {
  int flags = real().fcntl(fd, F_GETFL);
  if (flags < 0 || (flags & O_NONBLOCK) != 0) return real().connect(fd, address, length);
  for (;;) {
    real().fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int result = real().connect(fd, address, length);
    int error = errno;
    real().fcntl(fd, F_SETFL, flags);
    if (result == 0) return 0;
    if (error == EAGAIN) {  // a Unix socket whose listener's backlog is full: try again shortly
      if (int failed = sleep_cooperatively(std::chrono::milliseconds(1)); failed != 0) {
        errno = failed;
        return -1;
      }
      continue;
    }
    if (error != EINPROGRESS) {
      errno = error;
      return -1;
    }
    break;
  }
  BlockingCall call(fd, Direction::write);
  if (!call.wait_until_ready(POLLOUT)) {
    if (errno == EAGAIN) errno = EINPROGRESS;  // what a blocking connect reports when SO_SNDTIMEO expires
    return -1;
  }
  int outcome = 0;
  socklen_t outcome_length = sizeof outcome;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &outcome, &outcome_length) != 0) return -1;
  if (outcome != 0) {
    errno = outcome;
    return -1;
  }
  return 0;
}

[[gnu::noinline]] int accept_cooperatively(int fd, sockaddr* address, socklen_t* length, int flags) noexcept {
  BlockingCall call(fd, Direction::read);
  if (!call.wait_until_ready(POLLIN)) return -1;
  int accepted = real().accept4(fd, address, length, flags);
  if (accepted >= 0) spindle::forget_fd(accepted);  // a registration left by a number closed behind our back
  return accepted;
}

}  // namespace

extern "C" {

ssize_t recv(int fd, void* buffer, size_t length, int flags) {
  if (!cooperates(flags)) return real().recv(fd, buffer, length, flags);
  return receive(fd, buffer, length, flags, nullptr, nullptr);
}

ssize_t recvfrom(int fd, void* buffer, size_t length, int flags, sockaddr* from, socklen_t* from_length) {
  if (!cooperates(flags)) return real().recvfrom(fd, buffer, length, flags, from, from_length);
  return receive(fd, buffer, length, flags, from, from_length);
}

ssize_t recvmsg(int fd, msghdr* message, int flags) {
  if (!cooperates(flags)) return real().recvmsg(fd, message, flags);
  return receive_message(fd, message, flags).value_or(-1);
}

ssize_t send(int fd, const void* buffer, size_t length, int flags) {
  if (!cooperates(flags)) return real().send(fd, buffer, length, flags);
  return transmit(fd, buffer, length, flags, nullptr, 0);
}

ssize_t sendto(int fd, const void* buffer, size_t length, int flags, const sockaddr* to, socklen_t to_length) {
  if (!cooperates(flags)) return real().sendto(fd, buffer, length, flags, to, to_length);
  return transmit(fd, buffer, length, flags, to, to_length);
}

ssize_t sendmsg(int fd, const msghdr* message, int flags) {
  if (!cooperates(flags)) return real().sendmsg(fd, message, flags);
  return transmit_message(fd, message, flags).value_or(-1);
}

int connect(int fd, const sockaddr* address, socklen_t length) {
  if (!cooperative()) return real().connect(fd, address, length);
  return connect_cooperatively(fd, address, length);
}

int accept(int fd, sockaddr* address, socklen_t* length) {
  if (!cooperative()) return real().accept(fd, address, length);
  return accept_cooperatively(fd, address, length, 0);
}

int accept4(int fd, sockaddr* address, socklen_t* length, int flags) {
  if (!cooperative()) return real().accept4(fd, address, length, flags);
  return accept_cooperatively(fd, address, length, flags);
}

}  // extern "C"
