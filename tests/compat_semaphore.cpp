// Semaphore and BoundedSemaphore: asyncio's rules (FIFO, direct hand-off, bounds, errors) and their
// behaviour under cancellation.
#include "leak_check.hpp"

#include <spindle/compat/semaphore.hpp>

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// Spawns `count` fibers that each take a permit, record their number in `order`, yield and give
// the permit back.
std::vector<JoinHandle<void>> spawn_takers(Semaphore& semaphore, int count, std::vector<int>& order) {
  std::vector<JoinHandle<void>> takers;
  for (int i = 0; i < count; ++i) {
    takers.push_back(spawn([&semaphore, &order, i] {
      semaphore.acquire();
      order.push_back(i);
      this_fiber::yield();
      semaphore.release();
    }));
  }
  return takers;
}

}  // namespace

TEST_CASE("a Semaphore gives out its permits at once, then parks; value and locked follow", "[compat][semaphore]") {
  test::run_virtual([] {
    Semaphore semaphore(2);
    CHECK(semaphore.value() == 2);
    CHECK_FALSE(semaphore.locked());
    bool other_ran = false;
    auto other = spawn([&] { other_ran = true; });
    semaphore.acquire();
    semaphore.acquire();
    CHECK_FALSE(other_ran);  // no switch while permits are free
    CHECK(semaphore.value() == 0);
    CHECK(semaphore.locked());
    bool third_got_it = false;
    auto third = spawn([&] {
      semaphore.acquire();
      third_got_it = true;
    });
    this_fiber::sleep_for(1s);
    CHECK_FALSE(third_got_it);
    semaphore.release();
    third.join();
    CHECK(third_got_it);
    CHECK(semaphore.value() == 0);
    semaphore.release();
    semaphore.release();
    CHECK(semaphore.value() == 2);
    other.join();
  });
}

TEST_CASE("the default Semaphore has one permit; Semaphore(0) starts locked", "[compat][semaphore]") {
  test::run_virtual([] {
    Semaphore one;
    CHECK(one.value() == 1);
    Semaphore none(0);
    CHECK(none.locked());
    bool got_it = false;
    auto waiter = spawn([&] {
      none.acquire();
      got_it = true;
    });
    this_fiber::sleep_for(1s);
    CHECK_FALSE(got_it);
    none.release();
    waiter.join();
    CHECK(got_it);
    CHECK(none.value() == 0);
  });
}

TEST_CASE("a negative initial value throws std::invalid_argument", "[compat][semaphore]") {
  CHECK_THROWS_AS(Semaphore(-1), std::invalid_argument);
  CHECK_THROWS_WITH(Semaphore(-1), "Semaphore initial value must be >= 0");
  CHECK_THROWS_AS(BoundedSemaphore(-3), std::invalid_argument);
}

TEST_CASE("Semaphore waiters get permits in the order they asked", "[compat][semaphore]") {
  test::run_virtual([] {
    Semaphore semaphore(0);
    std::vector<int> order;
    auto takers = spawn_takers(semaphore, 5, order);
    this_fiber::yield();
    CHECK(order.empty());
    semaphore.release();  // one permit circulates through all five, in order
    for (auto& taker : takers) taker.join();
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(semaphore.value() == 1);
  });
}

TEST_CASE("release hands the permit to the longest waiter: a fiber acquiring before it runs queues behind it",
          "[compat][semaphore]") {
  test::run_virtual([] {
    Semaphore semaphore(1);
    std::vector<std::string> order;
    semaphore.acquire();
    auto waiter = spawn([&] {
      semaphore.acquire();
      order.push_back("waiter");
      semaphore.release();
    });
    this_fiber::yield();
    semaphore.release();
    CHECK(semaphore.value() == 0);  // handed over, not added to the value
    CHECK(semaphore.locked());
    semaphore.acquire();  // parks behind the waiter
    order.push_back("releaser");
    semaphore.release();
    waiter.join();
    CHECK(order == std::vector<std::string>{"waiter", "releaser"});
    CHECK(semaphore.value() == 1);
  });
}

