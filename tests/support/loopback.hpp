// Loopback fixtures for the io/ tests: a reset from the peer, a blackhole address, full buffers.
#pragma once

#include <spindle/spindle.hpp>

#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace spindle::test {

// A listener on an ephemeral loopback port and the client connected to it, accepted.
struct ConnectedPair {
  Listener listener;
  TcpStream client;
  TcpStream server;
};

inline ConnectedPair connected_pair(const SocketAddress& where = SocketAddress::loopback_v4(0)) {
  Listener listener = tcp_listen(where);
  auto accepting = spawn([&listener] { return listener.accept(); });
  TcpStream client = tcp_connect(listener.local_address());
  TcpStream server = accepting.join();
  return {std::move(listener), std::move(client), std::move(server)};
}

// Closes `stream` so that the peer gets a reset (RST) instead of an orderly end of stream.
inline void reset(SocketStream& stream) {
  linger abort{.l_onoff = 1, .l_linger = 0};
  REQUIRE(::setsockopt(stream.native_handle(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort) == 0);
  stream.close();
}

// An address whose connection attempts hang: a listener that never accepts, its backlog full
// (the kernel drops further SYNs). `filler` holds the connections that filled it.
struct Blackhole {
  Listener listener;
  std::vector<Socket> filler;
  SocketAddress address;
};

inline Blackhole blackhole(const SocketAddress& where = SocketAddress::loopback_v4(0)) {
  Blackhole hole{tcp_listen(where, {.backlog = 0}), {}, {}};
  hole.address = hole.listener.local_address();
  // With backlog 0 the queue holds one connection; keep connecting until an attempt hangs.
  for (int i = 0; i < 8; ++i) {
    Socket socket = Socket::open(hole.address.family(), SOCK_STREAM);
    try {
      socket.connect(hole.address, std::chrono::milliseconds(100));
      hole.filler.push_back(std::move(socket));
    } catch (const TimeoutError&) {
      return hole;
    }
  }
  FAIL("the listener's backlog never filled");
  return hole;
}

// Writes into `stream`'s socket until the kernel refuses more (send buffer and the peer's receive
// buffer full); returns the bytes accepted.
inline std::size_t fill_socket(SocketStream& stream) {
  std::string chunk(64 * 1024, 'f');
  std::size_t total = 0;
  for (;;) {
    ssize_t sent = ::send(stream.native_handle(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (sent <= 0) return total;
    total += static_cast<std::size_t>(sent);
  }
}

}  // namespace spindle::test
