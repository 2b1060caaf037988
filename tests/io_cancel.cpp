// Cancellation at every blocking io/ call: the call throws CancelledError, the fiber unwinds, and
// the process has exactly as many descriptors open as before (counted in /proc/self/fd).
#include "leak_check.hpp"
#include "loopback.hpp"

#include <array>
#include <functional>
#include <string>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// Runs `blocking` in a fiber, lets it park for a virtual second, cancels it, and checks that it
// ended with CancelledError and that every descriptor it opened is closed.
void check_cancellable(const char* what, const std::function<void()>& blocking) {
  INFO(what);
  std::size_t fds_before = test::open_fd_count();
  bool returned = false;
  auto fiber = spawn([&] {
    blocking();
    returned = true;
  });
  this_fiber::sleep_for(1s);
  CHECK_FALSE(fiber.done());
  CHECK(fiber.cancel("test cancels"));
  CHECK_THROWS_AS(fiber.join(), CancelledError);
  CHECK_FALSE(returned);
  CHECK(test::open_fd_count() == fds_before);
}

}  // namespace

TEST_CASE("every blocking stream call is a cancellation point that leaks nothing", "[io][cancel]") {
  test::run_virtual([] {
    std::size_t fds_at_start = test::open_fd_count();
    {
      auto [listener, client, server] = test::connected_pair();
      check_cancellable("accept", [&listener] { listener.accept(); });
      check_cancellable("read_some", [&client] {
        std::array<char, 16> buffer;
        client.read_some(std::span<char>(buffer));
      });
      check_cancellable("read_exactly", [&client] { client.read_exactly(10); });
      check_cancellable("read_until", [&client] { client.read_until("\r\n"); });
      check_cancellable("readline", [&client] { client.readline(10s); });
      check_cancellable("read_to_end", [&client] { client.read_to_end(100); });
      test::fill_socket(client);
      check_cancellable("write_all", [&client] { client.write_all(std::string(100000, 'x')); });
      check_cancellable("flush", [&client] {
        client.write("x");
        client.flush();
      });
      check_cancellable("shutdown_write", [&client] {
        client.write("y");
        client.shutdown_write();
      });
    }
    CHECK(test::open_fd_count() == fds_at_start);
  });
}

TEST_CASE("connects, datagrams and servers are cancellation points that leak nothing", "[io][cancel]") {
  test::run_virtual([] {
    std::size_t fds_at_start = test::open_fd_count();
    {
      test::Blackhole hole = test::blackhole();
      test::Blackhole hole6 = test::blackhole(SocketAddress::loopback_v6(0));
      check_cancellable("tcp_connect", [&hole] { tcp_connect(hole.address); });
      check_cancellable("tcp_connect with a timeout", [&hole] { tcp_connect(hole.address, {.timeout = 1min}); });
      check_cancellable("happy eyeballs over two blackholes", [&] {
        std::vector<SocketAddress> addresses{hole6.address, hole.address};
        connect_happy_eyeballs(addresses);
      });
      check_cancellable("Socket::connect", [&hole] {
        Socket socket = Socket::open(AF_INET, SOCK_STREAM);
        socket.connect(hole.address);
      });
      check_cancellable("recv_from", [] {
        UdpSocket socket = udp_bind(SocketAddress::loopback_v4(0));
        std::array<char, 16> buffer;
        socket.recv_from(buffer);
      });
      check_cancellable("a Unix stream read", [] {
        auto [left, right] = socket_pair();
        left.readline();
      });
      check_cancellable("Server::serve_forever with a connection", [] {
        Server server(tcp_listen(SocketAddress::loopback_v4(0)), [](SocketStream& connection) { connection.readline(); });
        TcpStream client = tcp_connect(server.local_address());
        server.serve_forever();
      });
      // stop() without a grace deadline waits for the handler; cancelled, the Server's destructor
      // then cancels the handler as the fiber unwinds.
      check_cancellable("Server::stop waiting for a handler", [] {
        Server server(tcp_listen(SocketAddress::loopback_v4(0)), [](SocketStream& connection) { connection.readline(); });
        TcpStream client = tcp_connect(server.local_address());
        this_fiber::yield();
        server.stop();
      });
    }
    CHECK(test::open_fd_count() == fds_at_start);
  });
}
