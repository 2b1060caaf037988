// Timeout scopes: timeout(delay) and timeout_at(when), nesting, reschedule, and what passes through.
#include "leak_check.hpp"

#include <spindle/compat/timeout.hpp>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("a block that finishes in time returns its value", "[compat][timeout]") {
  test::run_virtual([] {
    int value = timeout(2s, [] {
      this_fiber::sleep_for(1s);
      return 3;
    });
    CHECK(value == 3);
    this_fiber::sleep_for(5s);  // the scope's timer is gone: nothing cancels us later
  });
}

TEST_CASE("a block past its deadline is cancelled and the scope throws TimeoutError", "[compat][timeout]") {
  test::run_virtual([] {
    TimePoint start = now();
    bool unwound = false;
    CHECK_THROWS_AS(timeout(2s,
                            [&] {
                              test::SetOnDestroy unwind{unwound};
                              this_fiber::sleep_for(1h);
                            }),
                    TimeoutError);
    CHECK(now() - start == 2s);
    CHECK(unwound);
    this_fiber::sleep_for(1s);  // no cancellation left over
  });
}

TEST_CASE("when(), expired() and reschedule()", "[compat][timeout]") {
  test::run_virtual([] {
    TimePoint start = now();
    CHECK_THROWS_AS(timeout_at(start + 1s,
                               [&](Timeout& scope) {
                                 CHECK(scope.when() == start + 1s);
                                 CHECK_FALSE(scope.expired());
                                 scope.reschedule(start + 3s);
                                 this_fiber::sleep_for(2s);  // past the first deadline: still alive
                                 CHECK_FALSE(scope.expired());
                                 this_fiber::sleep_for(5s);
                               }),
                    TimeoutError);
    CHECK(now() - start == 3s);
    timeout(std::nullopt, [](Timeout& scope) {
      CHECK_FALSE(scope.when().has_value());
      this_fiber::sleep_for(1h);  // no deadline
    });
  });
}

TEST_CASE("nested scopes: the inner deadline raises TimeoutError inside the outer scope", "[compat][timeout]") {
  test::run_virtual([] {
    bool inner_timed_out = false;
    timeout(10s, [&] {
      try {
        timeout(1s, [] { this_fiber::sleep_for(1h); });
      } catch (const TimeoutError&) {
        inner_timed_out = true;
      }
      this_fiber::sleep_for(1s);  // the outer scope is still running
    });
    CHECK(inner_timed_out);
  });
}

TEST_CASE("nested scopes: the outer deadline passes through the inner scope as cancellation", "[compat][timeout]") {
  test::run_virtual([] {
    bool inner_saw_timeout = false;
    CHECK_THROWS_AS(timeout(1s,
                            [&] {
                              try {
                                timeout(10s, [] { this_fiber::sleep_for(1h); });
                              } catch (const TimeoutError&) {
                                inner_saw_timeout = true;
                              }
                            }),
                    TimeoutError);
    CHECK_FALSE(inner_saw_timeout);
  });
}

TEST_CASE("a cancellation from outside passes through the scope unchanged", "[compat][timeout]") {
  test::run_virtual([] {
    auto task = create_task([] { timeout(10s, [] { this_fiber::sleep_for(1h); }); });
    this_fiber::sleep_for(1s);
    task.cancel("from outside");
    CHECK_THROWS_WITH(task.result(), "from outside");
    CHECK(task.cancelled());
  });
}

TEST_CASE("inside a task, the scope's cancellation is counted and withdrawn", "[compat][timeout]") {
  test::run_virtual([] {
    auto task = create_task([] {
      CHECK_THROWS_AS(timeout(1s, [] { this_fiber::sleep_for(1h); }), TimeoutError);
      return current_task()->cancelling();
    });
    CHECK(task.result() == 0);
    CHECK_FALSE(task.cancelled());
  });
}

TEST_CASE("a deadline that passes as the block finishes leaves no cancellation behind", "[compat][timeout]") {
  test::run_virtual([] {
    TimePoint deadline = now() + 1s;
    WaitList gate;
    // Armed before the scope, so it fires first in the same poll step: the block is woken, and the
    // scope's timer then finds it no longer parked; the cancellation stays pending, undelivered.
    Timer opener([&] { gate.wake_one(); });
    opener.arm_at(deadline);
    int value = timeout_at(deadline, [&](Timeout& scope) {
      gate.wait("gate");
      CHECK(scope.expired());
      return 8;
    });
    CHECK(value == 8);
    this_fiber::sleep_for(1s);  // the undelivered cancellation was withdrawn: this must not throw
  });
}
