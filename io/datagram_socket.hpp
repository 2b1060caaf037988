// DatagramSocket: UDP and Unix datagram sockets, one message per call.
//
//   UdpSocket socket = udp_bind(SocketAddress::loopback_v4(0));
//   auto [size, from] = socket.recv_from(buffer, 2s);
//   socket.send_to(std::span(buffer).first(size), from);
//
// Each call parks only the calling fiber, is a cancellation point, and throws TimeoutError at its
// Deadline and IoError naming the operation and address. Move-only; one scheduler's thread; one
// fiber receiving and one sending at a time.
#pragma once

#include <spindle/io/socket.hpp>

#include <span>
#include <string_view>
#include <utility>

namespace spindle {

class DatagramSocket {
 public:
  DatagramSocket() = default;
  explicit DatagramSocket(Socket socket) noexcept : socket_(std::move(socket)) {}

  // One datagram (truncated to `into`) and its sender.
  Received recv_from(MutableBytes into, Deadline deadline = {}) { return socket_.recv_from(into, deadline); }
  Received recv_from(std::span<char> into, Deadline deadline = {}) {
    return socket_.recv_from(std::as_writable_bytes(into), deadline);
  }
  // Sends `data` as one datagram to `to`; returns its size. EMSGSIZE (IoError) when too large.
  std::size_t send_to(ConstBytes data, const SocketAddress& to, Deadline deadline = {}) {
    return socket_.send_to(data, to, deadline);
  }
  std::size_t send_to(std::string_view data, const SocketAddress& to, Deadline deadline = {}) {
    return socket_.send_to(as_bytes(data), to, deadline);
  }

  // Sets the default peer for send/recv (and filters what arrives to it). Never blocks.
  void connect(const SocketAddress& peer);
  std::size_t send(std::string_view data, Deadline deadline = {}) { return socket_.send(as_bytes(data), deadline, "send to"); }
  std::size_t recv(std::span<char> into, Deadline deadline = {}) {
    return socket_.recv(std::as_writable_bytes(into), deadline, "receive from");
  }

  SocketAddress local_address() const { return socket_.local_address(); }
  Socket& socket() noexcept { return socket_; }
  void close() noexcept { socket_.close(); }

 private:
  Socket socket_;
};

using UdpSocket = DatagramSocket;
using UnixDatagramSocket = DatagramSocket;

// A UDP socket bound to `address` (port 0: the kernel picks). Throws IoError. Never blocks.
UdpSocket udp_bind(const SocketAddress& address);
// An unbound UDP socket of `family` (AF_INET or AF_INET6); the kernel binds it at the first send.
UdpSocket udp_open(int family = AF_INET);
// A Unix datagram socket bound to `path` ('\0' first: abstract namespace). The file stays after
// close; remove it yourself.
UnixDatagramSocket unix_datagram_bind(std::string_view path);

}  // namespace spindle
