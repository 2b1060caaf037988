// The executor benchmarks, printing `metric=NAME value=NUMBER unit=UNIT`. The same workloads, with
// the same metric names, are in peers/executor_peer.py (Python's asyncio run_in_executor on a
// ThreadPoolExecutor, and concurrent.futures.ProcessPoolExecutor); scripts/bench_report.py pairs them.
//
//   thread_job   A ThreadPoolExecutor(4) and a trivial function (x + 1). From a task on a running
//                Loop: N = 5k jobs one at a time, `run_in_executor(pool, f, i)` then wait for it
//                (thread_job_roundtrip, ns per job: submit to result, including both wake-ups);
//                then N = 50k jobs submitted at once through run_in_executor and gathered
//                (thread_job_batch, ns per job).
//   process_job  A ProcessPoolExecutor(2), the same function, from the main thread (Python's
//                peer calls concurrent.futures directly): N = 2k jobs one at a time,
//                `submit(f, i).result()` (process_job_roundtrip), then N = 20k submitted at once and
//                waited for in order (process_job_batch). The pool is warmed by one job per worker
//                first, so worker start-up is not counted.
//   speedup      8 CPU-bound jobs (a 40M-step multiply-xorshift chain each, which no compiler can
//                fold) on a ProcessPoolExecutor of 1 worker, then of 2: speedup_1_worker and
//                speedup_2_workers (ms for the set) and speedup_factor (1 worker / 2 workers).
#include "bench_harness.hpp"

#include <spindle/spindle.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace spindle;
using namespace spindle::bench;

namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "%s\n", what);
  std::exit(1);
}

long increment(long x) { return x + 1; }

std::uint64_t churn(std::uint64_t steps) {
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (std::uint64_t i = 0; i < steps; ++i) {
    x = x * 6364136223846793005ull + i;
    x ^= x >> 29;
  }
  return x;
}

void thread_job() {
  const long roundtrips = scaled(5'000);
  const long batch = scaled(50'000);
  ThreadPoolExecutor pool(4);
  Loop loop;
  loop.run_until_complete([&] {
    auto start = Clock::now();
    for (long i = 0; i < roundtrips; ++i) {
      auto [value] = gather(loop.run_in_executor(pool, increment, i));
      if (value != i + 1) fail("thread_job: wrong result");
    }
    metric("thread_job_roundtrip", nanoseconds_since(start) / static_cast<double>(roundtrips), "ns");
    start = Clock::now();
    std::vector<Future<long>> jobs;
    jobs.reserve(static_cast<std::size_t>(batch));
    for (long i = 0; i < batch; ++i) jobs.push_back(loop.run_in_executor(pool, increment, i));
    std::vector<long> values = gather(jobs);
    metric("thread_job_batch", nanoseconds_since(start) / static_cast<double>(batch), "ns");
    for (long i = 0; i < batch; ++i) {
      if (values[static_cast<std::size_t>(i)] != i + 1) fail("thread_job: wrong batch result");
    }
  });
}

void process_job() {
  const long roundtrips = scaled(2'000);
  const long batch = scaled(20'000);
  ProcessPoolExecutor pool(2);
  pool.map(increment, std::vector<long>{0, 1});  // both workers started
  auto start = Clock::now();
  for (long i = 0; i < roundtrips; ++i) {
    if (pool.submit(increment, i).result() != i + 1) fail("process_job: wrong result");
  }
  metric("process_job_roundtrip", nanoseconds_since(start) / static_cast<double>(roundtrips), "ns");
  start = Clock::now();
  std::vector<ConcurrentFuture<long>> jobs;
  jobs.reserve(static_cast<std::size_t>(batch));
  for (long i = 0; i < batch; ++i) jobs.push_back(pool.submit(increment, i));
  for (long i = 0; i < batch; ++i) {
    if (jobs[static_cast<std::size_t>(i)].result() != i + 1) fail("process_job: wrong batch result");
  }
  metric("process_job_batch", nanoseconds_since(start) / static_cast<double>(batch), "ns");
}

// Runs the CPU-bound set on `workers` processes; returns milliseconds.
double cpu_set(std::size_t workers, std::uint64_t steps) {
  ProcessPoolExecutor pool(workers);
  pool.map(churn, std::vector<std::uint64_t>(workers, 1));  // workers started before the clock
  auto start = Clock::now();
  std::vector<std::uint64_t> results = pool.map(churn, std::vector<std::uint64_t>(8, steps));
  double elapsed = nanoseconds_since(start) / 1e6;
  for (std::uint64_t result : results) {
    if (result != results[0]) fail("speedup: the jobs disagree");
  }
  return elapsed;
}

void speedup() {
  const auto steps = static_cast<std::uint64_t>(scaled(40'000'000));
  double one = cpu_set(1, steps);
  double two = cpu_set(2, steps);
  metric("speedup_1_worker", one, "ms");
  metric("speedup_2_workers", two, "ms");
  metric("speedup_factor", one / two, "x");
}

constexpr Workload workloads[] = {
    {"thread_job", thread_job},
    {"process_job", process_job},
    {"speedup", speedup},
};

}  // namespace

int main(int argc, char** argv) {
  start_process_zygote();  // before the thread pool's threads exist
  return run_workloads(argc, argv, "executor", workloads);
}
