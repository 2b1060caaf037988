// sleep, usleep, nanosleep and clock_nanosleep in a fiber sleep on the scheduler's clock and let
// the other fibers run; under the virtual clock they cost no wall time.
#include "hooks_support.hpp"

#include <time.h>

#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("every member of the sleep family parks only the calling fiber") {
  std::vector<std::string> order;
  double elapsed = 0;
  auto wall = std::chrono::steady_clock::now();
  test::run_virtual([&] {
    TimePoint start = spindle::now();
    auto sleeper = [&](const char* name, auto call) {
      return spawn([&order, name, call] {
        call();
        order.push_back(name);
      });
    };
    auto a = sleeper("sleep(4)", [] { CHECK(::sleep(4) == 0U); });
    auto b = sleeper("usleep(1s)", [] { CHECK(::usleep(1'000'000) == 0); });
    auto c = sleeper("nanosleep(2s)", [] {
      timespec span{2, 0};
      CHECK(::nanosleep(&span, nullptr) == 0);
    });
    auto d = sleeper("clock_nanosleep(3s)", [] {
      timespec span{3, 0};
      CHECK(::clock_nanosleep(CLOCK_MONOTONIC, 0, &span, nullptr) == 0);
    });
    auto e = sleeper("clock_nanosleep(absolute +0.5s)", [] {
      timespec at{};
      ::clock_gettime(CLOCK_REALTIME, &at);
      at.tv_nsec += 500'000'000;
      if (at.tv_nsec >= 1'000'000'000) {
        at.tv_nsec -= 1'000'000'000;
        ++at.tv_sec;
      }
      CHECK(::clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at, nullptr) == 0);
    });
    for (auto* fiber : {&a, &b, &c, &d, &e}) fiber->join();
    elapsed = test::seconds_since(start);
  });
  CHECK(order == std::vector<std::string>{"clock_nanosleep(absolute +0.5s)", "usleep(1s)", "nanosleep(2s)",
                                          "clock_nanosleep(3s)", "sleep(4)"});
  CHECK(elapsed == Approx(4.0).margin(0.01));
  CHECK(test::wall_seconds_since(wall) < 1.0);  // virtual time: nothing really slept
}

TEST_CASE("a cancelled sleep ends early with ECANCELED and reports the time left") {
  int error = 0;
  timespec left{};
  unsigned int sleep_left = 0;
  test::run_virtual([&] {
    auto napper = spawn([&] {
      timespec span{10, 0};
      if (::nanosleep(&span, &left) != 0) error = errno;
      this_fiber::checkpoint();  // the cancellation is still pending: this throws it
    });
    auto dozer = spawn([&] {
      sleep_left = ::sleep(10);
      this_fiber::checkpoint();
    });
    this_fiber::sleep_for(3s);
    napper.cancel();
    dozer.cancel();
    CHECK_THROWS_AS(napper.join(), CancelledError);
    CHECK_THROWS_AS(dozer.join(), CancelledError);
  });
  CHECK(error == ECANCELED);
  CHECK(left.tv_sec == 7);
  CHECK(sleep_left == 7U);
}

TEST_CASE("outside a fiber the sleep family really sleeps") {
  auto start = std::chrono::steady_clock::now();
  CHECK(::usleep(20'000) == 0);
  timespec span{0, 20'000'000};
  CHECK(::nanosleep(&span, nullptr) == 0);
  CHECK(test::wall_seconds_since(start) >= 0.04);
}
