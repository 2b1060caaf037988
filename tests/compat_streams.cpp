// asyncio streams: open_connection / start_server, the reader's and writer's calls, asyncio's
// errors, timeout scopes around stream calls; start_server on several addresses and every interface.
#include "leak_check.hpp"
#include "temp_dir.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <set>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// The seed's echo handler: one line back, then close.
void echo_once(StreamReader reader, StreamWriter writer) {
  std::string line = reader.readline();
  writer.write(line);
  writer.drain();
  writer.close();
  writer.wait_closed();
}

// Answers one line with the address the connection came in on.
void name_the_socket(StreamReader reader, StreamWriter writer) {
  writer.write(writer.get_extra_info("sockname")->to_string() + " " + reader.readline());
  writer.close();
}

// Connects to `address` and returns what name_the_socket answers.
std::string ask(const SocketAddress& address) {
  auto [reader, writer] = open_connection(address.host(), address.port());
  writer.write("which?\n");
  writer.drain();
  std::string answer = reader.readline();
  writer.close();
  return answer;
}

// Whether ::1 can be listened on here; WARNs what the test then cannot check when it cannot.
bool ipv6_loopback(const char* unchecked) {
  try {
    tcp_listen(SocketAddress::loopback_v6(0));
    return true;
  } catch (const IoError& error) {
    WARN("no IPv6 loopback here (" << error.what() << "): not checked: " << unchecked);
    return false;
  }
}

}  // namespace

TEST_CASE("open_connection talks to start_server's handler", "[compat][streams]") {
  test::run_virtual([] {
    Server server = start_server(echo_once, "127.0.0.1", 0);
    REQUIRE(server.sockets().size() == 1);
    std::uint16_t port = server.sockets()[0].port();
    auto [reader, writer] = open_connection("127.0.0.1", port);
    CHECK(writer.get_extra_info("peername") == server.local_address());
    CHECK(writer.get_extra_info("sockname")->host() == "127.0.0.1");
    CHECK_FALSE(writer.get_extra_info("cipher").has_value());
    writer.write("Hello World!\n");
    writer.drain();
    CHECK(reader.readline() == "Hello World!\n");
    CHECK(reader.read() == "");  // the handler closed its side
    CHECK(reader.at_eof());
    writer.close();
    CHECK(writer.is_closing());
    writer.wait_closed();
    server.close();
    server.wait_closed();
    CHECK_FALSE(server.serving());
  });
}

TEST_CASE("read(n), read(-1), write_eof and writelines", "[compat][streams]") {
  test::run_virtual([] {
    Server server = start_server([](StreamReader reader, StreamWriter writer) {
      std::string everything = reader.read();  // until the client's write_eof
      writer.writelines({"got ", std::to_string(everything.size()), " bytes"});
      writer.close();
    }, "", 0);
    auto [reader, writer] = open_connection("localhost", server.local_address().port());
    CHECK(writer.can_write_eof());
    writer.write("twelve bytes");
    writer.write_eof();
    CHECK(reader.read(0) == "");
    CHECK(reader.read(4) == "got ");
    CHECK(reader.read() == "12 bytes");
    CHECK(reader.read(10) == "");
    server.close();
  });
}

TEST_CASE("readexactly's IncompleteReadError and readuntil's LimitOverrunError keep asyncio's fields",
          "[compat][streams]") {
  test::run_virtual([] {
    Server server = start_server([](StreamReader, StreamWriter writer) {
      writer.write(std::string(40, 'a'));
      writer.close();
    }, "127.0.0.1", 0);
    auto [reader, writer] = open_connection("127.0.0.1", server.local_address().port(), {.limit = 32});
    try {
      reader.readuntil("\r\n");
      FAIL("readuntil returned");
    } catch (const LimitOverrunError& error) {
      CHECK(error.consumed() >= 32);
    }
    try {
      reader.readexactly(100);
      FAIL("readexactly returned");
    } catch (const IncompleteReadError& error) {
      CHECK(error.partial() == std::string(40, 'a'));
      CHECK(error.expected() == 100u);
    }
    server.close();
  });
}

TEST_CASE("a timeout scope around a stream call turns into TimeoutError", "[compat][streams]") {
  test::run_virtual([] {
    Server server = start_server([](StreamReader reader, StreamWriter) { reader.read(); }, "127.0.0.1", 0);
    auto [reader, writer] = open_connection("127.0.0.1", server.local_address().port(), {.timeout = 5s});
    TimePoint began = now();
    CHECK_THROWS_AS(timeout(2s, [&reader] { return reader.readline(); }), TimeoutError);
    CHECK(test::seconds_since(began) == Approx(2.0));
    writer.close();
    server.stop(1s);
  });
}

TEST_CASE("Unix-domain servers and connections", "[compat][streams]") {
  test::run_virtual([] {
    std::string path("\0spindle-compat-streams-", 23);
    path += std::to_string(::getpid());
    Server server = start_unix_server(echo_once, path);
    auto [reader, writer] = open_unix_connection(path);
    writer.write("over unix\n");
    writer.drain();
    CHECK(reader.readline() == "over unix\n");
    server.stop();
  });
}

