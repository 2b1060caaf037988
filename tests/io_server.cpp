// Server: a handler per connection, the connection limit, graceful stop with a grace deadline,
// handler failures reported, serve_forever and wait_closed; several listeners behind one server.
#include "leak_check.hpp"

#include <sys/socket.h>

#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

Listener loopback_listener() { return tcp_listen(SocketAddress::loopback_v4(0)); }

// Echoes lines until the client ends the stream.
void echo_lines(SocketStream& connection) {
  for (std::string line = connection.readline(); !line.empty(); line = connection.readline()) {
    connection.write_all(line);
  }
}

// Loopback addresses with port 0 for a server on several listeners: 127.0.0.1 and 127.0.0.2 (all of
// 127/8 is loopback on Linux), and ::1 where this machine has it; says so when it does not.
std::vector<SocketAddress> loopback_addresses() {
  std::vector<SocketAddress> addresses{SocketAddress::loopback_v4(0), SocketAddress::ip("127.0.0.2", 0)};
  try {
    tcp_listen(SocketAddress::loopback_v6(0));
    addresses.push_back(SocketAddress::loopback_v6(0));
  } catch (const IoError& error) {
    WARN("no IPv6 loopback here (" << error.what() << "): only the IPv4 listeners are checked");
  }
  return addresses;
}

// Says "welcome", then holds its connection until the client writes a line or leaves.
void welcome_and_hold(SocketStream& connection) {
  connection.write_all("welcome\n");
  connection.readline();
}

}  // namespace

TEST_CASE("a server runs each connection's handler in its own fiber", "[io][server]") {
  test::run_virtual([] {
    Server server(loopback_listener(), echo_lines);
    std::vector<TcpStream> clients;
    for (int i = 0; i < 5; ++i) clients.push_back(tcp_connect(server.local_address()));
    // Every client talks at once; each is answered by its own handler.
    for (int i = 0; i < 5; ++i) clients[i].write_all("client " + std::to_string(i) + "\n");
    for (int i = 0; i < 5; ++i) CHECK(clients[i].readline() == "client " + std::to_string(i) + "\n");
    CHECK(server.connections() == 5);
    clients.clear();
    server.stop(1s);
    CHECK(server.connections() == 0);
    CHECK_FALSE(server.serving());
    CHECK_THROWS_AS(tcp_connect(server.local_address()), IoError);  // the listener is closed
  });
}

TEST_CASE("at max_connections the server stops accepting until a handler ends", "[io][server]") {
  test::run_virtual([] {
    int served = 0;
    Server server(loopback_listener(), [&served](SocketStream& connection) {
      ++served;
      connection.write_all("welcome\n");
      connection.readline();  // until the client says goodbye or leaves
    }, {.max_connections = 2});
    TcpStream first = tcp_connect(server.local_address());
    TcpStream second = tcp_connect(server.local_address());
    TcpStream third = tcp_connect(server.local_address());  // the kernel completes it; nobody accepts yet
    CHECK(first.readline() == "welcome\n");
    CHECK(second.readline() == "welcome\n");
    CHECK_THROWS_AS(third.readline(1s), TimeoutError);
    CHECK(served == 2);
    first.write_all("bye\n");
    CHECK(third.readline(1s) == "welcome\n");
    CHECK(served == 3);
    server.stop(Deadline(now()));
  });
}

TEST_CASE("stop waits for handlers up to the grace deadline, then cancels the rest", "[io][server]") {
  test::run_virtual([] {
    std::vector<std::string> ended;
    Server server(loopback_listener(), [&ended](SocketStream& connection) {
      std::string wanted = connection.readline();
      struct Record {
        std::vector<std::string>& ended;
        std::string name;
        ~Record() { ended.push_back(name); }
      } record{ended, wanted.substr(0, wanted.size() - 1)};
      this_fiber::sleep_for(wanted == "quick\n" ? 1s : 1h);
      connection.write_all("done\n");
    });
    TcpStream quick = tcp_connect(server.local_address());
    TcpStream slow = tcp_connect(server.local_address());
    quick.write_all("quick\n");
    slow.write_all("slow\n");
    this_fiber::sleep_for(10ms);
    TimePoint stop_began = now();
    server.stop(5s);
    CHECK(test::seconds_since(stop_began) == Approx(5.0));
    CHECK(ended == std::vector<std::string>{"quick", "slow"});
    CHECK(quick.readline() == "done\n");
    CHECK(slow.readline() == "");  // cancelled: its stream closed without an answer
  });
}

TEST_CASE("a failing handler is reported with its peer and the server goes on", "[io][server]") {
  test::CapturedDiagnostics diagnostics;
  test::run_virtual([] {
    Server server(loopback_listener(), [](SocketStream& connection) {
      if (connection.readline() == "fail\n") throw std::runtime_error("bad request");
      connection.write_all("ok\n");
    });
    TcpStream failing = tcp_connect(server.local_address());
    failing.write_all("fail\n");
    CHECK(failing.readline() == "");
    TcpStream fine = tcp_connect(server.local_address());
    fine.write_all("hello\n");
    CHECK(fine.readline() == "ok\n");
    server.stop();
  });
  auto messages = diagnostics.messages();
  REQUIRE(messages.size() == 1);
  CHECK_THAT(messages[0], Catch::Contains("handler for 127.0.0.1:") && Catch::Contains("failed: bad request"));
}

