// poll, ppoll and select in a fiber: park until a descriptor is ready or the timeout passes, and
// report exactly what libc would (ready counts, revents, the sets, timeouts).
#include "hooks_support.hpp"

#include <poll.h>
#include <sys/select.h>

#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("poll parks until one of several descriptors is readable") {
  test::run_virtual([&] {
    auto first = test::BlockingPair::pipe();
    auto second = test::BlockingPair::sockets();
    test::SafetyRelease release(second.writer, 'S');
    std::vector<std::string> order;
    auto poller = spawn([&] {
      pollfd fds[2] = {{first.reader, POLLIN, 0}, {second.reader, POLLIN, 0}};
      order.push_back("poll");
      int ready = ::poll(fds, 2, 5000);
      CHECK(ready == 1);
      CHECK(fds[0].revents == 0);
      CHECK(fds[1].revents == POLLIN);
      order.push_back("ready");
    });
    this_fiber::sleep_for(1s);
    order.push_back("write");
    REQUIRE(::write(second.writer, "x", 1) == 1);
    poller.join();
    CHECK(order == std::vector<std::string>{"poll", "write", "ready"});
  });
}

TEST_CASE("poll and ppoll time out on the scheduler's clock, a single descriptor parks directly") {
  test::run_virtual([&] {
    auto pair = test::BlockingPair::pipe();
    TimePoint start = spindle::now();
    pollfd one{pair.reader, POLLIN, 0};
    CHECK(::poll(&one, 1, 1500) == 0);
    CHECK(test::seconds_since(start) == Approx(1.5));
    timespec half{0, 500'000'000};
    CHECK(::ppoll(&one, 1, &half, nullptr) == 0);
    CHECK(test::seconds_since(start) == Approx(2.0));
    CHECK(::poll(nullptr, 0, 250) == 0);  // no descriptors: a sleep
    CHECK(test::seconds_since(start) == Approx(2.25));
    pollfd both[2] = {{pair.reader, POLLIN, 0}, {pair.writer, POLLOUT, 0}};
    CHECK(::poll(both, 2, 1000) == 1);  // the write end is writable at once
    CHECK(both[1].revents == POLLOUT);
    CHECK(test::seconds_since(start) == Approx(2.25));
    pollfd closed{1000, POLLIN, 0};  // not open: POLLNVAL, as libc says
    CHECK(::poll(&closed, 1, 1000) == 1);
    CHECK(closed.revents == POLLNVAL);
  });
}

TEST_CASE("select parks until a set descriptor is ready and reports the time left") {
  test::run_virtual([&] {
    auto readable = test::BlockingPair::sockets();
    auto writable = test::BlockingPair::pipe();
    test::SafetyRelease release(readable.writer, 'S');
    auto writer = spawn([&] {
      this_fiber::sleep_for(2s);
      REQUIRE(::write(readable.writer, "x", 1) == 1);
    });
    fd_set reads;
    FD_ZERO(&reads);
    FD_SET(readable.reader, &reads);
    timeval timeout{10, 0};
    TimePoint start = spindle::now();
    int count = std::max(readable.reader, writable.reader) + 1;
    fd_set idle;
    FD_ZERO(&idle);
    FD_SET(writable.reader, &idle);
    CHECK(::select(count, &reads, nullptr, &idle, &timeout) == 1);
    CHECK(FD_ISSET(readable.reader, &reads));
    CHECK_FALSE(FD_ISSET(writable.reader, &idle));
    CHECK(test::seconds_since(start) == Approx(2.0));
    CHECK(timeout.tv_sec == 8);
    writer.join();

    char byte;
    REQUIRE(::read(readable.reader, &byte, 1) == 1);
    FD_ZERO(&reads);
    FD_SET(readable.reader, &reads);
    timeval short_wait{0, 300'000};
    CHECK(::select(count, &reads, nullptr, nullptr, &short_wait) == 0);
    CHECK_FALSE(FD_ISSET(readable.reader, &reads));
    CHECK(test::seconds_since(start) == Approx(2.3));
  });
}
