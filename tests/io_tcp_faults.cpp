// TCP faults: a peer that resets mid-read and mid-write, a half-closed peer, a slow peer bounded by
// a timeout, partial writes into a full send buffer, a refused port and a blackholed connect.
#include "leak_check.hpp"
#include "loopback.hpp"

#include <string>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("a reset in the middle of a read is IoError ECONNRESET naming the peer", "[io][faults]") {
  test::run_virtual([] {
    auto [listener, client, server] = test::connected_pair();
    auto reader = spawn([&client] { return client.read_exactly(100); });
    server.write_all("the first half");
    this_fiber::sleep_for(10ms);  // the reader has taken what came and waits for the rest
    test::reset(server);
    try {
      reader.join();
      FAIL("read_exactly returned");
    } catch (const IoError& error) {
      CHECK(error.code() == std::errc::connection_reset);
      CHECK(std::string(error.what()) == "read from " + listener.local_address().to_string() + ": Connection reset by peer");
    }
  });
}

TEST_CASE("a reset in the middle of a write is IoError EPIPE/ECONNRESET, never SIGPIPE", "[io][faults]") {
  test::run_virtual([] {
    auto [listener, client, server] = test::connected_pair();
    std::string big(8 * 1024 * 1024, 'w');
    auto writer = spawn([&client, &big] { client.write_all(big); });
    this_fiber::sleep_for(10ms);  // the writer filled the buffers and waits
    test::reset(server);
    try {
      writer.join();
      FAIL("write_all finished into a reset connection");
    } catch (const IoError& error) {
      CHECK((error.code() == std::errc::connection_reset || error.code() == std::errc::broken_pipe));
      CHECK_THAT(error.what(), Catch::StartsWith("write to " + listener.local_address().to_string()));
    }
    // Writing again fails the same way instead of killing the process.
    CHECK_THROWS_AS(client.write_all("more"), IoError);
  });
}

TEST_CASE("a half-closed peer: reads end, writes still arrive; a fully closed one refuses writes",
          "[io][faults]") {
  test::run_virtual([] {
    auto [listener, client, server] = test::connected_pair();
    server.shutdown_write();
    CHECK(client.readline() == "");
    CHECK(client.at_eof());
    client.write_all("still listening?\n");
    CHECK(server.readline() == "still listening?\n");
    server.close();
    // The first write after the close is accepted locally and answered with a reset; one of the
    // next ones reports it.
    CHECK_THROWS_AS(
        [&client] {
          for (int i = 0; i < 100; ++i) {
            client.write_all("into the void\n");
            this_fiber::sleep_for(1ms);
          }
        }(),
        IoError);
  });
}

TEST_CASE("a peer sending one byte per second is bounded by the timeout; the bytes are kept",
          "[io][faults]") {
  test::run_virtual([] {
    auto [listener, client, server] = test::connected_pair();
    auto slow = spawn([&server] {
      for (char c : std::string("0123456789\n")) {
        server.write_all(std::string_view(&c, 1));
        this_fiber::sleep_for(1s);
      }
    });
    TimePoint began = now();
    CHECK_THROWS_WITH(client.readline(5.5s), "read from " + listener.local_address().to_string() + ": timed out");
    CHECK(test::seconds_since(began) == Approx(5.5));
    CHECK(client.buffered() == 6);  // what arrived stays for the next read
    CHECK(client.readline(10s) == "0123456789\n");
    slow.join();
  });
}

TEST_CASE("a write into a full send buffer is partial, waits, and times out if the peer never reads",
          "[io][faults]") {
  test::run_virtual([] {
    auto [listener, client, server] = test::connected_pair();
    std::size_t filled = test::fill_socket(client);
    CHECK(filled > 0);
    TimePoint began = now();
    CHECK_THROWS_WITH(client.write_all(std::string(100000, 'x'), 3s), Catch::EndsWith(": timed out"));
    CHECK(test::seconds_since(began) == Approx(3.0));

    // A reader that drains in small pieces lets a write far larger than the buffers complete, piece
    // by piece. (No deadline here: the kernel's own TCP timers run on the real clock, and a virtual
    // deadline would jump past them.)
    auto drain = spawn([&server] {
      std::string sink(1000, '\0');
      std::size_t total = 0;
      while (std::size_t got = server.read_some(std::span<char>(sink))) total += got;
      return total;
    });
    std::string big(1000000, 'b');
    client.write_all(big);
    client.shutdown_write();
    std::size_t received = drain.join();
    CHECK(received >= filled + big.size());
  });
}

TEST_CASE("connect to a blackhole times out at the connect timeout, naming the address", "[io][faults]") {
  test::run_virtual([] {
    test::Blackhole hole = test::blackhole();
    TimePoint began = now();
    CHECK_THROWS_WITH(tcp_connect(hole.address, {.timeout = 3s}), "connect to " + hole.address.to_string() + ": timed out");
    CHECK(test::seconds_since(began) == Approx(3.0));
    CHECK_THROWS_AS(tcp_connect(hole.address.host(), hole.address.port(), {.timeout = 2s}), TimeoutError);
  });
}

TEST_CASE("connect to a closed port is refused at once", "[io][faults]") {
  test::run_virtual([] {
    SocketAddress closed = tcp_listen(SocketAddress::loopback_v6(0)).local_address();
    TimePoint began = now();
    CHECK_THROWS_WITH(tcp_connect(closed, {.timeout = 10s}), "connect to " + closed.to_string() + ": Connection refused");
    CHECK(test::seconds_since(began) == 0.0);
  });
}
