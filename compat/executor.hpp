// What ThreadPoolExecutor and ProcessPoolExecutor share (concurrent.futures.Executor): how many
// workers they start by default, and map() over a batch of submitted jobs.
#pragma once

#include <spindle/compat/concurrent_future.hpp>
#include <spindle/fibers/clock.hpp>

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <optional>
#include <type_traits>
#include <vector>

namespace spindle {

// The CPUs this process may run on (sched_getaffinity; at least 1): ProcessPoolExecutor's default
// worker count, as os.process_cpu_count() is Python's.
std::size_t available_cpus() noexcept;
// ThreadPoolExecutor's default worker count, asyncio's formula: min(32, available_cpus() + 4).
// The threads are mostly blocked in I/O, so a few more than the cores keep the cores busy.
std::size_t default_thread_workers() noexcept;

namespace detail {

// Executor.map's results: each job's value in submission order, waiting for each in turn (parks a
// fiber, blocks a plain thread). The first failure is rethrown after cancelling the jobs not yet
// done, as Python's map does when its iterator is dropped. `timeout` bounds the whole batch
// (TimeoutError).
template <class R>
auto results_in_order(std::vector<ConcurrentFuture<R>>& futures, std::optional<Duration> timeout) {
  std::optional<TimePoint> deadline;
  if (timeout) deadline = now() + *timeout;
  auto remaining = [&]() -> std::optional<Duration> {
    if (!deadline) return std::nullopt;
    return std::max(Duration::zero(), *deadline - now());
  };
  try {
    if constexpr (std::is_void_v<R>) {
      for (auto& future : futures) future.result(remaining());
    } else {
      std::vector<R> values;
      values.reserve(futures.size());
      for (auto& future : futures) values.push_back(future.result(remaining()));
      return values;
    }
  } catch (...) {
    for (auto& future : futures) future.cancel("map: an earlier job failed");
    throw;
  }
}

// Executor.map for either pool: submits fn(item) for every item, then results_in_order.
template <class Executor, class Fn, class Range>
auto map_items(Executor& executor, Fn fn, const Range& items, std::optional<Duration> timeout) {
  std::vector<decltype(executor.submit(fn, *std::begin(items)))> futures;
  for (const auto& item : items) futures.push_back(executor.submit(fn, item));
  return results_in_order(futures, timeout);
}

}  // namespace detail
}  // namespace spindle
