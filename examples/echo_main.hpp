// The command lines of the four echo examples (seed 004), written once: a server that serves until
// stopped or, with --self-test, serves this process's own client; a client that talks to a server
// or, with --with-server, to one it starts in-process on a free loopback port. `Echo` is
// echo_raw::Echo (raw sockets) or echo_streams::Echo (start_server/open_connection): start(host,
// port, quiet), address(server), serve_forever(server), stop(server), run_client(address, messages).
#pragma once

#include <spindle/spindle.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "command_line.hpp"

template <class Echo>
int echo_server_main(int argc, char** argv, const char* description) {
  CommandLine command_line{description};
  std::string host = "127.0.0.1";
  std::uint16_t port = 8888;
  bool self_test = false;
  command_line.add_option("--host", host, "numeric address to listen on");
  command_line.add_option("--port", port, "port to listen on (0: any free port)");
  command_line.add_flag("--self-test", self_test, "listen on a free loopback port, serve this process's client, exit");
  if (auto status = command_line.parse(argc, argv)) return *status;
  return spindle::run([&] {
    auto server = Echo::start(host, self_test ? 0 : port, /*quiet=*/false);
    if (!self_test) {
      std::printf("serving on %s\n", Echo::address(server).to_string().c_str());
      std::fflush(stdout);
      Echo::serve_forever(server);
    } else {
      Echo::run_client(Echo::address(server), {"Hello World!", "Bye"});
      Echo::stop(server);
    }
    return 0;
  });
}

template <class Echo>
int echo_client_main(int argc, char** argv, const char* description) {
  CommandLine command_line{description};
  std::string host = "127.0.0.1";
  std::uint16_t port = 8888;
  bool with_server = false;
  std::vector<std::string> messages{"Hello World!"};
  command_line.add_option("--host", host, "numeric address of the server");
  command_line.add_option("--port", port, "port of the server");
  command_line.add_option("--message", messages, "a message to send (repeatable)");
  command_line.add_flag("--with-server", with_server,
                        "start the echo server in-process on a free loopback port (quiet)");
  if (auto status = command_line.parse(argc, argv)) return *status;
  return spindle::run([&] {
    if (!with_server) {
      Echo::run_client(spindle::SocketAddress::ip(host, port), messages);
      return 0;
    }
    auto server = Echo::start(host, 0, /*quiet=*/true);
    Echo::run_client(Echo::address(server), messages);
    Echo::stop(server);
    return 0;
  });
}
