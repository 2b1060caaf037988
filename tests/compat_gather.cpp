// gather and gather_outcomes: asyncio.gather's rules, one test each.
#include "leak_check.hpp"
#include "timed_work.hpp"

#include <spindle/compat/gather.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;
using test::fails_after;
using test::returns_after;


TEST_CASE("gather runs its children side by side and returns results in argument order", "[compat][gather]") {
  test::run_virtual([] {
    TimePoint start = now();
    auto [a, b] = gather(returns_after(3s, 1), returns_after(1s, 2));
    CHECK(a == 1);
    CHECK(b == 2);
    CHECK(now() - start == 3s);
  });
}

TEST_CASE("gather starts callables as tasks in argument order", "[compat][gather]") {
  test::run_virtual([] {
    std::string order;
    gather([&] { order += 'a'; }, [&] { order += 'b'; }, [&] { order += 'c'; });
    CHECK(order == "abc");
  });
}

TEST_CASE("gather accepts tasks, futures and callables, and void results", "[compat][gather]") {
  test::run_virtual([] {
    auto task = create_task(returns_after(1s, 10));
    Future<std::string> future;
    auto setter = create_task([future]() mutable { future.set_result("set"); });
    auto [from_task, from_future, nothing, from_callable] =
        gather(task, future, [] { this_fiber::sleep_for(2s); }, returns_after(1s, 30));
    CHECK(from_task == 10);
    CHECK(from_future == "set");
    CHECK(std::is_same_v<decltype(nothing), std::monostate>);
    CHECK(from_callable == 30);
    setter.result();
  });
}

TEST_CASE("the range form returns a vector in the order of the input", "[compat][gather]") {
  test::run_virtual([] {
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 5; ++i) tasks.push_back(create_task(returns_after(std::chrono::seconds(5 - i), i)));
    TimePoint start = now();
    std::vector<int> results = gather(tasks);
    CHECK(results == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(now() - start == 5s);
  });
}

TEST_CASE("the first failure propagates at once and the siblings keep running", "[compat][gather]") {
  test::run_virtual([] {
    auto slow = create_task(returns_after(5s, 1));
    TimePoint start = now();
    CHECK_THROWS_WITH(gather(slow, fails_after(1s, "early")), "early");
    CHECK(now() - start == 1s);
    CHECK_FALSE(slow.done());
    CHECK(slow.result() == 1);  // not cancelled
  });
}

TEST_CASE("the first failure is the first in completion order, not argument order", "[compat][gather]") {
  test::run_virtual([] {
    auto later = create_task(fails_after(2s, "second"));
    CHECK_THROWS_WITH(gather(later, fails_after(1s, "first")), "first");
    CHECK_THROWS_WITH(later.result(), "second");
  });
}

TEST_CASE("a cancelled child counts as that child raising CancelledError", "[compat][gather]") {
  test::run_virtual([] {
    auto victim = create_task(returns_after(5s, 1));
    auto sibling = create_task(returns_after(2s, 2));
    auto canceller = create_task([victim]() mutable {
      this_fiber::sleep_for(1s);
      victim.cancel("victim");
    });
    CHECK_THROWS_WITH(gather(victim, sibling), "victim");
    CHECK_FALSE(sibling.cancelled());
    CHECK(sibling.result() == 2);
    canceller.result();
  });
}

TEST_CASE("cancelling the gathering fiber cancels every unfinished child", "[compat][gather]") {
  test::run_virtual([] {
    auto done_early = create_task(returns_after(1s, 1));
    auto running = create_task(returns_after(10s, 2));
    auto gatherer = create_task([&] { return std::get<1>(gather(done_early, running)); });
    this_fiber::sleep_for(2s);
    gatherer.cancel("stop");
    CHECK_THROWS_AS(gatherer.result(), CancelledError);
    CHECK_THROWS_AS(running.result(), CancelledError);
    CHECK(running.cancelled());
    CHECK(done_early.result() == 1);
  });
}

TEST_CASE("gather_outcomes waits for every child and returns values and exceptions", "[compat][gather]") {
  test::run_virtual([] {
    auto victim = create_task(returns_after(5s, 0));
    auto canceller = create_task([victim]() mutable {
      this_fiber::sleep_for(1s);
      victim.cancel();
    });
    TimePoint start = now();
    auto [good, bad, cancelled] = gather_outcomes(returns_after(3s, 7), fails_after(1s, "bad"), victim);
    CHECK(now() - start == 3s);
    CHECK(good.ok());
    CHECK(good.value() == 7);
    CHECK_FALSE(bad.ok());
    CHECK_THROWS_WITH(bad.value(), "bad");
    CHECK_THROWS_AS(std::rethrow_exception(cancelled.error()), CancelledError);
    canceller.result();
  });
}

TEST_CASE("gather_outcomes over a vector keeps the input order", "[compat][gather]") {
  test::run_virtual([] {
    std::vector<Task<int>> tasks{create_task(fails_after(2s, "x")), create_task(returns_after(1s, 5))};
    auto outcomes = gather_outcomes(tasks);
    REQUIRE(outcomes.size() == 2);
    CHECK_FALSE(outcomes[0].ok());
    CHECK(outcomes[1].value() == 5);
  });
}
