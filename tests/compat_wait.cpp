// wait(): done/pending sets by return_when and timeout; never raises on timeout, never cancels.
#include "leak_check.hpp"
#include "timed_work.hpp"

#include <spindle/compat/wait.hpp>

#include <stdexcept>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;
using test::fails_after;
using test::returns_after;


TEST_CASE("ALL_COMPLETED waits for every future", "[compat][wait]") {
  test::run_virtual([] {
    std::vector<Task<int>> tasks{create_task(returns_after(2s, 1)), create_task(returns_after(1s, 2))};
    TimePoint start = now();
    auto [done, pending] = wait(tasks);
    CHECK(now() - start == 2s);
    CHECK(done.size() == 2);
    CHECK(pending.empty());
    CHECK(done[0].result() == 2);  // completion order
  });
}

TEST_CASE("FIRST_COMPLETED returns as soon as one is done", "[compat][wait]") {
  test::run_virtual([] {
    std::vector<Task<int>> tasks{create_task(returns_after(3s, 1)), create_task(returns_after(1s, 2))};
    TimePoint start = now();
    auto [done, pending] = wait(tasks, std::nullopt, ReturnWhen::first_completed);
    CHECK(now() - start == 1s);
    REQUIRE(done.size() == 1);
    CHECK(done[0].result() == 2);
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].result() == 1);  // not cancelled
  });
}

TEST_CASE("FIRST_EXCEPTION returns after about 1 s with one done and one pending (the seed's program)",
          "[compat][wait]") {
  test::run_virtual([] {
    std::vector<Task<int>> tasks{create_task(returns_after(3s, 1)), create_task(fails_after(1s))};
    TimePoint start = now();
    auto [done, pending] = wait(tasks, std::nullopt, ReturnWhen::first_exception);
    CHECK(now() - start == 1s);
    REQUIRE(done.size() == 1);
    CHECK_THROWS_WITH(done[0].result(), "failed");
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].result() == 1);
  });
}

TEST_CASE("FIRST_EXCEPTION without any exception waits for all", "[compat][wait]") {
  test::run_virtual([] {
    std::vector<Task<int>> tasks{create_task(returns_after(2s, 1)), create_task(returns_after(1s, 2))};
    auto [done, pending] = wait(tasks, std::nullopt, ReturnWhen::first_exception);
    CHECK(done.size() == 2);
    CHECK(pending.empty());
  });
}

TEST_CASE("a timeout returns the split so far and neither raises nor cancels", "[compat][wait]") {
  test::run_virtual([] {
    std::vector<Task<int>> tasks{create_task(returns_after(5s, 1)), create_task(returns_after(1s, 2))};
    TimePoint start = now();
    auto [done, pending] = wait(tasks, 2s);
    CHECK(now() - start == 2s);
    CHECK(done.size() == 1);
    REQUIRE(pending.size() == 1);
    CHECK_FALSE(pending[0].cancelled());
    CHECK(pending[0].result() == 1);
  });
}

TEST_CASE("an empty input is rejected", "[compat][wait]") {
  test::run_virtual([] { CHECK_THROWS_AS(wait(std::vector<Future<int>>{}), std::invalid_argument); });
}
