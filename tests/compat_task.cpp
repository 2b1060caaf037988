// Task<T> and create_task: results, failures, cancellation, names, current_task/all_tasks.
#include "leak_check.hpp"

#include <spindle/compat/task.hpp>

#include <stdexcept>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("a task runs its body in its own fiber and result() waits for it", "[compat][task]") {
  test::run_virtual([] {
    std::vector<std::string> trace;
    auto task = create_task([&] {
      trace.push_back("body");
      this_fiber::sleep_for(1s);
      return 6 * 7;
    });
    trace.push_back("created");
    CHECK_FALSE(task.done());
    CHECK(task.result() == 42);
    CHECK(task.done());
    CHECK(trace == std::vector<std::string>{"created", "body"});
  });
}

TEST_CASE("a failing task stores its exception", "[compat][task]") {
  test::run_virtual([] {
    auto task = create_task([]() -> int { throw std::out_of_range("index 9"); });
    CHECK_THROWS_AS(task.result(), std::out_of_range);
    CHECK(task.exception() != nullptr);
    CHECK_FALSE(task.cancelled());
  });
}

TEST_CASE("cancel() stops the task's fiber at its blocking point and marks it cancelled", "[compat][task]") {
  test::run_virtual([] {
    bool cleaned_up = false;
    auto task = create_task([&] {
      test::SetOnDestroy cleanup{cleaned_up};
      this_fiber::sleep_for(1h);
    });
    this_fiber::yield();
    CHECK(task.cancel("enough"));
    CHECK(task.cancelling() == 1);
    CHECK_FALSE(task.done());  // cancellation takes effect when the fiber runs
    CHECK_THROWS_WITH(task.result(), "enough");
    CHECK(task.cancelled());
    CHECK(cleaned_up);
    CHECK_FALSE(task.cancel());
  });
}

TEST_CASE("a task cancelled before it starts never runs its body", "[compat][task]") {
  test::run_virtual([] {
    bool ran = false;
    auto task = create_task([&] { ran = true; });
    task.cancel();
    CHECK_THROWS_AS(task.result(), CancelledError);
    CHECK_FALSE(ran);
  });
}

TEST_CASE("a body that catches its cancellation and returns is not cancelled", "[compat][task]") {
  test::run_virtual([] {
    auto task = create_task([] {
      try {
        this_fiber::sleep_for(1h);
      } catch (const CancelledError&) {
        return std::string("caught");
      }
      return std::string("slept");
    });
    this_fiber::yield();
    task.cancel();
    CHECK(task.result() == "caught");
    CHECK_FALSE(task.cancelled());
    CHECK(task.cancelling() == 1);
    CHECK(task.uncancel() == 0);
  });
}

TEST_CASE("the loop owns a running task: dropping every handle does not stop it", "[compat][task]") {
  test::run_virtual([] {
    int finished = 0;
    create_task([&] {
      this_fiber::sleep_for(1s);
      ++finished;
    });
    this_fiber::sleep_for(2s);
    CHECK(finished == 1);
  });
}

TEST_CASE("names: given, default, and renamed", "[compat][task]") {
  test::run_virtual([] {
    auto named = create_task([] {}, "fetch");
    auto unnamed = create_task([] {});
    CHECK(named.get_name() == "fetch");
    CHECK(unnamed.get_name().rfind("fiber#", 0) == 0);
    named.set_name("fetch-2");
    CHECK(named.get_name() == "fetch-2");
    named.result();
    unnamed.result();
  });
}

TEST_CASE("current_task and all_tasks see running tasks only", "[compat][task]") {
  test::run_virtual([] {
    CHECK_FALSE(current_task().has_value());  // main is a plain fiber, not a task
    auto task = create_task([] {
      auto self = current_task();
      REQUIRE(self.has_value());
      CHECK(self->get_name() == "worker");
      this_fiber::sleep_for(1s);
    }, "worker");
    this_fiber::yield();
    auto tasks = all_tasks();
    REQUIRE(tasks.size() == 1);
    CHECK(tasks[0].get_name() == "worker");
    CHECK_FALSE(tasks[0].done());
    task.result();
    CHECK(all_tasks().empty());
  });
}

TEST_CASE("a task's exception nobody retrieved is reported with its name and creation site", "[compat][task]") {
  test::CapturedDiagnostics diagnostics;
  int line = 0;
  test::run_virtual([&] {
    line = __LINE__ + 1;
    auto task = create_task([] { throw std::runtime_error("lost"); }, "orphan");
    this_fiber::yield();
    CHECK(task.done());
  });
  auto messages = diagnostics.messages();
  REQUIRE(messages.size() == 1);
  // The creation site is spelled as the compiler saw the file: relative to the build directory.
  CHECK_THAT(messages[0], Catch::StartsWith("spindle: exception in task 'orphan' (created at ") &&
                              Catch::EndsWith("tests/compat_task.cpp:" + std::to_string(line) +
                                              ") was never retrieved: std::runtime_error: lost"));
}
