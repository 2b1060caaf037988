// The compat (asyncio facade) benchmarks, one workload per run, printing
// `metric=NAME value=NUMBER unit=UNIT`. The same workloads, step for step and with the same metric
// names, are in peers/compat_peer.py, run on asyncio's own loop and on uvloop; scripts/bench_report.py
// pairs them up. Each workload runs in a fresh Loop, timed inside its main task as the Python peer
// times inside its main coroutine.
//
//   gather  N = 100k tasks, each sleep(0) once (a yield) then returns its index; the main task
//           creates them all with create_task, then gathers the vector of tasks and checks the
//           results come back in order. Timed: from the first create_task to gather's return. Two
//           rounds on the same loop: the first (cold: 100k fiber stacks are mapped and touched for
//           the first time) gives gather_cold_per_task; the second, which reuses the pooled stacks,
//           gives gather_per_task (ns per task) and gather_total (ms).
//   queue   One producer task puts the longs 0..N-1 (N = 1M) into a Queue with maxsize 1024, one
//           consumer task gets N items and checks they arrive in order; the main task gathers both.
//           Timed: from creating the two tasks to gather's return. queue_item (ns per item)
//   lock    Two tasks share one Lock and a counter. Each does N = 500k rounds of
//           {acquire; counter += 1 and note itself as the last holder; sleep(0); release}. The
//           sleep(0) while holding the lock lets the other task run and park in acquire, so every
//           release hands the lock to the other task: 2N acquisitions, strictly alternating
//           (checked: 2N - 1 changes of holder). Timed: from creating the two tasks to gather's
//           return. lock_handoff (ns per acquisition)
#include "bench_harness.hpp"

#include <spindle/spindle.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;
using namespace spindle::bench;

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  std::exit(1);
}

// One gather of `count` tasks; returns the nanoseconds it took.
double gather_round(long count) {
  auto start = Clock::now();
  std::vector<Task<long>> tasks;
  for (long i = 0; i < count; ++i) {
    tasks.push_back(create_task([i] {
      sleep(0s);
      return i;
    }));
  }
  std::vector<long> results = gather(tasks);
  double elapsed = nanoseconds_since(start);
  for (long i = 0; i < count; ++i) {
    if (results[static_cast<std::size_t>(i)] != i) fail("gather: results out of order");
  }
  return elapsed;
}

void gather_tasks() {
  const long count = scaled(100'000);
  Loop loop;
  loop.run_until_complete([&] {
    double cold = gather_round(count);
    double warm = gather_round(count);
    metric("gather_cold_per_task", cold / static_cast<double>(count), "ns");
    metric("gather_per_task", warm / static_cast<double>(count), "ns");
    metric("gather_total", warm / 1e6, "ms");
  });
}

void queue_items() {
  const long count = scaled(1'000'000);
  Loop loop;
  loop.run_until_complete([&] {
    Queue<long> queue(1024);
    auto start = Clock::now();
    gather(create_task([&] {
             for (long i = 0; i < count; ++i) queue.put(i);
           }),
           create_task([&] {
             for (long i = 0; i < count; ++i) {
               if (queue.get() != i) fail("queue: items out of order");
             }
           }));
    metric("queue_item", nanoseconds_since(start) / static_cast<double>(count), "ns");
  });
}

void lock_handoff() {
  const long rounds = scaled(500'000);
  Loop loop;
  loop.run_until_complete([&] {
    Lock lock;
    long counter = 0;
    long handoffs = 0;
    const char* holder = nullptr;
    auto worker = [&](const char* me) {
      return [&, me] {
        for (long i = 0; i < rounds; ++i) {
          lock.acquire();
          ++counter;
          if (holder != nullptr && holder != me) ++handoffs;
          holder = me;
          sleep(0s);
          lock.release();
        }
      };
    };
    auto start = Clock::now();
    gather(create_task(worker("a")), create_task(worker("b")));
    double elapsed = nanoseconds_since(start);
    if (counter != 2 * rounds || handoffs != 2 * rounds - 1) {
      std::fprintf(stderr, "lock: %ld acquisitions, %ld hand-offs; expected %ld strictly alternating\n", counter,
                   handoffs, 2 * rounds);
      std::exit(1);
    }
    metric("lock_handoff", elapsed / (2.0 * static_cast<double>(rounds)), "ns");
  });
}

}  // namespace

int main(int argc, char** argv) {
  static constexpr Workload workloads[] = {{"gather", gather_tasks}, {"queue", queue_items}, {"lock", lock_handoff}};
  return run_workloads(argc, argv, "compat", workloads);
}
