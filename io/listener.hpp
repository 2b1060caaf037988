// Listener: a bound, listening stream socket (TCP or Unix) and accept().
//
//   auto listener = tcp_listen(SocketAddress::loopback_v4(0));       // port 0: the kernel picks
//   for (;;) handle(listener.accept());                               // parks only this fiber
//
// Server (io/server.hpp) runs a handler per connection on top of this. Move-only; use it on the
// scheduler thread that made it, with one fiber accepting at a time. A Unix listener made by
// unix_listen() removes its socket file when it closes or is destroyed, if the path still names
// the socket it bound (io/unix_socket.hpp).
#pragma once

#include <spindle/io/detail/socket_file.hpp>
#include <spindle/io/socket_stream.hpp>

#include <sys/socket.h>

#include <optional>
#include <span>
#include <vector>

namespace spindle {

struct ListenOptions {
  // Queue of connections the kernel completes before accept() takes them.
  int backlog = SOMAXCONN;
  // SO_REUSEADDR (TCP): rebind a port whose old connections are still in TIME_WAIT.
  bool reuse_address = true;
  // SO_REUSEPORT (TCP): several listeners (processes, threads) on one port, the kernel spreading
  // connections between them.
  bool reuse_port = false;
  // IPV6_V6ONLY for an IPv6 address: true listens on IPv6 only, false on IPv4 too (through
  // IPv4-mapped addresses); nullopt keeps the system's default.
  std::optional<bool> v6_only = true;
  // Options of the accepted streams.
  StreamOptions stream{};
};

class Listener {
 public:
  Listener() = default;
  // `socket_file`: the file to remove on close (unix_listen's); by default none.
  Listener(Socket socket, StreamOptions stream_options, detail::SocketFile socket_file = {}) noexcept
      : socket_(std::move(socket)), stream_options_(stream_options), socket_file_(std::move(socket_file)) {}

  // The next connection. Parks until one arrives; a cancellation point. Throws TimeoutError at the
  // deadline, IoError otherwise (EMFILE/ENFILE when out of descriptors: the connection stays queued).
  SocketStream accept(Deadline deadline = {});
  // The connection already pending, or nullopt; never parks (Socket::try_accept). Throws as accept().
  std::optional<SocketStream> try_accept();

  // Where it listens: with port 0 this says which port the kernel chose. Never blocks.
  SocketAddress local_address() const { return socket_.local_address(); }
  // Stops listening: connections not yet accepted are refused (reset), and a Unix listener's socket
  // file is removed (see above). Idempotent; never blocks.
  void close() noexcept;
  explicit operator bool() const noexcept { return static_cast<bool>(socket_); }
  Socket& socket() noexcept { return socket_; }

 private:
  Socket socket_;
  StreamOptions stream_options_;
  // Declared after the socket, so that destruction, like close(), removes the file first.
  detail::SocketFile socket_file_;
};

using TcpListener = Listener;
using UnixListener = Listener;

// Binds `address` (IPv4 or IPv6) and listens. Throws IoError ("bind to 127.0.0.1:80: Permission
// denied", EADDRINUSE...). Never blocks.
Listener tcp_listen(const SocketAddress& address, ListenOptions options = {});

// One listener per address, in order (asyncio's create_server, for a Server that serves them all).
// Addresses with port 0 share one port, the one the kernel picks for the first of them, so that
// clients need one number (asyncio gives each socket its own); should that port be taken for a
// later address, all are closed and the whole set is tried again, a few times. An address of a
// family the kernel does not support (socket() fails with EAFNOSUPPORT: IPv6 disabled) is skipped,
// as asyncio skips it. Throws std::invalid_argument for an empty list or a non-IP address, IoError
// as tcp_listen (also when every address was skipped), and closes what it bound before throwing.
// Never blocks.
std::vector<Listener> tcp_listen(std::span<const SocketAddress> addresses, ListenOptions options = {});

}  // namespace spindle
