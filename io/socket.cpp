#include <spindle/io/socket.hpp>

#include <spindle/fibers/errors.hpp>
#include <spindle/fibers/this_fiber.hpp>
#include <spindle/io/detail/nonblocking_call.hpp>
#include <spindle/io/errors.hpp>

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <climits>

namespace spindle {

namespace detail {

void throw_socket_error(int error_number, const char* operation, int, const void* socket) {
  throw_io_error(error_number, operation, static_cast<const Socket*>(socket)->subject());
}

void throw_socket_timeout(const char* operation, const void* socket) {
  throw TimeoutError(std::string(operation) + " " + static_cast<const Socket*>(socket)->subject() + ": timed out");
}

}  // namespace detail

using detail::Direction;
using detail::nonblocking_call;

Socket Socket::open(int family, int type, int protocol) {
  int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) throw_io_error(errno, "open socket");
  return Socket(FileDescriptor(fd), {}, type == SOCK_STREAM);
}

void Socket::bind(const SocketAddress& address) {
  if (::bind(fd(), address.native(), address.native_size()) != 0) throw_io_error(errno, "bind to", address.to_string());
}

void Socket::listen(int backlog) {
  if (::listen(fd(), backlog) != 0) throw_io_error(errno, "listen on", subject());
}

void Socket::set_option(int level, int name, int value, const char* what) {
  if (::setsockopt(fd(), level, name, &value, sizeof value) != 0) throw_io_error(errno, what, subject());
}

int Socket::option(int level, int name, const char* what) const {
  int value = 0;
  socklen_t size = sizeof value;
  if (::getsockopt(fd(), level, name, &value, &size) != 0) throw_io_error(errno, what, subject());
  return value;
}

SocketAddress Socket::local_address() const {
  sockaddr_storage storage{};
  socklen_t size = sizeof storage;
  if (::getsockname(fd(), reinterpret_cast<sockaddr*>(&storage), &size) != 0) {
    throw_io_error(errno, "getsockname of socket fd", std::to_string(fd()));
  }
  return SocketAddress::from_native(reinterpret_cast<sockaddr*>(&storage), size);
}

SocketAddress Socket::peer_address() const {
  if (peer_.family() != AF_UNSPEC) return peer_;
  sockaddr_storage storage{};
  socklen_t size = sizeof storage;
  if (::getpeername(fd(), reinterpret_cast<sockaddr*>(&storage), &size) != 0) {
    throw_io_error(errno, "getpeername of socket fd", std::to_string(fd()));
  }
  return SocketAddress::from_native(reinterpret_cast<sockaddr*>(&storage), size);
}

void Socket::shutdown(int how) {
  if (::shutdown(fd(), how) != 0 && errno != ENOTCONN) throw_io_error(errno, "shutdown", subject());
}

void Socket::connect(const SocketAddress& address, Deadline deadline) {
  this_fiber::checkpoint();
  peer_ = address;
  for (;;) {
    if (::connect(fd(), address.native(), address.native_size()) == 0) return;
    if (errno == EINPROGRESS || errno == EALREADY || errno == EINTR) break;
    if (errno != EAGAIN) throw_io_error(errno, "connect to", address.to_string());
    // A Unix listener's backlog is full. Nothing signals when it drains (the socket is not
    // connecting, so it looks writable), so retry after a short pause.
    TimePoint retry_at = now() + std::chrono::milliseconds(10);
    if (deadline && *deadline.when() <= now()) detail::throw_socket_timeout("connect to", this);
    this_fiber::sleep_until(deadline ? std::min(retry_at, *deadline.when()) : retry_at);
  }
  // The handshake goes on in the kernel; writability means it ended, SO_ERROR says how.
  for (;;) {
    if (!wait_writable(fd(), deadline.when())) detail::throw_socket_timeout("connect to", this);
    int error = option(SOL_SOCKET, SO_ERROR, "read SO_ERROR of");
    if (error != 0) throw_io_error(error, "connect to", address.to_string());
    sockaddr_storage storage;
    socklen_t size = sizeof storage;
    if (::getpeername(fd(), reinterpret_cast<sockaddr*>(&storage), &size) == 0) return;
    // Woken by an old readiness hint: still in progress.
  }
}

