// The seed's second echo server and client (004, "协程模型回显服务器(二)"): asyncio's
// start_server and open_connection, spelled the same way here. Used through echo_main.hpp by
// echo_server and echo_client.
#pragma once

#include <spindle/spindle.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace echo_streams {

using namespace spindle;

inline std::string without_newline(std::string line) {
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

// The seed's handle_echo: read a line, print it with the peer, send it back, close.
inline void handle_echo(StreamReader reader, StreamWriter writer, bool quiet) {
  std::string message = without_newline(reader.readline());
  if (!quiet) {
    std::printf("server: received '%s' from %s\n", message.c_str(), writer.get_extra_info("peername")->host().c_str());
    std::printf("server: send '%s'\n", message.c_str());
  }
  writer.write(message + "\n");
  writer.drain();
  if (!quiet) std::printf("server: close the client socket\n");
  writer.close();
  writer.wait_closed();
}

struct Echo {
  static spindle::Server start(const std::string& host, std::uint16_t port, bool quiet) {
    return start_server([quiet](StreamReader reader, StreamWriter writer) {
      handle_echo(std::move(reader), std::move(writer), quiet);
    }, host, port);
  }
  static SocketAddress address(const spindle::Server& server) { return server.sockets().front(); }
  static void serve_forever(spindle::Server& server) { server.serve_forever(); }
  static void stop(spindle::Server& server) {
    server.close();
    server.wait_closed();
  }

  // The seed's tcp_echo_client: a connection per message.
  static void run_client(const SocketAddress& address, const std::vector<std::string>& messages) {
    for (const std::string& message : messages) {
      auto [reader, writer] = open_connection(address.host(), address.port(), {.timeout = std::chrono::seconds(10)});
      std::printf("client: send '%s'\n", message.c_str());
      writer.write(message + "\n");
      writer.drain();
      std::printf("client: received '%s'\n", without_newline(reader.readline()).c_str());
      std::printf("client: close the connection\n");
      writer.close();
      writer.wait_closed();
    }
  }
};

}  // namespace echo_streams
