// Barrier: asyncio.Barrier's rules: arrival indices, release together, cycles, abort, reset, and
// what cancellation does to a waiter.
#include "leak_check.hpp"

#include <spindle/compat/barrier.hpp>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// What one barrier wait() gave: its index, or which error it threw.
struct ArrivalRecord {
  std::string text = "pending";
  void record(Barrier& barrier) {
    try {
      text = std::to_string(barrier.wait());
    } catch (const BrokenBarrierError&) {
      text = "broken";
    } catch (const CancelledError&) {
      text = "cancelled";
      throw;
    }
  }
};

std::vector<std::string> texts(const std::vector<ArrivalRecord>& outcomes) {
  std::vector<std::string> result;
  for (const ArrivalRecord& outcome : outcomes) result.push_back(outcome.text);
  return result;
}

// Spawns one fiber per outcome, each waiting once on `barrier`.
std::vector<JoinHandle<void>> spawn_waiters(Barrier& barrier, std::vector<ArrivalRecord>& outcomes) {
  std::vector<JoinHandle<void>> waiters;
  for (ArrivalRecord& outcome : outcomes) waiters.push_back(spawn([&barrier, &outcome] { outcome.record(barrier); }));
  return waiters;
}

}  // namespace

TEST_CASE("a Barrier needs at least one party", "[compat][barrier]") {
  CHECK_THROWS_AS(Barrier(0), std::invalid_argument);
  CHECK_THROWS_WITH(Barrier(-2), "Barrier parties must be > 0");
  Barrier barrier(3);
  CHECK(barrier.parties() == 3);
  CHECK(barrier.n_waiting() == 0);
  CHECK_FALSE(barrier.broken());
}

TEST_CASE("wait parks until all parties arrive and returns each fiber's arrival index", "[compat][barrier]") {
  test::run_virtual([] {
    Barrier barrier(4);
    std::vector<ArrivalRecord> outcomes(3);
    std::vector<JoinHandle<void>> waiters;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      waiters.push_back(spawn([&, i] {
        this_fiber::sleep_for(std::chrono::seconds(3 - i));  // arrive in the order 2, 1, 0
        outcomes[i].record(barrier);
      }));
    }
    this_fiber::sleep_for(5s);
    CHECK(barrier.n_waiting() == 3);
    CHECK(texts(outcomes) == std::vector<std::string>{"pending", "pending", "pending"});
    CHECK(barrier.wait() == 3);  // the last party is not parked
    CHECK(barrier.n_waiting() == 0);
    for (auto& waiter : waiters) waiter.join();
    CHECK(texts(outcomes) == std::vector<std::string>{"2", "1", "0"});
    CHECK_FALSE(barrier.broken());
  });
}

TEST_CASE("a one-party Barrier returns 0 at once", "[compat][barrier]") {
  test::run_virtual([] {
    Barrier barrier(1);
    CHECK(barrier.wait() == 0);
    CHECK(barrier.wait() == 0);
  });
}

TEST_CASE("the Barrier starts over after each release, cycle after cycle", "[compat][barrier]") {
  test::run_virtual([] {
    Barrier barrier(3);
    constexpr int cycles = 4;
    std::vector<std::vector<int>> indices(3);
    std::vector<JoinHandle<void>> workers;
    for (std::size_t w = 0; w < 3; ++w) {
      workers.push_back(spawn([&, w] {
        for (int cycle = 0; cycle < cycles; ++cycle) {
          this_fiber::sleep_for(std::chrono::milliseconds(10 * (w + 1)));
          indices[w].push_back(barrier.wait());
        }
      }));
    }
    for (auto& worker : workers) worker.join();
    for (std::size_t w = 0; w < 3; ++w) {
      CAPTURE(w);
      // Worker w sleeps 10(w+1) ms after each release, so it is always the w-th to arrive.
      CHECK(indices[w] == std::vector<int>(cycles, static_cast<int>(w)));
    }
    CHECK(barrier.n_waiting() == 0);
  });
}

TEST_CASE("a fiber arriving while the released fibers have not run yet waits for the next cycle", "[compat][barrier]") {
  test::run_virtual([] {
    Barrier barrier(2);
    std::vector<ArrivalRecord> first(1);
    auto waiters = spawn_waiters(barrier, first);
    this_fiber::yield();
    CHECK(barrier.wait() == 1);  // releases the first cycle; its other fiber has not run yet
    CHECK(first[0].text == "pending");
    std::vector<ArrivalRecord> second(1);
    auto next = spawn_waiters(barrier, second);  // arrives after this fiber's next wait
    CHECK(barrier.wait() == 0);  // parks: first to arrive in the second cycle
    waiters[0].join();
    next[0].join();
    CHECK(first[0].text == "0");
    CHECK(second[0].text == "1");
  });
}

