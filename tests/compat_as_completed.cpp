// as_completed(): futures in completion order, with an overall timeout.
#include "leak_check.hpp"
#include "timed_work.hpp"

#include <spindle/compat/wait.hpp>

#include <vector>

using namespace spindle;
using namespace std::chrono_literals;
using test::fails_after;
using test::returns_after;


TEST_CASE("as_completed yields futures in the order they complete", "[compat][as_completed]") {
  test::run_virtual([] {
    std::vector<Task<int>> tasks{create_task(returns_after(3s, 3)), create_task(returns_after(1s, 1)), create_task(returns_after(2s, 2))};
    auto completed = as_completed(tasks);
    std::vector<int> order;
    while (completed.remaining() > 0) order.push_back(completed.next().result());
    CHECK(order == std::vector<int>{1, 2, 3});
  });
}

TEST_CASE("as_completed throws TimeoutError when the deadline passes with futures pending",
          "[compat][as_completed]") {
  test::run_virtual([] {
    std::vector<Task<int>> tasks{create_task(returns_after(1s, 1)), create_task(returns_after(5s, 5))};
    auto completed = as_completed(tasks, 2s);
    CHECK(completed.next().result() == 1);
    TimePoint before = now();
    CHECK_THROWS_AS(completed.next(), TimeoutError);
    CHECK(now() - before == 1s);
    CHECK(tasks[1].result() == 5);  // not cancelled
  });
}
