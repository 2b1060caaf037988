// TaskGroup: waits for its children; the first failure cancels the rest and the block; errors come
// out together.
#include "leak_check.hpp"

#include <spindle/compat/task_group.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("a task group returns once every child has finished", "[compat][task_group]") {
  test::run_virtual([] {
    TimePoint start = now();
    std::vector<int> finished;
    task_group([&](TaskGroup& group) {
      group.create_task([&] {
        this_fiber::sleep_for(3s);
        finished.push_back(3);
      });
      group.create_task([&] {
        this_fiber::sleep_for(1s);
        finished.push_back(1);
      });
    });
    CHECK(now() - start == 3s);
    CHECK(finished == std::vector<int>{1, 3});
  });
}

TEST_CASE("the first failure cancels the other children and the block, and errors come out grouped",
          "[compat][task_group]") {
  test::run_virtual([] {
    bool sibling_cancelled = false;
    bool block_cancelled = false;
    TimePoint start = now();
    try {
      task_group([&](TaskGroup& group) {
        group.create_task([&] {
          try {
            this_fiber::sleep_for(1h);
          } catch (const CancelledError&) {
            sibling_cancelled = true;
            throw;
          }
        });
        group.create_task([]() -> int {
          this_fiber::sleep_for(1s);
          throw std::runtime_error("child failed");
        });
        try {
          this_fiber::sleep_for(1h);  // the block keeps working until the failure cancels it
        } catch (const CancelledError&) {
          block_cancelled = true;
          throw;
        }
      });
      FAIL("task_group should have thrown");
    } catch (const ExceptionGroup& group) {
      REQUIRE(group.exceptions().size() == 1);
      CHECK_THROWS_WITH(std::rethrow_exception(group.exceptions()[0]), "child failed");
    }
    CHECK(now() - start == 1s);
    CHECK(sibling_cancelled);
    CHECK(block_cancelled);
  });
}

TEST_CASE("every failure is collected, the block's first", "[compat][task_group]") {
  test::run_virtual([] {
    try {
      task_group([&](TaskGroup& group) {
        group.create_task([]() -> int {
          this_fiber::sleep_for(1s);
          throw std::runtime_error("child");
        });
        throw std::logic_error("block");
      });
      FAIL("task_group should have thrown");
    } catch (const ExceptionGroup& group) {
      REQUIRE(group.exceptions().size() == 1);  // the child was cancelled before it failed
      CHECK_THROWS_AS(std::rethrow_exception(group.exceptions()[0]), std::logic_error);
    }
  });
}

TEST_CASE("two children failing at the same moment both appear", "[compat][task_group]") {
  test::run_virtual([] {
    try {
      task_group([&](TaskGroup& group) {
        for (const char* name : {"one", "two"}) {
          group.create_task([name]() -> int {
            this_fiber::sleep_for(1s);
            throw std::runtime_error(name);
          });
        }
      });
      FAIL("task_group should have thrown");
    } catch (const ExceptionGroup& group) {
      // The second child was already past its last blocking point when the first failure cancelled
      // it, so it failed too.
      CHECK(group.exceptions().size() == 2);
      CHECK(std::string(group.what()).find("unhandled errors in a TaskGroup (2 sub-exceptions)") == 0);
    }
  });
}

TEST_CASE("cancelling the fiber that runs the group cancels the children and propagates", "[compat][task_group]") {
  test::run_virtual([] {
    bool child_cancelled = false;
    auto runner = create_task([&] {
      task_group([&](TaskGroup& group) {
        group.create_task([&] {
          try {
            this_fiber::sleep_for(1h);
          } catch (const CancelledError&) {
            child_cancelled = true;
            throw;
          }
        });
      });
    });
    this_fiber::sleep_for(1s);
    runner.cancel();
    CHECK_THROWS_AS(runner.result(), CancelledError);
    CHECK(child_cancelled);
  });
}

TEST_CASE("a group shutting down after a failure refuses new children", "[compat][task_group]") {
  test::run_virtual([] {
    bool refused = false;
    CHECK_THROWS_AS(task_group([&](TaskGroup& group) {
                      group.create_task([]() -> int { throw std::runtime_error("x"); });
                      try {
                        this_fiber::yield();  // the child fails; the shutdown cancels the block here
                      } catch (const CancelledError&) {
                        CHECK_THROWS_AS(group.create_task([] {}), InvalidStateError);
                        refused = true;
                        throw;
                      }
                    }),
                    ExceptionGroup);
    CHECK(refused);
  });
}
