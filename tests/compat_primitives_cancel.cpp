// Randomised cancellation against Lock, Semaphore, Condition and Barrier: many fibers contend, a
// driver fiber cancels them at random moments (while parked, or after being handed something but
// before running) and takes and releases the primitive itself (for the Barrier, released fibers
// also cancel each other). Afterwards, nothing handed out is lost or duplicated, and every fiber
// has ended.
#include "leak_check.hpp"

#include <spindle/compat/barrier.hpp>
#include <spindle/compat/condition.hpp>
#include <spindle/compat/lock.hpp>
#include <spindle/compat/semaphore.hpp>

#include <algorithm>
#include <cstddef>
#include <random>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

constexpr unsigned seed_count = 25;
constexpr int worker_count = 12;
constexpr int driver_step_limit = 100'000;

// One worker of contend(): where it is, what was done to it, and how it ended.
struct WorkerRecord {
  bool in_acquire = false;
  unsigned long acquire_ticket = 0;  // when it last entered acquire()
  bool cancel_requested = false;
  bool cancel_came_in_acquire = false;
  // Endings: exactly one is set.
  bool cancelled_while_acquiring = false;  // acquire() threw CancelledError: it got nothing
  bool cancelled_while_holding = false;    // cancelled after acquire() returned: it gave back what it held
  bool finished = false;                   // every round done
  // Cancelled inside acquire(), yet acquire() returned holding a permit it had been handed.
  bool cancel_hit_a_handed_permit = false;
};

bool all_done(std::vector<JoinHandle<void>>& fibers) {
  return std::all_of(fibers.begin(), fibers.end(), [](const JoinHandle<void>& fiber) { return fiber.done(); });
}

void cancel_worker(std::size_t index, std::vector<JoinHandle<void>>& workers, std::vector<WorkerRecord>& records) {
  REQUIRE(workers[index].cancel("random cancel"));
  records[index].cancel_requested = true;
  records[index].cancel_came_in_acquire = records[index].in_acquire;
}

// Cancels one random worker that is still running and was not cancelled yet.
void cancel_random_worker(std::mt19937& random, std::vector<JoinHandle<void>>& workers,
                          std::vector<WorkerRecord>& records) {
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    if (!records[i].cancel_requested && !workers[i].done()) candidates.push_back(i);
  }
  if (!candidates.empty()) cancel_worker(candidates[random() % candidates.size()], workers, records);
}

// Cancels the worker that has been inside acquire() longest, not counting those already cancelled.
// Right after a release() that found waiters, that is the one just handed the permit.
void cancel_longest_waiter(std::vector<JoinHandle<void>>& workers, std::vector<WorkerRecord>& records) {
  std::size_t longest = records.size();
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (records[i].in_acquire && !records[i].cancel_requested &&
        (longest == records.size() || records[i].acquire_ticket < records[longest].acquire_ticket)) {
      longest = i;
    }
  }
  if (longest != records.size()) cancel_worker(longest, workers, records);
}

