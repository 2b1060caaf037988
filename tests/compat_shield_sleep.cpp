// shield() keeps a task running when the wait on it is cancelled; sleep() is asyncio.sleep.
#include "leak_check.hpp"

#include <spindle/compat/shield.hpp>
#include <spindle/compat/sleep.hpp>
#include <spindle/compat/wait.hpp>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("wait_for on a shielded task times out without cancelling the task", "[compat][shield]") {
  test::run_virtual([] {
    auto task = create_task([] {
      this_fiber::sleep_for(5s);
      return 11;
    });
    CHECK_THROWS_AS(wait_for(shield(task), 1s), TimeoutError);
    CHECK_FALSE(task.cancelled());
    CHECK(task.result() == 11);
  });
}

TEST_CASE("the shield follows the task's value, exception and cancellation", "[compat][shield]") {
  test::run_virtual([] {
    auto ok = create_task([] { return 1; });
    CHECK(shield(ok).result() == 1);
    auto failing = create_task([]() -> int { throw std::runtime_error("inner"); });
    CHECK_THROWS_WITH(shield(failing).result(), "inner");
    auto cancelled = create_task([] { this_fiber::sleep_for(1h); });
    auto outer = shield(cancelled);
    this_fiber::yield();
    cancelled.cancel();
    CHECK_THROWS_AS(outer.result(), CancelledError);
  });
}

TEST_CASE("sleep(0) is a yield, sleep(delay, result) returns the result", "[compat][sleep]") {
  test::run_virtual([] {
    bool other_ran = false;
    auto other = create_task([&] { other_ran = true; });
    TimePoint start = now();
    spindle::sleep(0s);
    CHECK(other_ran);
    CHECK(now() == start);
    CHECK(spindle::sleep(2s, std::string("done")) == "done");
    CHECK(now() - start == 2s);
    other.result();
  });
}
