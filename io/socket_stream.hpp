// SocketStream: a Stream over a connected stream socket (TCP or Unix), with the socket's options.
//
// TcpStream and UnixStream are this type: buffering, deadlines and errors are the Stream's; what a
// socket adds is its addresses, Nagle and keep-alive. Returned by tcp_connect, unix_connect,
// Listener::accept and socket_pair; the same threading rules as Stream.
#pragma once

#include <spindle/io/socket.hpp>
#include <spindle/io/stream.hpp>

#include <chrono>
#include <optional>

namespace spindle {

// The Transport of a SocketStream (public so TLS can wrap one and tests can reach the socket).
class SocketTransport final : public Transport {
 public:
  explicit SocketTransport(Socket socket) noexcept : socket_(std::move(socket)) {}
  std::size_t read_some(MutableBytes into, Deadline deadline) override { return socket_.recv(into, deadline); }
  std::size_t write_some(std::span<const ConstBytes> pieces, Deadline deadline) override {
    return socket_.send_pieces(pieces, deadline);
  }
  void shutdown_write() override { socket_.shutdown(SHUT_WR); }
  void close() noexcept override { socket_.close(); }
  std::string name() const override { return socket_.subject(); }
  Socket& socket() noexcept { return socket_; }

 private:
  Socket socket_;
};

struct KeepAlive {
  // Idle time before the first probe, time between probes, probes before the peer is declared
  // dead; nullopt keeps the system's setting.
  std::optional<std::chrono::seconds> idle{};
  std::optional<std::chrono::seconds> interval{};
  std::optional<int> probes{};
};

class SocketStream : public Stream {
 public:
  explicit SocketStream(Socket socket, StreamOptions options = {});

  // Never block. Throw IoError naming the peer (for instance set_nodelay on a Unix socket).
  SocketAddress peer_address() const { return socket().peer_address(); }
  SocketAddress local_address() const { return socket().local_address(); }
  // TCP_NODELAY: send small writes at once instead of waiting to coalesce them (Nagle).
  void set_nodelay(bool enabled);
  // SO_KEEPALIVE with optional TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT; nullopt turns it off.
  void set_keepalive(std::optional<KeepAlive> settings);
  int native_handle() const noexcept { return socket().fd(); }

  Socket& socket() noexcept { return transport_->socket(); }
  const Socket& socket() const noexcept { return transport_->socket(); }

 private:
  SocketTransport* transport_;  // owned by the Stream base; its address survives moves
};

using TcpStream = SocketStream;
using UnixStream = SocketStream;

}  // namespace spindle