// The contention scenario for anything with acquire()/release() and `permits` permits (Lock: 1).
// Workers take the primitive a few rounds each and hold it across a few switches; the driver cancels
// workers, takes and releases it itself, and yields. `free_permits()` reads how many are free.
// Returns how often a cancellation reached a fiber that had just been handed a permit.
template <class Primitive, class FreePermits>
int contend(unsigned seed, Primitive& primitive, int permits, FreePermits free_permits) {
  int handed_then_cancelled = 0;
  test::run_virtual([&] {
    std::mt19937 random(seed);
    int holders = 0;
    int most_holders = 0;
    auto check_accounting = [&] {
      most_holders = std::max(most_holders, holders);
      CHECK(holders <= permits);
      // A permit is free, held, or handed to a fiber that has not run yet: never more than `permits`.
      CHECK(free_permits() + holders <= permits);
    };
    std::vector<WorkerRecord> records(worker_count);
    unsigned long next_ticket = 0;
    std::vector<JoinHandle<void>> workers;
    for (std::size_t i = 0; i < static_cast<std::size_t>(worker_count); ++i) {
      const int rounds = 4 + static_cast<int>(random() % 6);
      const int hold_switches = static_cast<int>(random() % 4);
      workers.push_back(spawn([&, i, rounds, hold_switches] {
        WorkerRecord& record = records[i];
        for (int round = 0; round < rounds; ++round) {
          record.in_acquire = true;
          record.acquire_ticket = next_ticket++;
          try {
            primitive.acquire();
          } catch (const CancelledError&) {
            record.in_acquire = false;
            record.cancelled_while_acquiring = true;
            return;
          }
          record.in_acquire = false;
          ++holders;
          check_accounting();
          bool cancelled = false;
          try {
            for (int k = 0; k < hold_switches; ++k) this_fiber::yield();
            this_fiber::checkpoint();
          } catch (const CancelledError&) {
            cancelled = true;
          }
          --holders;
          primitive.release();
          if (cancelled) {
            record.cancelled_while_holding = true;
            record.cancel_hit_a_handed_permit = record.cancel_came_in_acquire;
            return;
          }
        }
        record.finished = true;
      }));
    }
    this_fiber::yield();  // every worker has started

    bool driver_holds = false;
    int steps = 0;
    while (!all_done(workers)) {
      REQUIRE(++steps < driver_step_limit);
      switch (random() % 10) {
        case 0:
          cancel_random_worker(random, workers, records);
          break;
        case 1:
        case 2:
        case 3:
          if (driver_holds) {
            --holders;
            primitive.release();
            driver_holds = false;
            if (random() % 2 == 0) cancel_longest_waiter(workers, records);
          } else {
            primitive.acquire();  // the driver is never cancelled
            ++holders;
            driver_holds = true;
          }
          check_accounting();
          break;
        case 4:
          this_fiber::sleep_for(1ms);
          break;
        default:
          this_fiber::yield();
          break;
      }
    }
    if (driver_holds) {
      --holders;
      primitive.release();
    }
    for (auto& worker : workers) worker.join();

    CHECK(holders == 0);
    CHECK(most_holders <= permits);
    CHECK(free_permits() == permits);  // every permit accounted for
    for (std::size_t i = 0; i < records.size(); ++i) {
      CAPTURE(i);
      const WorkerRecord& record = records[i];
      const int endings = int{record.cancelled_while_acquiring} + int{record.cancelled_while_holding} + int{record.finished};
      CHECK(endings == 1);
      // A cancellation request always arrives: the driver only cancels fibers that have not ended.
      CHECK(record.cancel_requested == !record.finished);
      handed_then_cancelled += int{record.cancel_hit_a_handed_permit};
    }
  });
  return handed_then_cancelled;
}

}  // namespace

TEST_CASE("randomised cancellation on a Lock: one holder at a time, the lock ends free", "[compat][cancel]") {
  int handed_then_cancelled = 0;
  for (unsigned seed = 1; seed <= seed_count; ++seed) {
    CAPTURE(seed);
    Lock lock;
    handed_then_cancelled += contend(seed, lock, 1, [&] { return lock.locked() ? 0 : 1; });
    CHECK_FALSE(lock.locked());
  }
  CHECK(handed_then_cancelled > 0);  // the seeds do exercise the hand-off-then-cancel race
}

TEST_CASE("randomised cancellation on a Semaphore(3): at most 3 holders, every permit back", "[compat][cancel]") {
  int handed_then_cancelled = 0;
  for (unsigned seed = 1; seed <= seed_count; ++seed) {
    CAPTURE(seed);
    Semaphore semaphore(3);
    handed_then_cancelled += contend(seed, semaphore, 3, [&] { return static_cast<int>(semaphore.value()); });
    CHECK(semaphore.value() == 3);
  }
  CHECK(handed_then_cancelled > 0);
}

