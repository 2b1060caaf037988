// Happy Eyeballs (RFC 8305) on the virtual clock: family interleaving, the 250 ms attempt delay past
// a blackholed first address, immediate fallback after a refusal, the losers closed.
#include "leak_check.hpp"
#include "loopback.hpp"

#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("addresses alternate families, the first address's family leading", "[io][happy_eyeballs]") {
  auto a6 = SocketAddress::ip("2001:db8::1", 80), b6 = SocketAddress::ip("2001:db8::2", 80);
  auto c6 = SocketAddress::ip("2001:db8::3", 80);
  auto a4 = SocketAddress::ip("192.0.2.1", 80), b4 = SocketAddress::ip("192.0.2.2", 80);
  std::vector<SocketAddress> resolved{a6, b6, c6, a4, b4};
  CHECK(interleave_families(resolved) == std::vector<SocketAddress>{a6, a4, b6, b4, c6});
  std::vector<SocketAddress> v4_first{a4, a6, b4};
  CHECK(interleave_families(v4_first) == std::vector<SocketAddress>{a4, a6, b4});
}

TEST_CASE("a blackholed first address costs exactly the attempt delay, and its attempt is closed",
          "[io][happy_eyeballs]") {
  test::run_virtual([] {
    test::Blackhole hole = test::blackhole(SocketAddress::loopback_v6(0));
    Listener good = tcp_listen(SocketAddress::loopback_v4(0));
    std::size_t fds_before = test::open_fd_count();
    std::vector<SocketAddress> addresses{hole.address, good.local_address()};
    TimePoint began = now();
    Socket socket = connect_happy_eyeballs(addresses);
    CHECK(test::seconds_since(began) == Approx(0.250));
    CHECK(socket.peer_address() == good.local_address());
    CHECK(test::open_fd_count() == fds_before + 1);  // the winner only: the blackholed attempt is closed
    CHECK(Scheduler::current()->live_fibers() == 1);  // and its fiber ended

    began = now();
    socket = connect_happy_eyeballs(addresses, {}, 100ms);
    CHECK(test::seconds_since(began) == Approx(0.100));
  });
}

TEST_CASE("a refused attempt starts the next one at once", "[io][happy_eyeballs]") {
  test::run_virtual([] {
    SocketAddress refused = tcp_listen(SocketAddress::loopback_v6(0)).local_address();
    Listener good = tcp_listen(SocketAddress::loopback_v4(0));
    std::vector<SocketAddress> addresses{refused, good.local_address()};
    TimePoint began = now();
    Socket socket = connect_happy_eyeballs(addresses);
    CHECK(test::seconds_since(began) == 0.0);
    CHECK(socket.peer_address() == good.local_address());
  });
}

TEST_CASE("when every attempt fails the error names every address", "[io][happy_eyeballs]") {
  test::run_virtual([] {
    SocketAddress refused6 = tcp_listen(SocketAddress::loopback_v6(0)).local_address();
    SocketAddress refused4 = tcp_listen(SocketAddress::loopback_v4(0)).local_address();
    std::vector<SocketAddress> addresses{refused6, refused4};
    try {
      connect_happy_eyeballs(addresses);
      FAIL("connected");
    } catch (const IoError& error) {
      CHECK(error.code() == std::errc::connection_refused);
      CHECK(std::string(error.what()) ==
            "connect to " + refused6.to_string() + ", " + refused4.to_string() + ": Connection refused");
    }
    CHECK_THROWS_AS(connect_happy_eyeballs(std::vector<SocketAddress>{}), std::invalid_argument);
  });
}

TEST_CASE("when every address is blackholed the deadline ends the race", "[io][happy_eyeballs]") {
  test::run_virtual([] {
    test::Blackhole hole6 = test::blackhole(SocketAddress::loopback_v6(0));
    test::Blackhole hole4 = test::blackhole(SocketAddress::loopback_v4(0));
    std::vector<SocketAddress> addresses{hole6.address, hole4.address};
    std::size_t fds_before = test::open_fd_count();
    TimePoint began = now();
    CHECK_THROWS_WITH(connect_happy_eyeballs(addresses, 2s),
                      "connect to " + hole6.address.to_string() + ", " + hole4.address.to_string() + ": timed out");
    CHECK(test::seconds_since(began) == Approx(2.0));
    CHECK(test::open_fd_count() == fds_before);
  });
}
