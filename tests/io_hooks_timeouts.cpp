// SO_RCVTIMEO and SO_SNDTIMEO bound a hooked call's wait as they bound the kernel's: EAGAIN (or
// EINPROGRESS for connect) once the timeout passes, on the scheduler's clock.
#include "hooks_support.hpp"

#include <sys/socket.h>

#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

void set_timeout(int fd, int option, timeval timeout) {
  REQUIRE(::setsockopt(fd, SOL_SOCKET, option, &timeout, sizeof timeout) == 0);
}

}  // namespace

TEST_CASE("SO_RCVTIMEO ends a parked read with EAGAIN while other fibers run") {
  test::run_virtual([&] {
    auto pair = test::BlockingPair::sockets();
    set_timeout(pair.reader, SO_RCVTIMEO, {2, 500'000});
    int ticks = 0;
    auto ticker = spawn([&] {
      for (int i = 0; i < 4; ++i) {
        this_fiber::sleep_for(500ms);
        ++ticks;
      }
    });
    TimePoint start = spindle::now();
    char byte;
    errno = 0;
    CHECK(::read(pair.reader, &byte, 1) == -1);
    CHECK(errno == EAGAIN);
    CHECK(test::seconds_since(start) == Approx(2.5));
    CHECK(ticks == 4);
    ticker.join();

    // Data that arrives in time is read; the timeout is per call.
    auto writer = spawn([&] {
      this_fiber::sleep_for(2s);
      REQUIRE(::write(pair.writer, "z", 1) == 1);
    });
    CHECK(::recv(pair.reader, &byte, 1, 0) == 1);
    CHECK(byte == 'z');
    writer.join();
  });
}

TEST_CASE("SO_SNDTIMEO ends a parked write on a full socket with the bytes sent so far") {
  test::run_virtual([&] {
    auto pair = test::BlockingPair::sockets();
    set_timeout(pair.writer, SO_SNDTIMEO, {1, 0});
    std::vector<char> data(1 << 22, 's');  // more than the socket buffers hold
    TimePoint start = spindle::now();
    ssize_t sent = ::send(pair.writer, data.data(), data.size(), 0);
    CHECK(sent > 0);
    CHECK(sent < static_cast<ssize_t>(data.size()));
    CHECK(test::seconds_since(start) == Approx(1.0));
    errno = 0;
    CHECK(::write(pair.writer, data.data(), data.size()) == -1);  // nothing fits any more
    CHECK(errno == EAGAIN);
  });
}
