// The loop API: call_soon/call_later/call_at and their handles, run_until_complete, run_forever and
// stop, close, time, call_soon_threadsafe.
#include "leak_check.hpp"

#include <spindle/compat/loop.hpp>

#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("run_until_complete returns main's value and tasks survive between runs", "[compat][loop]") {
  Loop loop({.virtual_clock = true});
  std::vector<std::string> trace;
  int value = loop.run_until_complete([&] {
    create_task([&] {
      this_fiber::sleep_for(5s);
      trace.push_back("background finished");
    });
    return 4;
  });
  CHECK(value == 4);
  CHECK(trace.empty());
  loop.run_until_complete([] { this_fiber::sleep_for(10s); });
  CHECK(trace == std::vector<std::string>{"background finished"});
}

TEST_CASE("callbacks run in order: call_soon first, then timers by deadline", "[compat][loop]") {
  Loop loop({.virtual_clock = true});
  std::vector<std::string> order;
  loop.run_until_complete([&] {
    Loop& current = Loop::current();
    current.call_later(2s, [&] { order.push_back("later 2s"); });
    current.call_at(now() + 1s, [&] { order.push_back("at 1s"); });
    current.call_soon([&] { order.push_back("soon 1"); });
    current.call_soon([&] { order.push_back("soon 2"); });
    CHECK(order.empty());
    this_fiber::sleep_for(3s);
  });
  CHECK(order == std::vector<std::string>{"soon 1", "soon 2", "at 1s", "later 2s"});
}

TEST_CASE("a cancelled handle never runs; when() reports the deadline", "[compat][loop]") {
  Loop loop({.virtual_clock = true});
  int runs = 0;
  loop.run_until_complete([&] {
    Loop& current = Loop::current();
    TimePoint deadline = now() + 1s;
    Handle timer = current.call_at(deadline, [&] { runs += 1; });
    Handle soon = current.call_soon([&] { runs += 10; });
    CHECK(timer.when() == deadline);
    timer.cancel();
    soon.cancel();
    CHECK(timer.cancelled());
    this_fiber::sleep_for(2s);
  });
  CHECK(runs == 0);
}

TEST_CASE("run_forever runs until a callback calls stop()", "[compat][loop]") {
  Loop loop({.virtual_clock = true});
  int ticks = 0;
  std::function<void()> tick = [&] {
    if (++ticks == 3) {
      loop.stop();
    } else {
      loop.call_later(1s, tick);
    }
  };
  loop.call_soon(tick);
  double start = loop.time();
  loop.run_forever();
  CHECK(ticks == 3);
  CHECK(loop.time() - start == Approx(2.0));
  CHECK_FALSE(loop.is_running());
}

TEST_CASE("is_running inside, close cancels tasks and later runs fail", "[compat][loop]") {
  Loop loop({.virtual_clock = true});
  bool unwound = false;
  loop.run_until_complete([&] {
    CHECK(Loop::current().is_running());
    CHECK_THROWS_AS(Loop::current().close(), InvalidStateError);
    create_task([&] {
      test::SetOnDestroy flag{unwound};
      this_fiber::sleep_for(1h);
    });
  });
  loop.close();
  CHECK(unwound);
  CHECK(loop.is_closed());
  CHECK_THROWS_WITH(loop.run_until_complete([] {}), "loop is closed");
}

TEST_CASE("call_soon_threadsafe runs work from another thread on the loop", "[compat][loop]") {
  Loop loop;  // real clock: the other thread's post wakes the loop
  std::thread::id ran_on;
  loop.run_until_complete([&] {
    Loop& current = Loop::current();
    WaitList done;
    bool finished = false;
    std::thread other([&] {
      current.call_soon_threadsafe([&] {
        ran_on = std::this_thread::get_id();
        finished = true;
        done.wake_all();
      });
    });
    while (!finished) done.wait("the other thread's callback");
    other.join();
  });
  CHECK(ran_on == std::this_thread::get_id());
}

TEST_CASE("loop methods from the wrong thread throw", "[compat][loop]") {
  Loop loop({.virtual_clock = true});
  std::exception_ptr error;
  std::thread other([&] {
    try {
      loop.call_soon([] {});
    } catch (...) {
      error = std::current_exception();
    }
  });
  other.join();
  REQUIRE(error);
  CHECK_THROWS_AS(std::rethrow_exception(error), InvalidStateError);
}

TEST_CASE("done callbacks of the awaited task run before run_until_complete returns", "[compat][loop]") {
  Loop loop({.virtual_clock = true});
  std::vector<std::string> order;
  Task<int> task = create_task([] { return 1; });
  task.add_done_callback([&](const Future<int>& done) { order.push_back("callback saw " + std::to_string(done.result())); });
  int value = loop.run_until_complete(task);
  order.push_back("run_until_complete returned " + std::to_string(value));
  CHECK(order == std::vector<std::string>{"callback saw 1", "run_until_complete returned 1"});
}

TEST_CASE("call_at takes loop.time() + seconds, as in asyncio", "[compat][loop]") {
  Loop loop({.virtual_clock = true});
  double fired_at = 0;
  loop.run_until_complete([&] {
    Loop& current = Loop::current();
    double start = current.time();
    current.call_at(start + 1.5, [&] { fired_at = current.time() - start; });
    spindle::sleep(2s);
  });
  CHECK(fired_at == Approx(1.5));
  CHECK_THROWS_AS(loop.call_at(std::nan(""), [] {}), std::invalid_argument);
}