TEST_CASE("a fiber cancelled while waiting for a permit leaves without one; the permit goes to the next waiter",
          "[compat][semaphore]") {
  auto run_case = [](bool victim_runs_before_release) {
    test::run_virtual([&] {
      Semaphore semaphore(0);
      std::vector<int> order;
      bool victim_got_permit = false;
      auto victim = spawn([&] {
        semaphore.acquire();
        victim_got_permit = true;
      });
      auto takers = spawn_takers(semaphore, 2, order);
      this_fiber::yield();
      CHECK(victim.cancel());
      if (victim_runs_before_release) {
        this_fiber::yield();
        CHECK(victim.done());
      }
      semaphore.release();  // skips the victim
      CHECK_THROWS_AS(victim.join(), CancelledError);
      for (auto& taker : takers) taker.join();
      CHECK_FALSE(victim_got_permit);
      CHECK(order == std::vector<int>{0, 1});
      CHECK(semaphore.value() == 1);  // the single permit, back
    });
  };
  SECTION("the cancelled waiter has already left") { run_case(true); }
  SECTION("the cancelled waiter has not run yet: release skips it") { run_case(false); }
}

TEST_CASE("a waiter handed a permit and cancelled before it ran returns holding it", "[compat][semaphore]") {
  test::run_virtual([] {
    Semaphore semaphore(0);
    bool returned_from_acquire = false;
    auto waiter = spawn([&] {
      semaphore.acquire();
      returned_from_acquire = true;
      try {
        this_fiber::yield();
      } catch (const CancelledError&) {
        semaphore.release();
        throw;
      }
    });
    this_fiber::yield();
    semaphore.release();
    CHECK(waiter.cancel());
    CHECK_THROWS_AS(waiter.join(), CancelledError);
    CHECK(returned_from_acquire);
    CHECK(semaphore.value() == 1);
  });
}

TEST_CASE("a plain Semaphore may be released above its initial value", "[compat][semaphore]") {
  test::run_virtual([] {
    Semaphore semaphore(1);
    semaphore.release();
    semaphore.release();
    CHECK(semaphore.value() == 3);
  });
}

TEST_CASE("BoundedSemaphore refuses a release above its initial value", "[compat][semaphore]") {
  test::run_virtual([] {
    BoundedSemaphore semaphore(2);
    CHECK(semaphore.value() == 2);
    CHECK_THROWS_AS(semaphore.release(), std::invalid_argument);
    CHECK_THROWS_WITH(semaphore.release(), "BoundedSemaphore released too many times");
    CHECK(semaphore.value() == 2);
    semaphore.acquire();
    semaphore.release();
    CHECK(semaphore.value() == 2);

    // Through a Semaphore& too.
    Semaphore& plain = semaphore;
    CHECK_THROWS_WITH(plain.release(), "BoundedSemaphore released too many times");

    // With waiters parked, release hands the permit over.
    semaphore.acquire();
    semaphore.acquire();
    auto waiter = spawn([&] {
      semaphore.acquire();
      semaphore.release();
    });
    this_fiber::yield();
    semaphore.release();
    waiter.join();
    semaphore.release();
    CHECK(semaphore.value() == 2);
    CHECK_THROWS_WITH(semaphore.release(), "BoundedSemaphore released too many times");

    BoundedSemaphore none(0);
    CHECK_THROWS_WITH(none.release(), "BoundedSemaphore released too many times");
    BoundedSemaphore default_bound;
    CHECK(default_bound.value() == 1);
  });
}

TEST_CASE("std::lock_guard holds a permit for a scope; try_lock never jumps the queue", "[compat][semaphore]") {
  test::run_virtual([] {
    Semaphore semaphore(1);
    {
      std::lock_guard permit(semaphore);
      CHECK(semaphore.value() == 0);
      CHECK_FALSE(semaphore.try_lock());
    }
    CHECK(semaphore.value() == 1);
    CHECK(semaphore.try_lock());
    auto queued = create_task([&] { std::lock_guard permit(semaphore); });
    this_fiber::yield();  // the task is now queued for the permit
    semaphore.unlock();   // handed straight to the queued task
    CHECK_FALSE(semaphore.try_lock());
    queued.result();
    CHECK(semaphore.value() == 1);
  });
}
