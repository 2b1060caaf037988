// Queue shutdown (asyncio 3.13): what put, get and join do afterwards, in both modes, and what
// happens to fibers blocked at the time.
#include "leak_check.hpp"

#include <spindle/compat/queue.hpp>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// Spawns `count` fibers that each run `blocking_call` and report how it ended: "returned",
// "QueueShutDown" or "other".
template <class Call>
std::vector<JoinHandle<std::string>> spawn_blocked(int count, Call blocking_call) {
  std::vector<JoinHandle<std::string>> fibers;
  for (int i = 0; i < count; ++i) {
    fibers.push_back(spawn([blocking_call, i]() -> std::string {
      try {
        blocking_call(i);
        return "returned";
      } catch (const QueueShutDown&) {
        return "QueueShutDown";
      } catch (...) {
        return "other";
      }
    }));
  }
  this_fiber::yield();  // they all park
  for (auto& fiber : fibers) REQUIRE_FALSE(fiber.done());
  return fibers;
}

std::vector<std::string> outcomes(std::vector<JoinHandle<std::string>>& fibers) {
  std::vector<std::string> result;
  for (auto& fiber : fibers) result.push_back(fiber.join());
  return result;
}

const std::vector<std::string> all_shut_down(3, "QueueShutDown");

}  // namespace

TEMPLATE_TEST_CASE("after shutdown, put and put_nowait throw QueueShutDown, even with room", "[compat][queue]",
                   Queue<int>, LifoQueue<int>, PriorityQueue<int>) {
  const bool immediate = GENERATE(false, true);
  CAPTURE(immediate);
  test::run_virtual([immediate] {
    TestType queue(5);
    queue.put_nowait(1);
    queue.shutdown(immediate);
    CHECK_THROWS_AS(queue.put(2), QueueShutDown);
    CHECK_THROWS_AS(queue.put_nowait(3), QueueShutDown);
    CHECK(queue.qsize() == (immediate ? 0u : 1u));
  });
}

TEMPLATE_TEST_CASE("shutdown(): get and get_nowait drain the items left, then throw QueueShutDown",
                   "[compat][queue]", Queue<int>, LifoQueue<int>, PriorityQueue<int>) {
  test::run_virtual([] {
    TestType queue;
    for (int item : {2, 3, 1}) queue.put_nowait(item);
    queue.shutdown();
    CHECK(queue.qsize() == 3);
    std::vector<int> drained{queue.get(), queue.get_nowait(), queue.get()};
    std::sort(drained.begin(), drained.end());
    CHECK(drained == std::vector<int>{1, 2, 3});
    CHECK_THROWS_AS(queue.get(), QueueShutDown);
    CHECK_THROWS_AS(queue.get_nowait(), QueueShutDown);  // not QueueEmpty
  });
}

TEMPLATE_TEST_CASE("shutdown(immediate): the items left are dropped at once and get throws QueueShutDown",
                   "[compat][queue]", Queue<std::shared_ptr<int>>, LifoQueue<std::shared_ptr<int>>,
                   PriorityQueue<std::shared_ptr<int>>) {
  test::run_virtual([] {
    TestType queue(3);
    auto token = std::make_shared<int>(0);
    for (int i = 0; i < 3; ++i) queue.put_nowait(token);
    CHECK(token.use_count() == 4);
    queue.shutdown(true);
    CHECK(token.use_count() == 1);  // destroyed, not merely hidden
    CHECK(queue.qsize() == 0);
    CHECK(queue.empty());
    CHECK_THROWS_AS(queue.get(), QueueShutDown);
    CHECK_THROWS_AS(queue.get_nowait(), QueueShutDown);
  });
}

TEST_CASE("shutdown wakes every parked getter with QueueShutDown, in both modes", "[compat][queue]") {
  const bool immediate = GENERATE(false, true);
  CAPTURE(immediate);
  test::run_virtual([immediate] {
    Queue<int> queue;
    auto getters = spawn_blocked(3, [&queue](int) { queue.get(); });
    const TimePoint start = now();
    queue.shutdown(immediate);
    CHECK(outcomes(getters) == all_shut_down);
    CHECK(now() == start);
  });
}

