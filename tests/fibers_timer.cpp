// spindle::Timer: firing order and time, cancel, re-arm, errors in callbacks, no parking in callbacks.
#include "leak_check.hpp"
#include "wait_attempts.hpp"

#include <spindle/fibers/detail/scheduler_core.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

constexpr int poll_interval = static_cast<int>(detail::SchedulerCore::poll_interval);


const std::vector<std::string> all_fiber_errors{"FiberError", "FiberError", "FiberError", "FiberError"};

}  // namespace

TEST_CASE("timers fire in deadline order, each at exactly its deadline on the virtual clock", "[fibers][timer]") {
  test::run_virtual([] {
    TimePoint start = now();
    std::vector<std::pair<int, Duration>> fired;
    auto record = [&](int index) { return [&fired, &start, index] { fired.emplace_back(index, now() - start); }; };
    Timer third(record(3));
    Timer first(record(1));
    Timer second(record(2));
    Timer tied(record(4));  // same deadline as `third`, armed after it
    third.arm_at(start + 3s);
    first.arm_after(1s);
    second.arm_at(start + 2500ms);
    tied.arm_at(start + 3s);
    CHECK(Scheduler::current()->armed_timers() == 4);
    this_fiber::sleep_for(10s);
    CHECK(fired == std::vector<std::pair<int, Duration>>{{1, 1s}, {2, 2500ms}, {3, 3s}, {4, 3s}});
    CHECK(Scheduler::current()->armed_timers() == 0);
    CHECK_FALSE(first.armed());
  });
}

TEST_CASE("cancel prevents firing and returns whether the timer was armed", "[fibers][timer]") {
  test::run_virtual([] {
    int fired = 0;
    Timer timer([&] { ++fired; });
    CHECK_FALSE(timer.armed());
    CHECK_FALSE(timer.cancel());  // never armed
    timer.arm_after(1s);
    CHECK(timer.armed());
    CHECK(timer.cancel());
    CHECK_FALSE(timer.armed());
    CHECK_FALSE(timer.cancel());  // already cancelled
    this_fiber::sleep_for(5s);
    CHECK(fired == 0);
    timer.arm_after(1s);
    this_fiber::sleep_for(2s);
    CHECK(fired == 1);
    CHECK_FALSE(timer.cancel());  // fired: no longer armed
  });
}

TEST_CASE("destroying an armed timer disarms it", "[fibers][timer]") {
  test::run_virtual([] {
    int fired = 0;
    {
      Timer timer([&] { ++fired; });
      timer.arm_after(1s);
      CHECK(Scheduler::current()->armed_timers() == 1);
    }
    CHECK(Scheduler::current()->armed_timers() == 0);
    this_fiber::sleep_for(2s);
    CHECK(fired == 0);
  });
}

TEST_CASE("re-arming moves the deadline: the timer fires once, at the new deadline", "[fibers][timer]") {
  SECTION("later") {
    test::run_virtual([] {
      TimePoint start = now();
      std::vector<Duration> fired;
      Timer timer([&] { fired.push_back(now() - start); });
      timer.arm_after(1s);
      timer.arm_after(3s);
      CHECK(timer.deadline() == start + 3s);
      CHECK(Scheduler::current()->armed_timers() == 1);
      this_fiber::sleep_for(5s);
      CHECK(fired == std::vector<Duration>{3s});
    });
  }
  SECTION("earlier") {
    test::run_virtual([] {
      TimePoint start = now();
      std::vector<Duration> fired;
      Timer timer([&] { fired.push_back(now() - start); });
      timer.arm_at(start + 3s);
      timer.arm_at(start + 1s);
      this_fiber::sleep_for(5s);
      CHECK(fired == std::vector<Duration>{1s});
    });
  }
  SECTION("from its own callback, as a periodic timer") {
    test::run_virtual([] {
      TimePoint start = now();
      std::vector<Duration> fired;
      Timer* self = nullptr;
      Timer timer([&] {
        fired.push_back(now() - start);
        if (fired.size() < 3) self->arm_after(1s);
      });
      self = &timer;
      timer.arm_after(1s);
      this_fiber::sleep_for(10s);
      CHECK(fired == std::vector<Duration>{1s, 2s, 3s});
    });
  }
}

TEST_CASE("a timer callback can wake a parked fiber at exactly its deadline", "[fibers][timer]") {
  test::run_virtual([] {
    TimePoint start = now();
    const Waker main = Waker::current();
    bool unparked = false;
    Timer timer([&] { unparked = main.unpark(); });
    timer.arm_after(2s);
    CHECK(park("woken by a timer") == WakeStatus::woken);
    CHECK(unparked);
    CHECK(now() - start == 2s);
  });
}

