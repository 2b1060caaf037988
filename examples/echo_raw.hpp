// The seed's first echo server and client (004, "协程模型回显服务器"), over raw sockets: asyncio's
// sock_accept / sock_recv / sock_sendall become spindle::Socket's accept / recv / send, each
// parking only its own fiber. Used through echo_main.hpp by echo_server_raw and echo_client_raw.
#pragma once

#include <spindle/spindle.hpp>

#include <netinet/in.h>

#include <array>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace echo_raw {

using namespace spindle;

// One client: echo what it sends until it closes (the seed's handle_client).
inline void handle_client(Socket client, bool quiet) {
  std::array<std::byte, 1024> buffer;
  while (std::size_t got = client.recv(buffer)) {
    if (!quiet) std::printf("server: received %zu bytes: '%.*s'\n", got, static_cast<int>(got), reinterpret_cast<const char*>(buffer.data()));
    for (std::size_t sent = 0; sent < got;) sent += client.send(std::span(buffer).subspan(sent, got - sent));
  }
  if (!quiet) std::printf("server: client closed the connection\n");
}

struct Echo {
  struct Server {
    Socket socket;
    JoinHandle<void> acceptor;
    std::vector<JoinHandle<void>> handlers;
  };

  // socket(); setsockopt(SO_REUSEADDR); bind(); listen(); then a fiber accepting, a fiber per client.
  static std::unique_ptr<Server> start(const std::string& host, std::uint16_t port, bool quiet) {
    auto server = std::make_unique<Server>();
    SocketAddress address = SocketAddress::ip(host, port);
    server->socket = Socket::open(address.family(), SOCK_STREAM);
    server->socket.set_option(SOL_SOCKET, SO_REUSEADDR, 1, "set SO_REUSEADDR on");
    server->socket.bind(address);
    server->socket.listen(100);
    server->acceptor = spawn([state = server.get(), quiet] {
      for (;;) {
        Socket client = state->socket.accept();
        if (!quiet) std::printf("server: connection from %s\n", client.peer_address().host().c_str());
        state->handlers.push_back(spawn([client = std::move(client), quiet]() mutable {
          handle_client(std::move(client), quiet);
        }));
      }
    });
    return server;
  }
  static SocketAddress address(const std::unique_ptr<Server>& server) { return server->socket.local_address(); }
  static void serve_forever(std::unique_ptr<Server>& server) { server->acceptor.join(); }
  // Stops accepting; the handlers finish with their clients.
  static void stop(std::unique_ptr<Server>& server) {
    server->acceptor.cancel();
    server->acceptor.wait();
    for (auto& handler : server->handlers) handler.join();
  }

  // The seed's client: connect, send each message, print the echo, close.
  static void run_client(const SocketAddress& address, const std::vector<std::string>& messages) {
    Socket client = Socket::open(address.family(), SOCK_STREAM);
    client.connect(address, std::chrono::seconds(10));
    std::array<std::byte, 1024> buffer;
    for (const std::string& message : messages) {
      std::printf("client: send '%s'\n", message.c_str());
      for (std::size_t sent = 0; sent < message.size();) sent += client.send(as_bytes(message).subspan(sent));
      std::string echo;
      while (echo.size() < message.size()) {
        std::size_t got = client.recv(buffer, std::chrono::seconds(10));
        if (got == 0) break;
        echo.append(reinterpret_cast<const char*>(buffer.data()), got);
      }
      std::printf("client: received '%s'\n", echo.c_str());
    }
    std::printf("client: close the socket\n");
  }
};

}  // namespace echo_raw