TEST_CASE("start_server listens on every address of its hosts, all served by one Server", "[compat][streams]") {
  test::run_virtual([] {
    std::size_t fds_before = test::open_fd_count();
    std::vector<std::string> hosts{"127.0.0.1", "127.0.0.2", "127.0.0.1"};  // a repeated address: once
    if (ipv6_loopback("a server on ::1 as well")) hosts.push_back("::1");
    Server server = start_server(name_the_socket, hosts, 0, {.max_connections = 10});
    std::vector<std::string> listened;
    for (const SocketAddress& address : server.sockets()) listened.push_back(address.host());
    std::vector<std::string> expected{"127.0.0.1", "127.0.0.2"};
    if (hosts.size() == 4) expected.push_back("::1");
    CHECK(listened == expected);
    for (const SocketAddress& address : server.sockets()) {
      CHECK(address.port() == server.local_address().port());
      CHECK(ask(address) == address.to_string() + " which?\n");
    }
    server.close();
    server.wait_closed();
    for (const SocketAddress& address : server.sockets()) {
      INFO(address.to_string());
      CHECK_THROWS_AS(open_connection(address.host(), address.port()), IoError);
    }
    CHECK(test::open_fd_count() == fds_before);
  });
}

TEST_CASE("a name gets a socket for each address it resolves to", "[compat][streams]") {
  test::run_virtual([] {
    std::set<std::string> resolved;
    for (const SocketAddress& address : resolve("localhost", 0)) resolved.insert(address.host());
    if (resolved.size() == 1) WARN("localhost resolves to " << *resolved.begin() << " alone here");
    Server server = start_server(name_the_socket, "localhost", 0);
    std::set<std::string> listened;
    for (const SocketAddress& address : server.sockets()) {
      listened.insert(address.host());
      CHECK(ask(address) == address.to_string() + " which?\n");
    }
    CHECK(listened == resolved);
    server.stop();
  });
}

TEST_CASE("an empty host listens on every interface: 0.0.0.0 and :: with IPV6_V6ONLY", "[compat][streams]") {
  test::run_virtual([] {
    Server server = start_server(name_the_socket, "", 0);
    std::uint16_t port = server.local_address().port();
    REQUIRE_FALSE(server.sockets().empty());
    CHECK(server.sockets()[0] == SocketAddress::any_v4(port));
    // Served by the IPv4 socket itself, not by an IPv6 one through a mapped address.
    CHECK(ask(SocketAddress::loopback_v4(port)) == "127.0.0.1:" + std::to_string(port) + " which?\n");
    if (ipv6_loopback("the :: socket of an empty host")) {
      // Both families on one port: possible only because the :: socket is IPv6-only.
      REQUIRE(server.sockets().size() == 2);
      CHECK(server.sockets()[1] == SocketAddress::any_v6(port));
      CHECK(ask(SocketAddress::loopback_v6(port)) == "[::1]:" + std::to_string(port) + " which?\n");
    }
    // An empty list of hosts means the same.
    Server everywhere = start_server(name_the_socket, std::vector<std::string>{}, 0);
    CHECK(everywhere.sockets().size() == server.sockets().size());
    server.stop();
    everywhere.stop();
  });
}

TEST_CASE("start_server that cannot bind one address leaves none listening", "[compat][streams]") {
  test::run_virtual([] {
    std::size_t fds_before = test::open_fd_count();
    {
      Listener taken = tcp_listen(SocketAddress::ip("127.0.0.2", 0));
      std::uint16_t port = taken.local_address().port();
      try {
        start_server(name_the_socket, std::vector<std::string>{"127.0.0.1", "127.0.0.2"}, port);
        FAIL("listened on a taken address");
      } catch (const IoError& error) {
        CHECK(error.code() == std::errc::address_in_use);
        CHECK_THAT(error.what(), Catch::Contains("bind to 127.0.0.2:" + std::to_string(port)));
      }
      CHECK_THROWS_AS(tcp_connect(SocketAddress::loopback_v4(port)), IoError);  // 127.0.0.1 was let go
    }
    CHECK(test::open_fd_count() == fds_before);
  });
}

TEST_CASE("a Unix server removes its socket file when it closes", "[compat][streams]") {
  test::TempDir directory;
  test::run_virtual([&directory] {
    std::string path = directory.file("server.sock");
    Server server = start_unix_server(echo_once, path);
    struct stat status {};
    REQUIRE(::stat(path.c_str(), &status) == 0);
    CHECK(S_ISSOCK(status.st_mode));
    auto [reader, writer] = open_unix_connection(path);
    writer.write("still here\n");
    writer.drain();
    CHECK(reader.readline() == "still here\n");
    server.close();
    CHECK(::stat(path.c_str(), &status) == -1);
    CHECK(errno == ENOENT);
    server.wait_closed();
  });
}