TEST_CASE("a timer callback that throws is reported to the diagnostic sink and the scheduler continues",
          "[fibers][timer]") {
  test::CapturedDiagnostics diagnostics;
  test::run_virtual([] {
    TimePoint start = now();
    Timer failing([] { throw std::runtime_error("tick failed"); });
    Duration later_fired_at{};
    Timer later([&] { later_fired_at = now() - start; });
    failing.arm_after(1s);
    later.arm_after(2s);
    auto sleeper = spawn([] { this_fiber::sleep_for(3s); });
    this_fiber::sleep_for(4s);
    sleeper.join();
    CHECK(later_fired_at == 2s);
    CHECK(now() - start == 4s);
  });
  auto messages = diagnostics.messages();
  REQUIRE(messages.size() == 1);
  CHECK_THAT(messages[0], Catch::Matchers::Contains("a timer callback threw") &&
                              Catch::Matchers::Contains("std::runtime_error: tick failed"));
}

TEST_CASE("parking or sleeping inside a timer callback throws FiberError", "[fibers][timer]") {
  SECTION("callback run by the idle loop") {
    test::run_virtual([] {
      std::vector<std::string> results;
      Timer timer([&] { results = test::try_every_wait("inside a timer callback"); });
      timer.arm_after(1s);
      this_fiber::sleep_for(2s);
      CHECK(results == all_fiber_errors);
    });
  }
  SECTION("callback run by the poll step inside a busy fiber's switch") {
    test::run_virtual([] {
      std::vector<std::string> results;
      Timer timer([&] { results = test::try_every_wait("inside a timer callback"); });
      timer.arm_at(now());
      for (int spins = 0; results.empty(); ++spins) {
        REQUIRE(spins <= poll_interval);
        this_fiber::yield();
      }
      CHECK(results == all_fiber_errors);
    });
  }
}

TEST_CASE("a timer with a past deadline fires at the next poll step, not when armed", "[fibers][timer]") {
  SECTION("while the fiber keeps running") {
    test::run_virtual([] {
      TimePoint start = now();
      bool fired = false;
      TimePoint fired_at{};
      Timer timer([&] {
        fired = true;
        fired_at = now();
      });
      timer.arm_at(start - 1s);
      CHECK_FALSE(fired);
      CHECK(timer.armed());
      for (int spins = 0; !fired; ++spins) {
        REQUIRE(spins <= poll_interval);
        this_fiber::yield();
      }
      CHECK(fired_at == start);
      CHECK_FALSE(timer.armed());
    });
  }
  SECTION("when the fiber waits") {
    test::run_virtual([] {
      TimePoint start = now();
      TimePoint fired_at{};
      Timer timer([&] { fired_at = now(); });
      timer.arm_at(start - 1h);
      this_fiber::sleep_for(1s);
      CHECK(fired_at == start);
    });
  }
  SECTION("re-armed from its own callback: the next firing is a later poll step") {
    // A callback that re-arms with a deadline already passed must not fire again within the same
    // poll step: a timer that always does so would keep the step from ever ending.
    test::run_virtual([] {
      int spins = 0;
      std::vector<int> fired_at_spin;
      Timer* self = nullptr;
      Timer timer([&] {
        fired_at_spin.push_back(spins);
        if (fired_at_spin.size() < 3) self->arm_at(now());
      });
      self = &timer;
      timer.arm_at(now());
      while (fired_at_spin.size() < 3 && spins < 10 * poll_interval) {
        this_fiber::yield();
        ++spins;
      }
      REQUIRE(fired_at_spin.size() == 3);
      CHECK(fired_at_spin[0] < fired_at_spin[1]);
      CHECK(fired_at_spin[1] < fired_at_spin[2]);
      timer.cancel();
    });
  }
}

namespace {

// Child process body: a timer callback run by the poll step inside the main fiber's yield() calls
// this_fiber::yield(). Exits 0 if that threw FiberError, 1 if it returned, 2 on another exception.
// Exits before tearing the scheduler down: if yield() went through, the ready queue is corrupt.
void yield_inside_a_busy_timer_callback() {
  ::alarm(10);
  Scheduler scheduler({.virtual_clock = true});
  int outcome = -1;
  scheduler.run_until_complete([&] {
    Timer timer([&] {
      try {
        this_fiber::yield();
        outcome = 1;
      } catch (const FiberError&) {
        outcome = 0;
      } catch (...) {
        outcome = 2;
      }
    });
    timer.arm_at(now());
    for (int spins = 0; outcome < 0 && spins <= 2 * poll_interval; ++spins) this_fiber::yield();
    std::_Exit(outcome < 0 ? 3 : outcome);
  });
  std::_Exit(4);
}

}  // namespace

TEST_CASE("yield inside a timer callback run within a fiber's switch throws FiberError", "[fibers][timer]") {
  // Run in a child: if yield() does not throw, it switches away from inside the poll step and
  // leaves the scheduler inconsistent.
  auto [status, errors] = test::run_in_child(yield_inside_a_busy_timer_callback);
  INFO("child stderr: " << errors);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a Timer needs a scheduler on its thread", "[fibers][timer]") {
  CHECK_THROWS_AS(Timer([] {}), FiberError);
}
