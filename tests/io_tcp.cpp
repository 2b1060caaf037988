// TCP: listen, accept, connect, and a stream's round trip, half-close and end-of-stream errors.
#include "leak_check.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <string>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// A listener on an ephemeral loopback port and its address.
std::pair<Listener, SocketAddress> listen_on_loopback(const SocketAddress& where = SocketAddress::loopback_v4(0)) {
  Listener listener = tcp_listen(where);
  SocketAddress address = listener.local_address();
  return {std::move(listener), address};
}

}  // namespace

TEST_CASE("a TCP client and server exchange lines over loopback", "[io][tcp]") {
  test::run_virtual([] {
    auto [listener, address] = listen_on_loopback();
    CHECK(address.port() != 0);
    auto server = spawn([&listener] {
      TcpStream connection = listener.accept();
      std::string line = connection.readline();
      connection.write_all("echo: " + line);
      return connection.peer_address();
    });
    TcpStream client = tcp_connect(address);
    client.write_all("hello\n");
    CHECK(client.readline() == "echo: hello\n");
    CHECK(client.peer_address() == address);
    CHECK(server.join() == client.local_address());
  });
}

TEST_CASE("tcp_connect takes numeric hosts and localhost, over IPv4 and IPv6", "[io][tcp]") {
  test::run_virtual([] {
    for (const char* host : {"127.0.0.1", "::1", "[::1]"}) {
      INFO(host);
      auto [listener, address] = listen_on_loopback(SocketAddress::ip(host, 0));
      auto server = spawn([&listener] { listener.accept().write_all("hi"); });
      TcpStream client = tcp_connect(host, address.port(), {.nodelay = true});
      CHECK(client.read_exactly(2) == "hi");
      server.join();
    }
    auto [listener, address] = listen_on_loopback();  // IPv4 only: localhost's ::1 is refused first
    auto server = spawn([&listener] { listener.accept().write_all("v4"); });
    TcpStream client = tcp_connect("localhost", address.port());
    CHECK(client.peer_address() == address);
    CHECK(client.read_exactly(2) == "v4");
    server.join();
    // Other names go through resolve(); here to a loopback port where no DNS server answers.
    SocketAddress no_dns = udp_bind(SocketAddress::loopback_v4(0)).local_address();
    CHECK_THROWS_WITH(tcp_connect("example.invalid", 80, {.resolve = {.servers = {no_dns}, .tries = 1}}),
                      Catch::Contains("example.invalid"));
  });
}

TEST_CASE("connecting to a closed port names the address and the refusal", "[io][tcp]") {
  test::run_virtual([] {
    SocketAddress closed = listen_on_loopback().second;  // the listener is gone: nothing listens
    try {
      tcp_connect(closed);
      FAIL("connected to a closed port");
    } catch (const IoError& error) {
      CHECK(error.code() == std::errc::connection_refused);
      CHECK(std::string(error.what()) == "connect to " + closed.to_string() + ": Connection refused");
    }
  });
}

TEST_CASE("half-close: the peer reads end of stream and can still answer", "[io][tcp]") {
  test::run_virtual([] {
    auto [listener, address] = listen_on_loopback();
    auto server = spawn([&listener] {
      TcpStream connection = listener.accept();
      std::string request = connection.read_to_end(1024);
      CHECK(connection.at_eof());
      connection.write_all("got " + std::to_string(request.size()) + " bytes");
    });
    TcpStream client = tcp_connect(address);
    client.write("part one, ");
    client.write("part two");
    CHECK(client.pending_write() == 18);
    client.shutdown_write();
    CHECK(client.pending_write() == 0);
    CHECK(client.read_to_end(1024) == "got 18 bytes");
    server.join();
  });
}

TEST_CASE("end of stream inside read_exactly and read_until says what arrived", "[io][tcp]") {
  test::run_virtual([] {
    auto [listener, address] = listen_on_loopback();
    auto server = spawn([&listener] {
      TcpStream connection = listener.accept();
      connection.write_all("abc");
    });
    TcpStream client = tcp_connect(address);
    server.join();
    try {
      client.read_exactly(10);
      FAIL("read_exactly returned");
    } catch (const IncompleteReadError& error) {
      CHECK(error.partial() == "abc");
      CHECK(error.expected() == 10u);
      CHECK_THAT(error.what(), Catch::Contains("read_exactly from " + address.to_string()) &&
                                   Catch::Contains("after 3 of 10 bytes"));
    }
    CHECK(client.at_eof());
    CHECK(client.readline() == "");
    CHECK_THROWS_AS(client.read_until("\r\n"), IncompleteReadError);
    CHECK(client.read_some(std::span<char>()) == 0);
  });
}

TEST_CASE("listener options: SO_REUSEADDR by default, SO_REUSEPORT on request, the backlog", "[io][tcp]") {
  test::run_virtual([] {
    Listener first = tcp_listen(SocketAddress::loopback_v4(0), {.backlog = 3, .reuse_port = true});
    CHECK(first.socket().option(SOL_SOCKET, SO_REUSEADDR, "read") == 1);
    CHECK(first.socket().option(SOL_SOCKET, SO_REUSEPORT, "read") == 1);
    // A second listener on the same port works only because both asked for SO_REUSEPORT.
    Listener second = tcp_listen(first.local_address(), {.reuse_port = true});
    CHECK(second.local_address() == first.local_address());
    try {
      tcp_listen(first.local_address());
      FAIL("bound a port in use");
    } catch (const IoError& error) {
      CHECK(error.code() == std::errc::address_in_use);
      CHECK_THAT(error.what(), Catch::StartsWith("bind to " + first.local_address().to_string()));
    }
  });
}

TEST_CASE("TCP_NODELAY and keep-alive are set on the socket", "[io][tcp]") {
  test::run_virtual([] {
    auto [listener, address] = listen_on_loopback();
    auto server = spawn([&listener] { return listener.accept(); });
    TcpStream client = tcp_connect(address);
    TcpStream accepted = server.join();
    client.set_nodelay(true);
    CHECK(client.socket().option(IPPROTO_TCP, TCP_NODELAY, "read") == 1);
    client.set_keepalive(KeepAlive{.idle = 30s, .interval = 5s, .probes = 4});
    CHECK(client.socket().option(SOL_SOCKET, SO_KEEPALIVE, "read") == 1);
    CHECK(client.socket().option(IPPROTO_TCP, TCP_KEEPIDLE, "read") == 30);
    CHECK(client.socket().option(IPPROTO_TCP, TCP_KEEPCNT, "read") == 4);
    client.set_keepalive(std::nullopt);
    CHECK(client.socket().option(SOL_SOCKET, SO_KEEPALIVE, "read") == 0);
  });
}
