// UDP: send_to / recv_from over IPv4 and IPv6 loopback, connected sockets, truncation, timeouts.
#include "leak_check.hpp"

#include <array>
#include <string>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("datagrams go to and come from the addresses given", "[io][udp]") {
  test::run_virtual([] {
    for (SocketAddress where : {SocketAddress::loopback_v4(0), SocketAddress::loopback_v6(0)}) {
      INFO(where.to_string());
      UdpSocket server = udp_bind(where);
      UdpSocket client = udp_bind(where);
      auto echo = spawn([&server] {
        std::array<char, 64> buffer;
        auto [size, from] = server.recv_from(buffer);
        server.send_to(std::string_view(buffer.data(), size), from);
        return from;
      });
      CHECK(client.send_to("ping", server.local_address()) == 4);
      std::array<char, 64> buffer;
      auto [size, from] = client.recv_from(buffer, 5s);
      CHECK(std::string_view(buffer.data(), size) == "ping");
      CHECK(from == server.local_address());
      CHECK(echo.join() == client.local_address());
    }
  });
}

TEST_CASE("a connected UDP socket sends and receives without addresses; big datagrams are truncated",
          "[io][udp]") {
  test::run_virtual([] {
    UdpSocket a = udp_bind(SocketAddress::loopback_v4(0));
    UdpSocket b = udp_open();
    b.connect(a.local_address());
    b.send("0123456789");
    std::array<char, 4> small;
    auto [size, from] = a.recv_from(small);
    CHECK(size == 4);
    CHECK(std::string_view(small.data(), 4) == "0123");
    a.send_to("reply", from);
    std::array<char, 16> buffer;
    CHECK(b.recv(buffer) == 5);
  });
}

TEST_CASE("recv_from times out at its deadline and names the socket", "[io][udp]") {
  test::run_virtual([] {
    UdpSocket socket = udp_bind(SocketAddress::loopback_v4(0));
    std::array<char, 16> buffer;
    TimePoint began = now();
    CHECK_THROWS_WITH(socket.recv_from(buffer, 3s), "receive on " + socket.local_address().to_string() + ": timed out");
    CHECK(test::seconds_since(began) == Approx(3.0));
  });
}

TEST_CASE("sending to a port nobody listens on reports the refusal on the next call", "[io][udp]") {
  test::run_virtual([] {
    SocketAddress nobody = udp_bind(SocketAddress::loopback_v4(0)).local_address();  // closed again
    UdpSocket socket = udp_open();
    socket.connect(nobody);
    socket.send("anyone?");
    std::array<char, 16> buffer;
    try {
      socket.recv(buffer, 5s);
      FAIL("received from a closed port");
    } catch (const IoError& error) {
      CHECK(error.code() == std::errc::connection_refused);
      CHECK_THAT(error.what(), Catch::Contains("receive from " + nobody.to_string()));
    }
  });
}
