// Condition: asyncio.Condition's rules: the lock is released while waiting and held again on every
// way out (including cancellation), notify order and counts, errors, sharing a Lock.
#include "leak_check.hpp"

#include <spindle/compat/condition.hpp>

#include <mutex>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// Spawns `count` fibers that each wait on `condition` once (holding its lock around the wait) and
// then record their number in `woken`.
std::vector<JoinHandle<void>> spawn_waiters(Condition& condition, int count, std::vector<int>& woken) {
  std::vector<JoinHandle<void>> waiters;
  for (int i = 0; i < count; ++i) {
    waiters.push_back(spawn([&condition, &woken, i] {
      std::unique_lock guard(condition);
      condition.wait();
      woken.push_back(i);
    }));
  }
  return waiters;
}

}  // namespace

TEST_CASE("wait and notify without holding the lock throw InvalidStateError", "[compat][condition]") {
  test::run_virtual([] {
    Condition condition;
    CHECK_THROWS_AS(condition.wait(), InvalidStateError);
    CHECK_THROWS_WITH(condition.wait(), "cannot wait on un-acquired lock");
    CHECK_THROWS_WITH(condition.wait_for([] { return false; }), "cannot wait on un-acquired lock");
    CHECK_THROWS_AS(condition.notify(), InvalidStateError);
    CHECK_THROWS_WITH(condition.notify(), "cannot notify on un-acquired lock");
    CHECK_THROWS_WITH(condition.notify_all(), "cannot notify on un-acquired lock");
    CHECK_THROWS_WITH(condition.release(), "Lock is not acquired");
    CHECK_FALSE(condition.locked());
  });
}

TEST_CASE("wait releases the lock while parked and holds it again when it returns", "[compat][condition]") {
  test::run_virtual([] {
    Condition condition;
    std::vector<std::string> events;
    auto waiter = spawn([&] {
      condition.acquire();
      events.push_back("waiter waits");
      condition.wait();
      events.push_back(condition.locked() ? "waiter returns holding the lock" : "waiter returns without the lock");
      condition.release();
    });
    this_fiber::yield();  // the waiter parks in wait(), having released the lock
    CHECK_FALSE(condition.locked());
    condition.acquire();  // free: taken at once
    condition.notify();
    this_fiber::sleep_for(1s);  // the waiter was notified, but cannot return while the lock is held
    CHECK_FALSE(waiter.done());
    events.push_back("notifier releases");
    condition.release();
    waiter.join();
    CHECK(events == std::vector<std::string>{"waiter waits", "notifier releases", "waiter returns holding the lock"});
    CHECK_FALSE(condition.locked());
  });
}

TEST_CASE("notify(n) wakes n waiters, longest-waiting first; notify_all wakes the rest", "[compat][condition]") {
  test::run_virtual([] {
    Condition condition;
    std::vector<int> woken;
    auto waiters = spawn_waiters(condition, 5, woken);
    this_fiber::yield();
    {
      std::unique_lock guard(condition);
      condition.notify(2);
    }
    this_fiber::sleep_for(1s);
    CHECK(woken == std::vector<int>{0, 1});
    {
      std::unique_lock guard(condition);
      condition.notify();
    }
    this_fiber::sleep_for(1s);
    CHECK(woken == std::vector<int>{0, 1, 2});
    {
      std::unique_lock guard(condition);
      condition.notify(10);  // more than are waiting
      condition.notify_all();
    }
    for (auto& waiter : waiters) waiter.join();
    CHECK(woken == std::vector<int>{0, 1, 2, 3, 4});
  });
}

TEST_CASE("notify with nobody waiting is not remembered", "[compat][condition]") {
  test::run_virtual([] {
    Condition condition;
    {
      std::unique_lock guard(condition);
      condition.notify_all();
      condition.notify(3);
    }
    std::vector<int> woken;
    auto waiters = spawn_waiters(condition, 1, woken);
    this_fiber::sleep_for(1s);
    CHECK(woken.empty());
    {
      std::unique_lock guard(condition);
      condition.notify();
    }
    waiters[0].join();
    CHECK(woken == std::vector<int>{0});
  });
}

TEST_CASE("wait_for waits until the predicate holds and returns its value", "[compat][condition]") {
  test::run_virtual([] {
    Condition condition;
    int items = 0;
    int predicate_calls = 0;
    int seen = 0;
    auto consumer = spawn([&] {
      std::unique_lock guard(condition);
      seen = condition.wait_for([&] {
        ++predicate_calls;
        CHECK(condition.locked());
        return items >= 3 ? items : 0;
      });
    });
    for (int i = 0; i < 5; ++i) {
      this_fiber::sleep_for(1s);
      std::unique_lock guard(condition);
      ++items;
      condition.notify();
    }
    consumer.join();
    CHECK(seen == 3);
    CHECK(predicate_calls == 4);  // once before waiting, then once after each notify until it held

    // A predicate that already holds returns at once, without waiting.
    std::unique_lock guard(condition);
    CHECK(condition.wait_for([] { return true; }));
  });
}