TEST_CASE("abort breaks the Barrier: current and later waiters get BrokenBarrierError until reset", "[compat][barrier]") {
  test::run_virtual([] {
    Barrier barrier(3);
    std::vector<ArrivalRecord> outcomes(2);
    auto waiters = spawn_waiters(barrier, outcomes);
    this_fiber::yield();
    CHECK(barrier.n_waiting() == 2);
    barrier.abort();
    CHECK(barrier.broken());
    CHECK(barrier.n_waiting() == 0);
    for (auto& waiter : waiters) waiter.join();
    CHECK(texts(outcomes) == std::vector<std::string>{"broken", "broken"});
    CHECK_THROWS_AS(barrier.wait(), BrokenBarrierError);
    barrier.abort();  // again: no change
    CHECK(barrier.broken());

    barrier.reset();
    CHECK_FALSE(barrier.broken());
    std::vector<ArrivalRecord> after(2);
    auto later = spawn_waiters(barrier, after);
    this_fiber::yield();
    CHECK(barrier.wait() == 2);
    for (auto& waiter : later) waiter.join();
    CHECK(texts(after) == std::vector<std::string>{"0", "1"});
  });
}

TEST_CASE("reset empties the Barrier: current waiters get BrokenBarrierError, the next cycle starts clean",
          "[compat][barrier]") {
  test::run_virtual([] {
    Barrier barrier(3);
    std::vector<ArrivalRecord> outcomes(2);
    auto waiters = spawn_waiters(barrier, outcomes);
    this_fiber::yield();
    barrier.reset();
    CHECK_FALSE(barrier.broken());
    CHECK(barrier.n_waiting() == 0);
    std::vector<ArrivalRecord> fresh(2);
    auto next = spawn_waiters(barrier, fresh);
    CHECK(barrier.wait() == 0);  // arrives before the broken waiters have even run
    for (auto& waiter : waiters) waiter.join();
    for (auto& waiter : next) waiter.join();
    CHECK(texts(outcomes) == std::vector<std::string>{"broken", "broken"});
    CHECK(texts(fresh) == std::vector<std::string>{"1", "2"});
  });
}

TEST_CASE("released fibers keep their index even if the Barrier is aborted before they run", "[compat][barrier]") {
  test::run_virtual([] {
    Barrier barrier(3);
    std::vector<ArrivalRecord> outcomes(2);
    auto waiters = spawn_waiters(barrier, outcomes);
    this_fiber::yield();
    CHECK(barrier.wait() == 2);
    barrier.abort();
    for (auto& waiter : waiters) waiter.join();
    CHECK(texts(outcomes) == std::vector<std::string>{"0", "1"});
    CHECK(barrier.broken());
  });
}

TEST_CASE("a fiber cancelled while the Barrier fills leaves it; another party is needed in its place",
          "[compat][barrier]") {
  auto run_case = [](bool victim_runs_before_next_arrival) {
    test::run_virtual([&] {
      Barrier barrier(3);
      std::vector<ArrivalRecord> outcomes(2);  // outcomes[0] is the victim
      auto waiters = spawn_waiters(barrier, outcomes);
      this_fiber::yield();
      CHECK(barrier.n_waiting() == 2);
      CHECK(waiters[0].cancel());
      if (victim_runs_before_next_arrival) {
        this_fiber::yield();
        CHECK(waiters[0].done());
        CHECK(barrier.n_waiting() == 1);
      }
      std::vector<ArrivalRecord> late(1);
      auto third = spawn_waiters(barrier, late);  // arrives after this fiber
      // This arrival would complete the cycle (and return 2 at once) if the victim still counted.
      CHECK(barrier.wait() == 1);
      CHECK_THROWS_AS(waiters[0].join(), CancelledError);
      waiters[1].join();
      third[0].join();
      CHECK(texts(outcomes) == std::vector<std::string>{"cancelled", "0"});
      CHECK(late[0].text == "2");
      CHECK(barrier.n_waiting() == 0);
    });
  };
  SECTION("the cancelled fiber has left before the next party arrives") { run_case(true); }
  SECTION("the next party arrives before the cancelled fiber has run") { run_case(false); }
}

TEST_CASE("a released fiber cancelled before it ran still returns its index", "[compat][barrier]") {
  test::run_virtual([] {
    Barrier barrier(2);
    std::string after_wait;
    auto waiter = spawn([&] {
      after_wait = std::to_string(barrier.wait());
      try {
        this_fiber::yield();
      } catch (const CancelledError&) {
        after_wait += ", then cancelled";
        throw;
      }
    });
    this_fiber::yield();
    CHECK(barrier.wait() == 1);
    CHECK(waiter.cancel());
    CHECK_THROWS_AS(waiter.join(), CancelledError);
    CHECK(after_wait == "0, then cancelled");
  });
}

TEST_CASE("a fiber cancelled while the Barrier is aborted gets CancelledError, the others BrokenBarrierError",
          "[compat][barrier]") {
  test::run_virtual([] {
    Barrier barrier(4);
    std::vector<ArrivalRecord> outcomes(3);
    auto waiters = spawn_waiters(barrier, outcomes);
    this_fiber::yield();
    CHECK(waiters[1].cancel());
    barrier.abort();
    CHECK_THROWS_AS(waiters[1].join(), CancelledError);
    waiters[0].join();
    waiters[2].join();
    CHECK(texts(outcomes) == std::vector<std::string>{"broken", "cancelled", "broken"});
  });
}