Socket Socket::accept(Deadline deadline) {
  this_fiber::checkpoint();
  for (;;) {
    if (std::optional<Socket> connection = try_accept()) return std::move(*connection);
    if (!wait_readable(fd(), deadline.when())) detail::throw_socket_timeout("accept on", this);
  }
}

std::optional<Socket> Socket::try_accept() {
  sockaddr_storage storage;
  for (;;) {
    socklen_t size = sizeof storage;
    int connection = ::accept4(fd(), reinterpret_cast<sockaddr*>(&storage), &size, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (connection >= 0) {
      return Socket(FileDescriptor(connection), SocketAddress::from_native(reinterpret_cast<sockaddr*>(&storage), size),
                    byte_stream_);
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
    if (errno != EINTR) throw_io_error(errno, "accept on", subject());
  }
}

std::size_t Socket::recv(MutableBytes into, Deadline deadline, const char* operation) {
  if (drained_) {
    drained_ = false;
    if (!wait_readable(fd(), deadline.when())) detail::throw_socket_timeout(operation, this);  // also a checkpoint
  } else {
    this_fiber::checkpoint();
  }
  std::size_t got = nonblocking_call(fd(), Direction::read, deadline, operation, this,
                                     [&] { return ::recv(fd(), into.data(), into.size(), 0); });
  drained_ = byte_stream_ && got > 0 && got < into.size();
  return got;
}

std::size_t Socket::send(ConstBytes data, Deadline deadline, const char* operation) {
  this_fiber::checkpoint();
  return nonblocking_call(fd(), Direction::write, deadline, operation, this,
                          [&] { return ::send(fd(), data.data(), data.size(), MSG_NOSIGNAL); });
}

std::size_t Socket::send_pieces(std::span<const ConstBytes> pieces, Deadline deadline) {
  if (pieces.size() == 1) return send(pieces[0], deadline);
  this_fiber::checkpoint();
  std::array<iovec, 16> vectors;
  std::size_t count = std::min(pieces.size(), vectors.size());
  for (std::size_t i = 0; i < count; ++i) {
    vectors[i] = iovec{const_cast<std::byte*>(pieces[i].data()), pieces[i].size()};
  }
  msghdr message{};
  message.msg_iov = vectors.data();
  message.msg_iovlen = count;
  return nonblocking_call(fd(), Direction::write, deadline, "write to", this,
                          [&] { return ::sendmsg(fd(), &message, MSG_NOSIGNAL); });
}

Received Socket::recv_from(MutableBytes into, Deadline deadline) {
  this_fiber::checkpoint();
  sockaddr_storage storage;
  socklen_t size;
  std::size_t got = nonblocking_call(fd(), Direction::read, deadline, "receive on", this, [&] {
    size = sizeof storage;
    return ::recvfrom(fd(), into.data(), into.size(), 0, reinterpret_cast<sockaddr*>(&storage), &size);
  });
  return {got, SocketAddress::from_native(reinterpret_cast<sockaddr*>(&storage), size)};
}

std::size_t Socket::send_to(ConstBytes data, const SocketAddress& to, Deadline deadline) {
  this_fiber::checkpoint();
  for (;;) {
    ssize_t sent = ::sendto(fd(), data.data(), data.size(), MSG_NOSIGNAL, to.native(), to.native_size());
    if (sent >= 0) return static_cast<std::size_t>(sent);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) throw_io_error(errno, "send to", to.to_string());
    if (!wait_writable(fd(), deadline.when())) throw TimeoutError("send to " + to.to_string() + ": timed out");
  }
}

std::string Socket::subject() const {
  if (peer_.family() != AF_UNSPEC && !(peer_.family() == AF_UNIX && peer_.host().empty())) return peer_.to_string();
  sockaddr_storage storage{};
  socklen_t size = sizeof storage;
  if (fd() >= 0 && ::getsockname(fd(), reinterpret_cast<sockaddr*>(&storage), &size) == 0 &&
      storage.ss_family != AF_UNSPEC) {
    auto local = SocketAddress::from_native(reinterpret_cast<sockaddr*>(&storage), size);
    if (!(local.family() == AF_UNIX && local.host().empty())) return local.to_string();
  }
  return "socket fd " + std::to_string(fd());
}

}  // namespace spindle