TEST_CASE("serve_forever returns once another fiber closes the server; wait_closed waits for handlers",
          "[io][server]") {
  test::run_virtual([] {
    Server server(loopback_listener(), echo_lines);
    auto client = spawn([address = server.local_address()] {
      TcpStream stream = tcp_connect(address);
      stream.write_all("x\n");
      return stream;
    });
    auto closer = spawn([&server] {
      this_fiber::sleep_for(3s);
      server.close();
    });
    TimePoint began = now();
    server.serve_forever();
    CHECK(test::seconds_since(began) == Approx(3.0));
    closer.join();
    TcpStream stream = client.join();
    CHECK(stream.readline() == "x\n");
    CHECK(server.connections() == 1);
    stream.shutdown_write();
    server.wait_closed();
    CHECK(server.connections() == 0);
  });
}

TEST_CASE("a cancelled serve_forever stops the server, cancelling its handlers", "[io][server]") {
  test::run_virtual([] {
    bool unwound = false;
    Server server(loopback_listener(), [&unwound](SocketStream& connection) {
      test::SetOnDestroy set{unwound};
      connection.readline();
    });
    TcpStream client = tcp_connect(server.local_address());
    auto serving = spawn([&server] { server.serve_forever(); });
    this_fiber::sleep_for(1s);
    CHECK(server.connections() == 1);
    serving.cancel();
    CHECK_THROWS_AS(serving.join(), CancelledError);
    CHECK(unwound);
    CHECK(server.connections() == 0);
    CHECK(client.readline() == "");
  });
}

TEST_CASE("a server on several listeners serves every address through one handler; stop closes them all",
          "[io][server]") {
  test::run_virtual([] {
    std::size_t fds_before = test::open_fd_count();
    {
      std::vector<SocketAddress> wanted = loopback_addresses();
      Server server(tcp_listen(wanted), [](SocketStream& connection) {
        connection.write_all(connection.local_address().to_string() + " " + connection.readline());
      });
      const std::vector<SocketAddress>& addresses = server.sockets();
      REQUIRE(addresses.size() == wanted.size());
      CHECK(server.local_address() == addresses[0]);
      for (std::size_t i = 0; i < addresses.size(); ++i) {
        CHECK(addresses[i].host() == wanted[i].host());
        CHECK(addresses[i].port() == addresses[0].port());  // port 0: one port the kernel chose, shared
      }
      // Each address is served by its own listener: the handler sees the address the client dialled.
      for (const SocketAddress& address : addresses) {
        TcpStream client = tcp_connect(address);
        client.write_all("hi\n");
        CHECK(client.readline() == address.to_string() + " hi\n");
      }
      server.stop(1s);
      CHECK_FALSE(server.serving());
      CHECK(server.sockets() == addresses);  // still answered once closed
      for (const SocketAddress& address : addresses) {
        INFO(address.to_string());
        CHECK_THROWS_AS(tcp_connect(address), IoError);  // every listener is closed
      }
    }
    CHECK(test::open_fd_count() == fds_before);
  });
}

TEST_CASE("listeners share one connection limit, and a freed slot goes to the listener with a client waiting",
          "[io][server]") {
  test::run_virtual([] {
    std::vector<SocketAddress> both{SocketAddress::loopback_v4(0), SocketAddress::ip("127.0.0.2", 0)};
    Server server(tcp_listen(both), welcome_and_hold, {.max_connections = 1});
    const SocketAddress& first = server.sockets()[0];
    const SocketAddress& second = server.sockets()[1];
    TcpStream holder = tcp_connect(first);
    CHECK(holder.readline() == "welcome\n");
    TcpStream waiting = tcp_connect(second);  // queued by the kernel: the one slot is taken
    CHECK_THROWS_AS(waiting.readline(1s), TimeoutError);
    holder.write_all("bye\n");
    // The first listener's accept fiber wakes too but has no client; the second takes the slot.
    CHECK(waiting.readline(1s) == "welcome\n");
    TcpStream late = tcp_connect(first);
    CHECK_THROWS_AS(late.readline(1s), TimeoutError);  // the bound holds across listeners
    CHECK(server.connections() == 1);
    waiting.write_all("bye\n");
    CHECK(late.readline(1s) == "welcome\n");
    server.stop(Deadline(now()));
  });
}

TEST_CASE("a listener whose accept fails for good stops the whole server, and serve_forever says why",
          "[io][server]") {
  test::CapturedDiagnostics diagnostics;
  test::run_virtual([] {
    std::vector<Listener> listeners =
        tcp_listen(std::vector{SocketAddress::loopback_v4(0), SocketAddress::ip("127.0.0.2", 0)});
    int broken = listeners[1].socket().fd();
    Server server(std::move(listeners), welcome_and_hold);
    auto breaker = spawn([broken] {
      this_fiber::sleep_for(1s);
      // A listening socket shut down for reading fails every accept with EINVAL.
      REQUIRE(::shutdown(broken, SHUT_RD) == 0);
    });
    CHECK_THROWS_WITH(server.serve_forever(), Catch::Contains("accept on") && Catch::Contains("Invalid argument"));
    breaker.join();
    CHECK_FALSE(server.serving());
    CHECK_THROWS_AS(tcp_connect(server.sockets()[0]), IoError);  // the healthy listener closed too
  });
  auto messages = diagnostics.messages();
  REQUIRE(messages.size() == 1);
  CHECK_THAT(messages[0], Catch::Contains("server on 127.0.0.2:") && Catch::Contains("stopped accepting"));
}
