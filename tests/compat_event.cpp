// Event: asyncio.Event's rules: wait returns at once when set, set wakes every waiter, clear.
#include "leak_check.hpp"

#include <spindle/compat/event.hpp>

#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("an Event starts clear; set and clear change is_set", "[compat][event]") {
  test::run_virtual([] {
    Event event;
    CHECK_FALSE(event.is_set());
    event.set();
    CHECK(event.is_set());
    event.set();  // setting twice is harmless
    CHECK(event.is_set());
    event.clear();
    CHECK_FALSE(event.is_set());
  });
}

TEST_CASE("wait on a set Event returns at once without switching", "[compat][event]") {
  test::run_virtual([] {
    Event event;
    event.set();
    bool other_ran = false;
    auto other = spawn([&] { other_ran = true; });
    event.wait();
    CHECK_FALSE(other_ran);
    other.join();
  });
}

TEST_CASE("wait parks until set; set wakes every waiter, in the order they waited", "[compat][event]") {
  test::run_virtual([] {
    Event event;
    std::vector<int> woken;
    std::vector<JoinHandle<void>> waiters;
    for (int i = 0; i < 4; ++i) {
      waiters.push_back(spawn([&, i] {
        event.wait();
        woken.push_back(i);
      }));
    }
    const TimePoint start = now();
    auto setter = spawn([&] {
      this_fiber::sleep_for(2s);
      event.set();
    });
    for (auto& waiter : waiters) waiter.join();
    setter.join();
    CHECK(woken == std::vector<int>{0, 1, 2, 3});
    CHECK(test::seconds_since(start) == 2.0);
  });
}

TEST_CASE("a waiter woken by set returns even if the Event is cleared before it runs", "[compat][event]") {
  test::run_virtual([] {
    Event event;
    bool returned = false;
    auto waiter = spawn([&] {
      event.wait();
      returned = true;
    });
    this_fiber::yield();
    event.set();
    event.clear();
    waiter.join();
    CHECK(returned);
    CHECK_FALSE(event.is_set());
  });
}

TEST_CASE("after clear, wait parks again until the next set", "[compat][event]") {
  test::run_virtual([] {
    Event event;
    event.set();
    event.clear();
    bool returned = false;
    auto waiter = spawn([&] {
      event.wait();
      returned = true;
    });
    this_fiber::sleep_for(1s);
    CHECK_FALSE(returned);
    CHECK_FALSE(waiter.done());
    event.set();
    waiter.join();
    CHECK(returned);
  });
}

TEST_CASE("a fiber cancelled while waiting on an Event throws CancelledError; the other waiters still wake",
          "[compat][event]") {
  test::run_virtual([] {
    Event event;
    std::string victim_outcome;
    bool other_woken = false;
    auto victim = spawn([&] {
      try {
        event.wait();
        victim_outcome = "returned";
      } catch (const CancelledError& error) {
        victim_outcome = "cancelled: " + error.message();
        throw;
      }
    });
    auto other = spawn([&] {
      event.wait();
      other_woken = true;
    });
    this_fiber::yield();
    CHECK(victim.cancel("stop"));
    CHECK_THROWS_AS(victim.join(), CancelledError);
    CHECK(victim_outcome == "cancelled: stop");
    CHECK_FALSE(other_woken);
    event.set();
    other.join();
    CHECK(other_woken);
  });
}

TEST_CASE("set from a timer callback wakes the waiters", "[compat][event]") {
  test::run_virtual([] {
    Event event;
    Timer timer([&] { event.set(); });
    timer.arm_after(3s);
    const TimePoint start = now();
    event.wait();
    CHECK(test::seconds_since(start) == 3.0);
  });
}
