// Socket reads and writes with blocking semantics that park instead of blocking.
//
// Every receive (read, readv, recv, recvfrom, recvmsg on a socket) is one recvmsg with MSG_DONTWAIT,
// and every send one sendmsg, retried after parking while the kernel says EAGAIN. A blocking send
// queues all its bytes before it returns, so a partial send continues with the rest; MSG_WAITALL on
// a stream socket likewise collects the full length. Both return what was transferred before an
// error or timeout, as the kernel does.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <optional>

namespace spindle::detail::hooks {

// As recvmsg(fd, message, flags) on a blocking socket, from a fiber. nullopt (errno ENOTSOCK) when
// fd is not a socket, so the caller can treat it as a pipe or file.
std::optional<ssize_t> receive_message(int fd, msghdr* message, int flags) noexcept;
// As sendmsg(fd, message, flags) on a blocking socket, from a fiber; nullopt when fd is not a socket.
std::optional<ssize_t> transmit_message(int fd, const msghdr* message, int flags) noexcept;

inline msghdr single_buffer_message(iovec& buffer, sockaddr* address = nullptr, socklen_t length = 0) noexcept {
  msghdr message{};
  message.msg_name = address;
  message.msg_namelen = length;
  message.msg_iov = &buffer;
  message.msg_iovlen = 1;
  return message;
}

}  // namespace spindle::detail::hooks