TEST_CASE("shutdown wakes every parked putter with QueueShutDown; their items do not go in", "[compat][queue]") {
  const bool immediate = GENERATE(false, true);
  CAPTURE(immediate);
  test::run_virtual([immediate] {
    Queue<int> queue(2);
    queue.put_nowait(1);
    queue.put_nowait(2);
    auto putters = spawn_blocked(3, [&queue](int i) { queue.put(10 + i); });
    queue.shutdown(immediate);
    CHECK(outcomes(putters) == all_shut_down);
    if (immediate) {
      CHECK(queue.empty());
    } else {
      CHECK(queue.get_nowait() == 1);
      CHECK(queue.get_nowait() == 2);
    }
    CHECK_THROWS_AS(queue.get_nowait(), QueueShutDown);
  });
}

TEST_CASE("shutdown() leaves joiners waiting until the items left are taken and marked done", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue;
    queue.put_nowait(1);
    queue.put_nowait(2);
    auto joiners = spawn_blocked(3, [&queue](int) { queue.join(); });
    queue.shutdown();
    this_fiber::yield();
    for (auto& joiner : joiners) CHECK_FALSE(joiner.done());
    queue.get_nowait();
    queue.task_done();  // task_done still works after shutdown
    this_fiber::yield();
    for (auto& joiner : joiners) CHECK_FALSE(joiner.done());
    queue.get_nowait();
    queue.task_done();
    CHECK(outcomes(joiners) == std::vector<std::string>(3, "returned"));
  });
}

TEST_CASE("shutdown(immediate) counts the dropped items as done and releases joiners when none is left",
          "[compat][queue]") {
  test::run_virtual([] {
    SECTION("every unfinished item was still queued: joiners return at once") {
      Queue<int> queue;
      for (int i = 0; i < 3; ++i) queue.put_nowait(i);
      auto joiners = spawn_blocked(2, [&queue](int) { queue.join(); });
      queue.shutdown(true);
      CHECK(outcomes(joiners) == std::vector<std::string>(2, "returned"));
      CHECK_THROWS_AS(queue.task_done(), std::invalid_argument);  // nothing is unfinished any more
    }
    SECTION("an item taken but not yet done keeps joiners waiting until task_done") {
      Queue<int> queue;
      for (int i = 0; i < 3; ++i) queue.put_nowait(i);
      CHECK(queue.get_nowait() == 0);
      auto joiners = spawn_blocked(2, [&queue](int) { queue.join(); });
      queue.shutdown(true);
      this_fiber::yield();
      for (auto& joiner : joiners) CHECK_FALSE(joiner.done());
      queue.task_done();
      CHECK(outcomes(joiners) == std::vector<std::string>(2, "returned"));
    }
  });
}

TEST_CASE("a getter handed an item before shutdown(immediate) still receives it", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue;
    auto getter = spawn([&] { return queue.get(); });
    this_fiber::yield();
    queue.put_nowait(5);     // handed to the getter, which has not run yet
    queue.shutdown(true);
    CHECK(getter.join() == 5);
    queue.task_done();  // the handed item was not dropped, so it is still unfinished
    queue.join();
  });
}

TEST_CASE("a putter whose item went in before shutdown returns normally", "[compat][queue]") {
  const bool immediate = GENERATE(false, true);
  CAPTURE(immediate);
  test::run_virtual([immediate] {
    Queue<int> queue(1);
    queue.put_nowait(1);
    auto putter = spawn([&] { queue.put(2); });
    this_fiber::yield();
    CHECK(queue.get_nowait() == 1);  // takes 2 in; the putter has not run yet
    queue.shutdown(immediate);
    putter.join();
    if (!immediate) CHECK(queue.get_nowait() == 2);
    CHECK_THROWS_AS(queue.get_nowait(), QueueShutDown);
  });
}

TEST_CASE("shutdown may be called again: immediate then drops what is left", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue;
    queue.put_nowait(1);
    queue.put_nowait(2);
    queue.shutdown();
    queue.shutdown();
    CHECK(queue.qsize() == 2);
    queue.shutdown(true);
    CHECK(queue.empty());
    queue.join();  // both dropped items count as done
    CHECK_THROWS_AS(queue.get(), QueueShutDown);
  });
}
