// Socket: one non-blocking socket with blocking-style calls that park only the calling fiber.
//
// The raw layer under TCP, UDP and Unix sockets, and the one to use when a program wants the
// socket calls themselves (the seeds' sock_accept / sock_recv / sock_send echo server). Every call
// that can wait first tries the non-blocking syscall and parks on the descriptor only when the
// kernel says EAGAIN (see fibers/fd_wait.hpp); every such call is a cancellation point, takes a
// Deadline and throws TimeoutError("OPERATION PEER: timed out") when it passes. Failures throw
// IoError naming the operation and the peer ("connect to 127.0.0.1:9: Connection refused").
//
// Move-only; owns its descriptor (closing it drops the scheduler's registration first). Use it on
// one scheduler's thread; at most one fiber may wait to read and one to write at a time.
#pragma once

#include <spindle/io/deadline.hpp>
#include <spindle/io/file_descriptor.hpp>
#include <spindle/io/socket_address.hpp>
#include <spindle/io/transport.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>

namespace spindle {

// What recv_from returns: the datagram's size and who sent it.
struct Received {
  std::size_t size = 0;
  SocketAddress from;
};

class Socket {
 public:
  Socket() = default;
  // Takes a descriptor that is already non-blocking; `peer` (if known) names it in messages.
  // `byte_stream` (SOCK_STREAM) lets recv skip a syscall, see below.
  explicit Socket(FileDescriptor fd, SocketAddress peer = {}, bool byte_stream = false) noexcept
      : fd_(std::move(fd)), peer_(peer), byte_stream_(byte_stream) {}

  // socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol). Throws IoError (EMFILE...).
  static Socket open(int family, int type, int protocol = 0);

  int fd() const noexcept { return fd_.get(); }
  explicit operator bool() const noexcept { return static_cast<bool>(fd_); }

  // Plain syscalls; never block. Throw IoError naming the address.
  void bind(const SocketAddress& address);
  void listen(int backlog);
  void set_option(int level, int name, int value, const char* what);
  int option(int level, int name, const char* what) const;
  SocketAddress local_address() const;
  // The peer given at construction or connect, else getpeername(). Throws IoError when unconnected.
  SocketAddress peer_address() const;
  // shutdown(how); ENOTCONN (peer already gone) is ignored.
  void shutdown(int how);
  void close() noexcept { fd_.close(); }

  // Connects (parks until the handshake ends). Throws IoError (ECONNREFUSED, ENETUNREACH...),
  // TimeoutError, CancelledError; the socket stays usable only after success.
  void connect(const SocketAddress& address, Deadline deadline = {});
  // Waits for and returns the next connection, non-blocking and close-on-exec. EMFILE/ENFILE come
  // out as IoError like every other failure (Server handles them).
  Socket accept(Deadline deadline = {});
  // As accept(), but never parks and is not a cancellation point: nullopt when no connection is
  // pending. For a fiber that must not hold on to a connection it is not yet allowed to take
  // (Server, at its connection limit with several listeners).
  std::optional<Socket> try_accept();

  // Stream calls: recv returns 0 at end of stream; send writes at least one byte (MSG_NOSIGNAL, so
  // a reset peer is IoError EPIPE/ECONNRESET, never SIGPIPE). `operation` names the call in errors.
  // On a byte stream, a recv that returned less than asked proves the socket drained (epoll(7)), so
  // the next recv waits for readiness before trying: the reactor's readiness hint makes that wait
  // return at once if bytes came meanwhile, and the EAGAIN syscall is saved.
  std::size_t recv(MutableBytes into, Deadline deadline = {}, const char* operation = "read from");
  std::size_t send(ConstBytes data, Deadline deadline = {}, const char* operation = "write to");
  // As send, gathering from up to IOV_MAX pieces in one sendmsg.
  std::size_t send_pieces(std::span<const ConstBytes> pieces, Deadline deadline = {});

  // Datagram calls: one datagram each; a datagram larger than `into` is truncated (as recvfrom).
  Received recv_from(MutableBytes into, Deadline deadline = {});
  std::size_t send_to(ConstBytes data, const SocketAddress& to, Deadline deadline = {});

  // The peer for messages ("127.0.0.1:80"), else the local address, else "socket fd N".
  std::string subject() const;

 private:
  FileDescriptor fd_;
  SocketAddress peer_;
  bool byte_stream_ = false;
  bool drained_ = false;  // the last recv on a byte stream was short
};

// Views of text as bytes, for the calls above.
inline ConstBytes as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

}  // namespace spindle
