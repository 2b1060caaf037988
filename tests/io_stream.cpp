// Stream: reads are buffered (small reads cost no transport call each), large reads and writes
// skip the buffer, delimiters split across segments, limits, default timeouts.
#include "leak_check.hpp"

#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// A socket transport that counts the calls the Stream makes and remembers the last write's pieces.
class CountingTransport final : public Transport {
 public:
  explicit CountingTransport(Socket socket) : inner_(std::move(socket)) {}
  std::size_t read_some(MutableBytes into, Deadline deadline) override {
    ++reads;
    return inner_.read_some(into, deadline);
  }
  std::size_t write_some(std::span<const ConstBytes> pieces, Deadline deadline) override {
    ++writes;
    last_pieces.assign(pieces.begin(), pieces.end());
    return inner_.write_some(pieces, deadline);
  }
  void shutdown_write() override { inner_.shutdown_write(); }
  void close() noexcept override { inner_.close(); }
  std::string name() const override { return "the counted peer"; }

  int reads = 0;
  int writes = 0;
  std::vector<ConstBytes> last_pieces;

 private:
  SocketTransport inner_;
};

// A Stream over a counting transport, the transport, and the plain stream at the other end.
struct CountedPair {
  Stream stream;
  CountingTransport& counts;
  UnixStream peer;
};

CountedPair counted_pair(StreamOptions options = {}) {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
  auto transport = std::make_unique<CountingTransport>(Socket(FileDescriptor(fds[0])));
  CountingTransport& counts = *transport;
  return {Stream(std::move(transport), options), counts, UnixStream(Socket(FileDescriptor(fds[1])))};
}

}  // namespace

TEST_CASE("lines that arrive together are read with one transport call", "[io][stream]") {
  test::run_virtual([] {
    auto [stream, counts, peer] = counted_pair();
    peer.write_all("one\ntwo\nthree\n");
    CHECK(stream.readline() == "one\n");
    CHECK(stream.readline() == "two\n");
    char byte;
    CHECK(stream.read_some(std::span(&byte, 1)) == 1);
    CHECK(byte == 't');
    CHECK(stream.read_exactly(5) == "hree\n");
    CHECK(counts.reads == 1);
    CHECK(stream.buffered() == 0);
  });
}

TEST_CASE("a read at least as large as the buffer goes straight into the caller's memory", "[io][stream]") {
  test::run_virtual([] {
    auto [stream, counts, peer] = counted_pair({.buffer_size = 1024});
    std::string payload(4096, 'p');
    auto writer = spawn([&peer, &payload] { peer.write_all(payload); });
    std::string into(4096, '\0');
    stream.read_exactly(std::span<char>(into));
    CHECK(into == payload);
    CHECK(stream.buffered() == 0);  // nothing was staged in the stream's own buffer
    writer.join();
  });
}

TEST_CASE("write buffers small pieces; write_all gathers them with its data without copying it", "[io][stream]") {
  test::run_virtual([] {
    auto [stream, counts, peer] = counted_pair();
    stream.write("GET / HTTP/1.1\r\n");
    stream.write("Host: x\r\n\r\n");
    CHECK(counts.writes == 0);
    std::string body(100 * 1024, 'b');
    auto reader = spawn([&peer] { return peer.read_exactly(27 + 100 * 1024); });
    stream.write_all(body);
    REQUIRE(counts.last_pieces.size() >= 1);
    // The first call carried the buffered head and the caller's own body memory.
    CHECK(counts.writes >= 1);
    CHECK(stream.pending_write() == 0);
    std::string received = reader.join();
    CHECK(received.substr(0, 27) == "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(received.substr(27) == body);
    const std::byte* body_start = reinterpret_cast<const std::byte*>(body.data());
    const std::byte* body_end = body_start + body.size();
    // The last call sent the body's tail from the caller's own memory.
    ConstBytes tail = counts.last_pieces.back();
    CHECK((tail.data() >= body_start && tail.data() + tail.size() == body_end));
  });
}

TEST_CASE("a flush is one gathered call", "[io][stream]") {
  test::run_virtual([] {
    auto [stream, counts, peer] = counted_pair();
    stream.write("a");
    stream.write("b");
    stream.write_all("c");
    CHECK(counts.writes == 1);
    CHECK(counts.last_pieces.size() == 2);
    stream.write("d");
    stream.flush();
    CHECK(counts.writes == 2);
    CHECK(peer.read_exactly(4) == "abcd");
  });
}

TEST_CASE("a delimiter split across segments is found", "[io][stream]") {
  test::run_virtual([] {
    auto [stream, counts, peer] = counted_pair();
    auto writer = spawn([&peer] {
      peer.write_all("HTTP/1.1 200 OK\r");
      this_fiber::sleep_for(1s);
      peer.write_all("\n\r");
      this_fiber::sleep_for(1s);
      peer.write_all("\nbody");
    });
    CHECK(stream.read_until("\r\n\r\n") == "HTTP/1.1 200 OK\r\n\r\n");
    CHECK(stream.read_exactly(4) == "body");
    CHECK(counts.reads == 3);
    writer.join();
  });
}

TEST_CASE("read_until past the limit throws LimitOverrunError and keeps the bytes", "[io][stream]") {
  test::run_virtual([] {
    auto [stream, counts, peer] = counted_pair({.buffer_size = 64, .limit = 100});
    peer.write(std::string(150, 'x'));
    peer.write_all("\n");
    try {
      stream.readline();
      FAIL("readline returned");
    } catch (const LimitOverrunError& error) {
      CHECK(error.consumed() >= 100);
      CHECK_THAT(error.what(), Catch::Contains("readline from the counted peer") && Catch::Contains("100 bytes"));
    }
    CHECK(stream.read_exactly(150) == std::string(150, 'x'));
    CHECK(stream.readline() == "\n");
    peer.write_all("tiny");
    peer.shutdown_write();
    CHECK_THROWS_AS(stream.read_to_end(3), LimitOverrunError);
  });
}

TEST_CASE("the stream's default timeout applies to calls given no deadline", "[io][stream]") {
  test::run_virtual([] {
    auto [stream, counts, peer] = counted_pair({.timeout = 2s});
    TimePoint began = now();
    CHECK_THROWS_WITH(stream.readline(), Catch::StartsWith("read from socket fd") && Catch::EndsWith(": timed out"));
    CHECK(test::seconds_since(began) == Approx(2.0));
    // An explicit deadline wins over the default.
    began = now();
    CHECK_THROWS_AS(stream.readline(10s), TimeoutError);
    CHECK(test::seconds_since(began) == Approx(10.0));
    stream.set_timeout(std::nullopt);
    peer.write_all("late\n");
    CHECK(stream.readline() == "late\n");
  });
}