TEST_CASE("randomised cancellation on a BoundedSemaphore(3): never released too often", "[compat][cancel]") {
  for (unsigned seed = 1; seed <= seed_count; ++seed) {
    CAPTURE(seed);
    BoundedSemaphore semaphore(3);
    contend(seed, semaphore, 3, [&] { return static_cast<int>(semaphore.value()); });
    CHECK(semaphore.value() == 3);
  }
}

TEST_CASE("randomised cancellation on a Condition: the lock is held on every way out of wait, no notification is lost",
          "[compat][cancel]") {
  for (unsigned seed = 1; seed <= seed_count; ++seed) {
    CAPTURE(seed);
    test::run_virtual([seed] {
      std::mt19937 random(seed);
      Condition condition;
      int holders = 0;
      int tokens = 0;
      int produced = 0;
      int consumed = 0;
      constexpr std::size_t waiter_count = 40;
      enum class Ending { running, consumed, cancelled };
      std::vector<Ending> endings(waiter_count, Ending::running);
      std::vector<bool> cancel_requested(waiter_count, false);
      std::vector<unsigned long> in_wait_since(waiter_count, 0);  // 0: not inside wait()
      unsigned long next_ticket = 1;
      auto took_lock = [&] {
        ++holders;
        CHECK(holders == 1);
        CHECK(condition.locked());
      };

      // Each worker consumes one token, waiting for it under the condition. More workers than the
      // driver makes tokens before it winds down, so waiters are left for the wind-down to check.
      std::vector<JoinHandle<void>> workers;
      for (std::size_t i = 0; i < waiter_count; ++i) {
        workers.push_back(spawn([&, i] {
          try {
            std::unique_lock guard(condition);
            took_lock();
            struct Leave {
              int& holders;
              ~Leave() { --holders; }  // runs before the guard releases the lock
            } leave{holders};
            while (tokens == 0) {
              --holders;
              in_wait_since[i] = next_ticket++;
              try {
                condition.wait();
              } catch (const CancelledError&) {
                in_wait_since[i] = 0;
                took_lock();  // cancelled, yet holding the lock again
                throw;
              }
              in_wait_since[i] = 0;
              took_lock();
            }
            --tokens;
            ++consumed;
            endings[i] = Ending::consumed;
          } catch (const CancelledError&) {
            endings[i] = Ending::cancelled;
          }
        }));
      }
      this_fiber::yield();

      auto cancel_worker = [&](std::size_t index) {
        REQUIRE(workers[index].cancel("random cancel"));
        cancel_requested[index] = true;
      };
      auto cancel_random_worker = [&] {
        std::vector<std::size_t> candidates;
        for (std::size_t i = 0; i < workers.size(); ++i) {
          if (!cancel_requested[i] && !workers[i].done()) candidates.push_back(i);
        }
        if (!candidates.empty()) cancel_worker(candidates[random() % candidates.size()]);
      };
      // The worker inside wait() the longest, not counting those already cancelled: right after a
      // notify, usually the one it woke.
      auto cancel_longest_waiter = [&] {
        std::size_t longest = workers.size();
        for (std::size_t i = 0; i < workers.size(); ++i) {
          if (in_wait_since[i] != 0 && !cancel_requested[i] &&
              (longest == workers.size() || in_wait_since[i] < in_wait_since[longest])) {
            longest = i;
          }
        }
        if (longest != workers.size()) cancel_worker(longest);
      };
      // Adds a token and notifies. With `cancel_notified`, cancels the waiter just woken and keeps
      // the lock across a switch, so that waiter's re-acquire is where the cancellation lands.
      auto produce = [&](std::size_t notify_count, bool cancel_notified) {
        condition.acquire();
        took_lock();
        ++tokens;
        ++produced;
        condition.notify(notify_count);
        if (cancel_notified) {
          cancel_longest_waiter();
          this_fiber::yield();
        }
        --holders;
        condition.release();
      };

      int steps = 0;
      for (int step = 0; step < 80; ++step) {
        switch (random() % 8) {
          case 0:
            cancel_random_worker();
            break;
          case 1:
          case 2:
            produce(1 + random() % 2, random() % 2 == 0);
            break;
          default:
            this_fiber::yield();
            break;
        }
      }
      // Wind down without cancelling: one token and one notify at a time, only while no token is
      // left. A lost notification leaves a token next to a parked waiter forever and trips the
      // step limit.
      while (!all_done(workers)) {
        REQUIRE(++steps < driver_step_limit);
        if (tokens == 0) produce(1, false);
        this_fiber::yield();
      }
      for (auto& worker : workers) worker.join();

      CHECK(holders == 0);
      CHECK_FALSE(condition.locked());
      CHECK(produced == consumed + tokens);
      for (std::size_t i = 0; i < endings.size(); ++i) {
        CAPTURE(i);
        CHECK(endings[i] != Ending::running);
        if (endings[i] == Ending::cancelled) CHECK(cancel_requested[i]);
      }
    });
  }
}

