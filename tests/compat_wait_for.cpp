// wait_for(): a deadline on one awaitable; on timeout the work is cancelled and waited out.
#include "leak_check.hpp"

#include <spindle/compat/wait.hpp>

#include <stdexcept>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("wait_for returns the result when the work finishes in time", "[compat][wait_for]") {
  test::run_virtual([] {
    int value = wait_for([] {
      this_fiber::sleep_for(1s);
      return 5;
    }, 2s);
    CHECK(value == 5);
  });
}

TEST_CASE("on timeout the work is cancelled, its cleanup finishes, then TimeoutError", "[compat][wait_for]") {
  test::run_virtual([] {
    bool cleanup_finished = false;
    auto work = create_task([&] {
      try {
        this_fiber::sleep_for(1h);
      } catch (const CancelledError&) {
        this_fiber::sleep_for(500ms);  // cleanup that itself waits
        cleanup_finished = true;
        throw;
      }
    });
    TimePoint start = now();
    CHECK_THROWS_AS(wait_for(work, 2s), TimeoutError);
    CHECK(cleanup_finished);
    CHECK(now() - start == 2500ms);
    CHECK(work.cancelled());
  });
}

TEST_CASE("a result that arrives while the work is being cancelled is returned, not lost", "[compat][wait_for]") {
  test::run_virtual([] {
    auto work = create_task([] {
      try {
        this_fiber::sleep_for(1h);
      } catch (const CancelledError&) {
        return 99;  // finishes anyway
      }
      return 0;
    });
    CHECK(wait_for(work, 1s) == 99);
  });
}

TEST_CASE("the work's exception propagates", "[compat][wait_for]") {
  test::run_virtual([] {
    CHECK_THROWS_WITH(wait_for([]() -> int { throw std::logic_error("bad input"); }, 1s), "bad input");
  });
}

TEST_CASE("cancelling the waiter cancels the work too", "[compat][wait_for]") {
  test::run_virtual([] {
    auto work = create_task([] { this_fiber::sleep_for(1h); });
    auto waiter = create_task([work] { wait_for(work, 10s); });
    this_fiber::sleep_for(1s);
    waiter.cancel();
    CHECK_THROWS_AS(waiter.result(), CancelledError);
    CHECK_THROWS_AS(work.result(), CancelledError);
  });
}

TEST_CASE("a cancelled waiter returns only once the work has finished its cleanup (as asyncio since 3.8)",
          "[compat][wait_for]") {
  test::run_virtual([] {
    TimePoint start = now();
    bool work_finished = false;
    auto work = create_task([&] {
      try {
        this_fiber::sleep_for(1h);
      } catch (const CancelledError&) {
        this_fiber::sleep_for(1s);  // cleanup that still uses the waiter's locals
        work_finished = true;
        throw;
      }
    });
    auto waiter = create_task([&] {
      try {
        wait_for(work, 10s);
      } catch (const CancelledError&) {
        CHECK(work_finished);
        CHECK(test::seconds_since(start) == Approx(2.0));
        throw;
      }
    });
    this_fiber::sleep_for(1s);
    waiter.cancel();
    CHECK_THROWS_AS(waiter.result(), CancelledError);
    CHECK(work.cancelled());
  });
}
