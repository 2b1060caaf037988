// Unix-domain sockets: stream listen/connect on filesystem and abstract paths, the listener's
// socket file removed on close (only if still ours), datagrams, socket_pair, and errors naming the
// path.
#include "leak_check.hpp"
#include "temp_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

std::string abstract_name(const char* what) {
  return std::string(1, '\0') + "spindle-test-" + what + "-" + std::to_string(::getpid());
}

bool is_socket_file(const std::string& path) {
  struct stat status {};
  return ::lstat(path.c_str(), &status) == 0 && S_ISSOCK(status.st_mode);
}

bool exists(const std::string& path) {
  struct stat status {};
  return ::lstat(path.c_str(), &status) == 0;
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
    CHECK(is_socket_file(path));  // the failed listen left the first listener's file alone
    ::unlink(path.c_str());
    CHECK_THROWS_WITH(unix_connect(path), "connect to unix:" + path + ": No such file or directory");
  });
}

TEST_CASE("a Unix listener removes its socket file when it closes or is destroyed, and only once",
          "[io][unix]") {
  test::TempDir directory;
  test::run_virtual([&directory] {
    std::size_t fds_before = test::open_fd_count();
    std::string closed = directory.file("closed.sock");
    UnixListener listener = unix_listen(closed);
    REQUIRE(is_socket_file(closed));
    listener.close();
    CHECK_FALSE(exists(closed));
    UnixListener again = unix_listen(closed);  // the path is free again
    listener.close();   // idempotent: the new listener's file stays
    listener = UnixListener();
    CHECK(is_socket_file(closed));
    again = UnixListener();  // replaced: its file goes as a destroyed listener's does
    CHECK_FALSE(exists(closed));

    std::string moved = directory.file("moved.sock");
    {
      UnixListener original = unix_listen(moved);
      UnixListener owner = std::move(original);
      original = UnixListener();  // the moved-from listener owns no file: nothing removed
      CHECK(is_socket_file(moved));
      auto server = spawn([&owner] { owner.accept().write_all("moved"); });
      CHECK(unix_connect(moved).read_exactly(5) == "moved");
      server.join();
    }
    CHECK_FALSE(exists(moved));  // the owner's destructor removed it
    CHECK(test::open_fd_count() == fds_before);
  });
}

TEST_CASE("a Unix listener leaves alone whatever has taken its path since it bound", "[io][unix]") {
  test::TempDir directory;
  test::run_virtual([&directory] {
    std::size_t fds_before = test::open_fd_count();
    std::string path = directory.file("shared.sock");
    {
      UnixListener first = unix_listen(path);
      // Someone removes our file and binds a socket of their own at the path.
      REQUIRE(::unlink(path.c_str()) == 0);
      UnixListener second = unix_listen(path);
      first.close();
      REQUIRE(is_socket_file(path));
      auto server = spawn([&second] { second.accept().write_all("second"); });
      CHECK(unix_connect(path).read_exactly(6) == "second");  // still reachable: not unlinked
      server.join();
      second.close();
      CHECK_FALSE(exists(path));

      // A plain file put in place of our socket stays too.
      UnixListener third = unix_listen(path);
      REQUIRE(::unlink(path.c_str()) == 0);
      std::ofstream(path) << "not a socket";
    }
    CHECK(exists(path));
    CHECK_FALSE(is_socket_file(path));
    CHECK(test::open_fd_count() == fds_before);
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
