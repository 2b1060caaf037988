// Lock: asyncio.Lock's rules (FIFO, direct hand-off, errors) and its behaviour under cancellation.
#include "leak_check.hpp"

#include <spindle/compat/lock.hpp>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// Spawns `count` fibers that each take `lock`, record their number in `order` and release it.
std::vector<JoinHandle<void>> spawn_takers(Lock& lock, int count, std::vector<int>& order) {
  std::vector<JoinHandle<void>> takers;
  for (int i = 0; i < count; ++i) {
    takers.push_back(spawn([&lock, &order, i] {
      lock.acquire();
      order.push_back(i);
      this_fiber::yield();  // hold it across a switch
      lock.release();
    }));
  }
  return takers;
}

}  // namespace

TEST_CASE("a free Lock is taken at once; locked() follows acquire and release", "[compat][lock]") {
  test::run_virtual([] {
    Lock lock;
    CHECK_FALSE(lock.locked());
    bool other_ran = false;
    auto other = spawn([&] { other_ran = true; });
    lock.acquire();
    CHECK_FALSE(other_ran);  // no switch on the free path
    CHECK(lock.locked());
    lock.release();
    CHECK_FALSE(lock.locked());
    other.join();
  });
}

TEST_CASE("releasing a Lock that is not held throws InvalidStateError(\"Lock is not acquired\")", "[compat][lock]") {
  test::run_virtual([] {
    Lock lock;
    CHECK_THROWS_AS(lock.release(), InvalidStateError);
    CHECK_THROWS_WITH(lock.release(), "Lock is not acquired");
    CHECK_THROWS_WITH(lock.unlock(), "Lock is not acquired");
    lock.acquire();
    lock.release();
    CHECK_THROWS_WITH(lock.release(), "Lock is not acquired");
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("waiters get the Lock in the order they asked for it", "[compat][lock]") {
  test::run_virtual([] {
    Lock lock;
    std::vector<int> order;
    lock.acquire();
    auto takers = spawn_takers(lock, 5, order);
    this_fiber::yield();  // all five park
    CHECK(order.empty());
    lock.release();
    for (auto& taker : takers) taker.join();
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("release hands the Lock to the longest waiter: a fiber acquiring before it runs queues behind it",
          "[compat][lock]") {
  test::run_virtual([] {
    Lock lock;
    std::vector<std::string> order;
    lock.acquire();
    auto waiter = spawn([&] {
      lock.acquire();
      order.push_back("waiter");
      lock.release();
    });
    this_fiber::yield();  // the waiter parks
    lock.release();
    CHECK(lock.locked());  // handed over, not freed
    CHECK_FALSE(lock.try_lock());
    lock.acquire();  // no barging: parks behind the waiter
    order.push_back("releaser");
    lock.release();
    waiter.join();
    CHECK(order == std::vector<std::string>{"waiter", "releaser"});
  });
}

TEST_CASE("a fiber cancelled while waiting for the Lock leaves the queue and never owns it", "[compat][lock]") {
  test::run_virtual([] {
    Lock lock;
    std::vector<int> order;
    lock.acquire();
    bool victim_got_lock = false;
    auto victim = spawn([&] {
      lock.acquire();
      victim_got_lock = true;
      lock.release();
    });
    auto takers = spawn_takers(lock, 2, order);
    this_fiber::yield();  // victim, then takers 0 and 1, park
    CHECK(victim.cancel("give up"));
    this_fiber::yield();  // the victim runs and leaves
    CHECK(victim.done());
    CHECK_THROWS_AS(victim.join(), CancelledError);
    lock.release();
    for (auto& taker : takers) taker.join();
    CHECK_FALSE(victim_got_lock);
    CHECK(order == std::vector<int>{0, 1});
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("release skips a waiter that was cancelled but has not run yet and hands the Lock to the next",
          "[compat][lock]") {
  test::run_virtual([] {
    Lock lock;
    std::vector<int> order;
    lock.acquire();
    bool victim_got_lock = false;
    auto victim = spawn([&] {
      lock.acquire();
      victim_got_lock = true;
      lock.release();
    });
    auto takers = spawn_takers(lock, 2, order);
    this_fiber::yield();
    CHECK(victim.cancel());  // its Waker now refuses unpark(); it has not run
    lock.release();          // goes to taker 0, not to the victim
    CHECK(lock.locked());
    CHECK_THROWS_AS(victim.join(), CancelledError);
    for (auto& taker : takers) taker.join();
    CHECK_FALSE(victim_got_lock);
    CHECK(order == std::vector<int>{0, 1});
    CHECK_FALSE(lock.locked());
  });
}

TEST_CASE("a waiter handed the Lock and cancelled before it ran returns owning it; the cancellation comes next",
          "[compat][lock]") {
  test::run_virtual([] {
    Lock lock;
    bool returned_from_acquire = false;
    bool held_when_cancelled = false;
    std::string cancelled_with;
    lock.acquire();
    auto waiter = spawn([&] {
      lock.acquire();
      returned_from_acquire = true;
      try {
        this_fiber::sleep_for(1s);  // its next blocking point
      } catch (const CancelledError& error) {
        cancelled_with = error.message();
        held_when_cancelled = lock.locked();
        lock.release();
        throw;
      }
    });
    this_fiber::yield();
    lock.release();  // handed to the waiter
    CHECK(waiter.cancel("late"));
    CHECK_THROWS_AS(waiter.join(), CancelledError);
    CHECK(returned_from_acquire);
    CHECK(cancelled_with == "late");
    CHECK(held_when_cancelled);
    CHECK_FALSE(lock.locked());  // no permit lost: the waiter released it
  });
}

TEST_CASE("Lock works with std::scoped_lock, std::unique_lock and try_lock", "[compat][lock]") {
  test::run_virtual([] {
    Lock first;
    Lock second;
    {
      std::scoped_lock both(first, second);
      CHECK(first.locked());
      CHECK(second.locked());
    }
    CHECK_FALSE(first.locked());
    CHECK_FALSE(second.locked());

    // Two fibers take both locks in opposite orders; std::scoped_lock's try-and-back-off avoids the
    // deadlock, and the locks stay mutually exclusive across the switches.
    int inside = 0;
    int most_inside = 0;
    auto worker = [&](Lock& a, Lock& b) {
      for (int round = 0; round < 20; ++round) {
        std::scoped_lock both(a, b);
        most_inside = std::max(most_inside, ++inside);
        this_fiber::yield();
        --inside;
      }
    };
    auto one = spawn([&] { worker(first, second); });
    auto two = spawn([&] { worker(second, first); });
    one.join();
    two.join();
    CHECK(most_inside == 1);

    {
      std::unique_lock guard(first);
      CHECK(first.locked());
      guard.unlock();
      CHECK_FALSE(first.locked());
      CHECK(guard.try_lock());
      CHECK(first.locked());
    }
    CHECK_FALSE(first.locked());
    CHECK(first.try_lock());
    CHECK_FALSE(first.try_lock());
    first.unlock();
  });
}

TEST_CASE("acquiring a held Lock outside a fiber throws FiberError; the free path needs no fiber", "[compat][lock]") {
  Lock lock;
  lock.acquire();
  CHECK(lock.locked());
  CHECK_THROWS_AS(lock.acquire(), FiberError);
  CHECK(lock.locked());
  lock.release();
  CHECK_FALSE(lock.locked());
}