TEST_CASE("a fiber cancelled in wait re-acquires the lock before CancelledError propagates", "[compat][condition]") {
  test::run_virtual([] {
    Condition condition;
    bool held_when_cancelled = false;
    std::string cancelled_with;
    auto waiter = spawn([&] {
      condition.acquire();
      try {
        condition.wait();
      } catch (const CancelledError& error) {
        cancelled_with = error.message();
        held_when_cancelled = condition.locked();
        condition.release();
        throw;
      }
    });
    this_fiber::yield();
    condition.acquire();  // hold the lock while the waiter is cancelled
    CHECK(waiter.cancel("stop waiting"));
    this_fiber::sleep_for(1s);
    CHECK_FALSE(waiter.done());  // it waits for the lock before it may throw
    CHECK(cancelled_with.empty());
    condition.release();
    CHECK_THROWS_AS(waiter.join(), CancelledError);
    CHECK(cancelled_with == "stop waiting");
    CHECK(held_when_cancelled);
    CHECK_FALSE(condition.locked());
  });
}

TEST_CASE("a second cancellation while re-acquiring the lock is the one rethrown, still with the lock held",
          "[compat][condition]") {
  test::run_virtual([] {
    Condition condition;
    bool held_when_cancelled = false;
    std::string cancelled_with;
    auto waiter = spawn([&] {
      std::unique_lock guard(condition);
      try {
        condition.wait();
      } catch (const CancelledError& error) {
        cancelled_with = error.message();
        held_when_cancelled = condition.locked();
        throw;
      }
    });
    this_fiber::yield();
    condition.acquire();
    CHECK(waiter.cancel("first"));
    this_fiber::yield();  // it leaves the wait and queues for the lock
    CHECK(waiter.cancel("second"));
    this_fiber::yield();  // it leaves the lock queue and queues again
    CHECK_FALSE(waiter.done());
    condition.release();
    CHECK_THROWS_AS(waiter.join(), CancelledError);
    CHECK(cancelled_with == "second");
    CHECK(held_when_cancelled);
    CHECK_FALSE(condition.locked());
  });
}

TEST_CASE("notify skips a waiter that was cancelled but has not run yet", "[compat][condition]") {
  test::run_virtual([] {
    Condition condition;
    std::vector<int> woken;
    auto waiters = spawn_waiters(condition, 3, woken);
    this_fiber::yield();
    CHECK(waiters[0].cancel());
    {
      std::unique_lock guard(condition);
      condition.notify();  // reaches waiter 1
    }
    CHECK_THROWS_AS(waiters[0].join(), CancelledError);
    waiters[1].join();
    CHECK(woken == std::vector<int>{1});
    CHECK_FALSE(waiters[2].done());
    {
      std::unique_lock guard(condition);
      condition.notify();
    }
    waiters[2].join();
    CHECK(woken == std::vector<int>{1, 2});
  });
}

TEST_CASE("a notified waiter cancelled before it re-acquires the lock passes the notification on", "[compat][condition]") {
  test::run_virtual([] {
    Condition condition;
    std::vector<int> woken;
    auto waiters = spawn_waiters(condition, 2, woken);
    this_fiber::yield();
    condition.acquire();
    condition.notify();  // waiter 0
    CHECK(waiters[0].cancel("cancelled after notify"));
    this_fiber::yield();  // waiter 0 runs: its wait was notified, the lock re-acquire is cancelled
    condition.release();  // waiter 0 gets the lock, passes the notification to waiter 1, throws
    CHECK_THROWS_AS(waiters[0].join(), CancelledError);
    waiters[1].join();  // would deadlock if the notification had been lost
    CHECK(woken == std::vector<int>{1});
    CHECK_FALSE(condition.locked());
  });
}

TEST_CASE("a notified waiter cancelled before it ran, with the lock free, returns normally holding the lock",
          "[compat][condition]") {
  test::run_virtual([] {
    Condition condition;
    std::string outcome;
    auto waiter = spawn([&] {
      std::unique_lock guard(condition);
      condition.wait();
      outcome = condition.locked() ? "returned holding the lock" : "returned without the lock";
      try {
        this_fiber::yield();
      } catch (const CancelledError&) {
        outcome += ", then cancelled";
        throw;
      }
    });
    this_fiber::yield();
    {
      std::unique_lock guard(condition);
      condition.notify();
    }
    CHECK(waiter.cancel());
    CHECK_THROWS_AS(waiter.join(), CancelledError);
    CHECK(outcome == "returned holding the lock, then cancelled");
    CHECK_FALSE(condition.locked());
  });
}

TEST_CASE("Conditions built on a shared Lock use that Lock", "[compat][condition]") {
  test::run_virtual([] {
    Lock lock;
    Condition not_empty(lock);
    Condition not_full(lock);
    lock.acquire();
    CHECK(not_empty.locked());
    CHECK(not_full.locked());
    lock.release();
    CHECK_FALSE(not_empty.locked());

    // A bounded buffer of one slot: producer and consumer each wait on their own Condition.
    int slot = 0;
    bool full = false;
    std::vector<int> consumed;
    auto producer = spawn([&] {
      for (int value = 1; value <= 4; ++value) {
        std::scoped_lock guard(lock);
        not_full.wait_for([&] { return !full; });
        slot = value;
        full = true;
        not_empty.notify();
      }
    });
    auto consumer = spawn([&] {
      for (int i = 0; i < 4; ++i) {
        std::unique_lock guard(not_empty);
        not_empty.wait_for([&] { return full; });
        consumed.push_back(slot);
        full = false;
        not_full.notify();
      }
    });
    producer.join();
    consumer.join();
    CHECK(consumed == std::vector<int>{1, 2, 3, 4});
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("wait outside a fiber throws FiberError and leaves the lock held", "[compat][condition]") {
  Condition condition;
  condition.acquire();
  CHECK_THROWS_AS(condition.wait(), FiberError);
  CHECK(condition.locked());
  condition.release();
}
