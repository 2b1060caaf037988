// Sleeping on the scheduler's clock, real and virtual.
#include "leak_check.hpp"

#include <algorithm>
#include <random>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("sleep_for advances virtual time exactly and costs no wall time", "[fibers][sleep]") {
  auto wall_start = Clock::now();
  test::run_virtual([] {
    TimePoint start = now();
    this_fiber::sleep_for(30s);
    CHECK(now() - start == 30s);
    this_fiber::sleep_until(start + 45s);
    CHECK(now() - start == 45s);
  });
  CHECK(Clock::now() - wall_start < 5s);
}

TEST_CASE("sleeps overlap: 3 s and 1 s side by side take 3 s", "[fibers][sleep]") {
  test::run_virtual([] {
    TimePoint start = now();
    std::vector<std::string> events;
    auto a = spawn([&] {
      events.push_back("in a");
      this_fiber::sleep_for(3s);
      events.push_back("resume a");
    });
    auto b = spawn([&] {
      events.push_back("in b");
      this_fiber::sleep_for(1s);
      events.push_back("resume b");
    });
    a.join();
    b.join();
    CHECK(events == std::vector<std::string>{"in a", "in b", "resume b", "resume a"});
    CHECK(now() - start == 3s);
  });
}

TEST_CASE("a sleep storm wakes every fiber in deadline order, each exactly on time", "[fibers][sleep]") {
  test::run_virtual([] {
    constexpr int count = 10'000;
    std::mt19937 random(12345);
    std::uniform_int_distribution<int> delay_ms(0, 100);
    std::vector<int> delays(count);
    for (int& delay : delays) delay = delay_ms(random);
    std::vector<std::pair<TimePoint, int>> wakes;
    wakes.reserve(count);
    TimePoint start = now();
    std::vector<JoinHandle<void>> fibers;
    for (int i = 0; i < count; ++i) {
      fibers.push_back(spawn([&, i] {
        this_fiber::sleep_for(std::chrono::milliseconds(delays[i]));
        wakes.emplace_back(now(), i);
      }));
    }
    for (auto& fiber : fibers) fiber.join();
    REQUIRE(wakes.size() == count);
    CHECK(std::is_sorted(wakes.begin(), wakes.end(),
                         [](auto& left, auto& right) { return left.first < right.first; }));
    for (auto& [when, index] : wakes) REQUIRE(when - start == std::chrono::milliseconds(delays[index]));
    CHECK(now() - start == std::chrono::milliseconds(*std::max_element(delays.begin(), delays.end())));
  });
}

TEST_CASE("equal deadlines wake in the order the sleeps began", "[fibers][sleep]") {
  test::run_virtual([] {
    std::vector<int> order;
    std::vector<JoinHandle<void>> fibers;
    TimePoint deadline = now() + 1s;
    for (int i = 0; i < 4; ++i) {
      fibers.push_back(spawn([&, i] {
        this_fiber::sleep_until(deadline);
        order.push_back(i);
      }));
    }
    for (auto& fiber : fibers) fiber.join();
    CHECK(order == std::vector<int>{0, 1, 2, 3});
  });
}

TEST_CASE("sleep of zero or less is a yield", "[fibers][sleep]") {
  test::run_virtual([] {
    bool other_ran = false;
    auto other = spawn([&] { other_ran = true; });
    TimePoint start = now();
    this_fiber::sleep_for(-5ms);
    CHECK(other_ran);
    CHECK(now() == start);
    other.join();
  });
}

TEST_CASE("real clock: a short sleep takes at least its duration", "[fibers][sleep]") {
  test::run_virtual(
      [] {
        auto start = Clock::now();
        this_fiber::sleep_for(2ms);
        CHECK(Clock::now() - start >= 2ms);
      },
      SchedulerOptions{});
}
