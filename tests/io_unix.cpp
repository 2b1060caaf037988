// Unix-domain sockets: stream listen/connect on filesystem and abstract paths, datagrams,
// socket_pair, and errors naming the path.
#include "leak_check.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

std::string abstract_name(const char* what) {
  return std::string(1, '\0') + "spindle-test-" + what + "-" + std::to_string(::getpid());
}

}  // namespace

TEST_CASE("a Unix stream listener on a filesystem path serves a client", "[io][unix]") {
  test::run_virtual([] {
    std::string path = "/tmp/spindle-test-unix-" + std::to_string(::getpid()) + ".sock";
    ::unlink(path.c_str());
    UnixListener listener = unix_listen(path);
    CHECK(listener.local_address().to_string() == "unix:" + path);
    auto server = spawn([&listener] {
      UnixStream connection = listener.accept();
      connection.write_all("hello " + connection.readline());
    });
    UnixStream client = unix_connect(path);
    client.write_all("unix\n");
    CHECK(client.read_to_end(100) == "hello unix\n");
    server.join();
    try {
      unix_listen(path);
      FAIL("bound a path in use");
    } catch (const IoError& error) {
      CHECK(error.code() == std::errc::address_in_use);
      CHECK_THAT(error.what(), Catch::Contains("bind to unix:" + path));
    }
    ::unlink(path.c_str());
    CHECK_THROWS_WITH(unix_connect(path), "connect to unix:" + path + ": No such file or directory");
  });
}

TEST_CASE("abstract-namespace Unix sockets need no file", "[io][unix]") {
  test::run_virtual([] {
    std::string name = abstract_name("stream");
    UnixListener listener = unix_listen(name);
    auto server = spawn([&listener] { listener.accept().write_all("abstract"); });
    UnixStream client = unix_connect(name);
    CHECK(client.read_exactly(8) == "abstract");
    server.join();
  });
}

TEST_CASE("Unix datagram sockets keep message boundaries", "[io][unix]") {
  test::run_virtual([] {
    UnixDatagramSocket server = unix_datagram_bind(abstract_name("dgram-server"));
    UnixDatagramSocket client = unix_datagram_bind(abstract_name("dgram-client"));
    client.send_to("first", server.local_address());
    client.send_to("second", server.local_address());
    std::array<char, 32> buffer;
    auto [size, from] = server.recv_from(buffer);
    CHECK(std::string_view(buffer.data(), size) == "first");
    CHECK(from == client.local_address());
    CHECK(server.recv_from(buffer).size == 6);
  });
}

TEST_CASE("socket_pair connects two streams, datagram_socket_pair two message sockets", "[io][unix]") {
  test::run_virtual([] {
    auto [left, right] = socket_pair();
    auto answer = spawn([&right] { right.write_all(right.readline()); });
    left.write_all("round trip\n");
    CHECK(left.readline() == "round trip\n");
    answer.join();
    left.shutdown_write();
    CHECK(right.read_to_end(10) == "");

    auto [a, b] = datagram_socket_pair();
    a.send("one");
    a.send("two");
    std::array<char, 8> buffer;
    CHECK(b.recv(buffer) == 3);
    CHECK(b.recv(buffer) == 3);
    CHECK(std::string_view(buffer.data(), 3) == "two");
  });
}

TEST_CASE("set_nodelay on a Unix stream names the socket in the error", "[io][unix]") {
  test::run_virtual([] {
    auto [left, right] = socket_pair();
    CHECK_THROWS_AS(left.set_nodelay(true), IoError);
  });
}