TEST_CASE("randomised cancellation on a Barrier: every cycle lets exactly `parties` fibers through", "[compat][cancel]") {
  for (unsigned seed = 1; seed <= seed_count; ++seed) {
    CAPTURE(seed);
    test::run_virtual([seed] {
      constexpr int parties = 3;
      std::mt19937 random(seed);
      Barrier barrier(parties);
      std::vector<int> index_count(parties, 0);
      int finished = 0;
      int broken = 0;
      int cancelled = 0;
      std::vector<bool> cancel_requested(worker_count, false);
      std::vector<bool> in_wait(worker_count, false);
      std::vector<JoinHandle<void>> workers;
      // Cancels a random worker still running and not cancelled yet (with `only_in_wait`, one
      // inside barrier.wait(): parked, or released and not run yet).
      auto cancel_random_worker = [&](bool only_in_wait) {
        std::vector<std::size_t> candidates;
        for (std::size_t i = 0; i < workers.size(); ++i) {
          if (!cancel_requested[i] && !workers[i].done() && (in_wait[i] || !only_in_wait)) candidates.push_back(i);
        }
        if (candidates.empty()) return;
        const std::size_t pick = candidates[random() % candidates.size()];
        cancel_requested[pick] = true;  // before cancel(): a fiber may cancel itself
        REQUIRE(workers[pick].cancel());
      };
      for (std::size_t i = 0; i < static_cast<std::size_t>(worker_count); ++i) {
        workers.push_back(spawn([&, i] {
          try {
            for (int round = 0; round < 6; ++round) {
              in_wait[i] = true;
              const int index = barrier.wait();
              in_wait[i] = false;
              REQUIRE(index >= 0);
              REQUIRE(index < parties);
              ++index_count[static_cast<std::size_t>(index)];
              // Sometimes a released fiber cancels a waiter and arrives again at once, before that
              // one has run: the race in which a cancelled waiter must not count as a party.
              if (random() % 3 == 0) cancel_random_worker(true);
              if (random() % 2 == 0) {
                this_fiber::checkpoint();  // a released fiber cancelled before it ran stops here
              } else {
                this_fiber::yield();
              }
            }
            ++finished;
          } catch (const BrokenBarrierError&) {
            in_wait[i] = false;
            ++broken;
          } catch (const CancelledError&) {
            in_wait[i] = false;
            ++cancelled;
          }
        }));
      }
      for (int step = 0; step < 80; ++step) {
        if (random() % 4 == 0) cancel_random_worker(false);
        this_fiber::yield();
      }
      barrier.abort();  // lets out whoever still waits for a cycle that cannot fill
      for (auto& worker : workers) {
        try {
          worker.join();
        } catch (const CancelledError&) {
          ++cancelled;  // cancelled before it ever ran
        }
      }
      // Each completed cycle gave out every index once, so the counts are equal.
      CHECK(index_count[0] == index_count[1]);
      CHECK(index_count[1] == index_count[2]);
      CHECK(index_count[0] > 0);
      CHECK(barrier.n_waiting() == 0);
      CHECK(cancelled == static_cast<int>(std::count(cancel_requested.begin(), cancel_requested.end(), true)));
      CHECK(finished + broken + cancelled == worker_count);
    });
  }
}
