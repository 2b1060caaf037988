// ThreadPoolExecutor: run blocking calls on a pool of threads (concurrent.futures.ThreadPoolExecutor).
//
// For work that blocks and cannot be made cooperative (a C library's blocking call, a
// synchronous driver) or that computes for a while: the job runs on a pool thread, and the fiber
// that waits for its ConcurrentFuture parks, so the loop keeps running its other fibers.
//
// As in Python, threads start on demand: a submit that finds no idle thread starts one, up to
// max_workers; jobs beyond that wait in a FIFO queue. A job can be stopped only before it starts:
// cancelling its future (or a wait_for timeout) while it runs leaves it running to completion on
// its thread, and its result is dropped. That is the price of threads: use ProcessPoolExecutor
// for work that must be stoppable.
#pragma once

#include <spindle/compat/concurrent_future.hpp>
#include <spindle/compat/executor.hpp>
#include <spindle/compat/executor_errors.hpp>
#include <spindle/fibers/clock.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace spindle {

namespace detail {

// One queued job: runs on a pool thread, or is cancelled by shutdown(cancel_futures) first.
struct ThreadJob {
  virtual ~ThreadJob() = default;
  virtual void run() noexcept = 0;
  virtual void cancel(const char* why) = 0;
};

template <class R, class Fn, class... Args>
struct ThreadJobModel final : ThreadJob {
  ThreadJobModel(ConcurrentFuture<R> future, Fn fn, std::tuple<Args...> args)
      : future(std::move(future)), fn(std::move(fn)), args(std::move(args)) {}
  void run() noexcept override {
    if (future.done()) return;  // cancelled while it was queued
    try {
      if constexpr (std::is_void_v<R>) {
        std::apply(fn, std::move(args));
        future.try_set_result();
      } else {
        future.try_set_result(std::apply(fn, std::move(args)));
      }
    } catch (...) {
      future.try_set_exception(std::current_exception());
    }
  }
  void cancel(const char* why) override { future.cancel(why); }
  ConcurrentFuture<R> future;
  Fn fn;
  std::tuple<Args...> args;
};

class ThreadPoolCore;

}  // namespace detail

class ThreadPoolExecutor {
 public:
  // A pool of at most `max_workers` threads (default: default_thread_workers()); none starts
  // before the first submit. Throws std::invalid_argument for 0.
  explicit ThreadPoolExecutor(std::optional<std::size_t> max_workers = std::nullopt);
  // shutdown(wait = true) unless shutdown was called already; a timeout there is reported as a
  // diagnostic instead of thrown.
  ~ThreadPoolExecutor();
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

  // Queues fn(args...) (both decay-copied, as std::thread does) and returns its future, which any
  // thread or any loop's fiber may wait on. What fn throws is the future's exception. Never
  // blocks beyond a mutex; callable from any thread. Throws InvalidStateError after shutdown.
  template <class Fn, class... Args>
    requires std::is_invocable_v<std::decay_t<Fn>&&, std::decay_t<Args>&&...>
  auto submit(Fn&& fn, Args&&... args) {
    using R = std::invoke_result_t<std::decay_t<Fn>&&, std::decay_t<Args>&&...>;
    ConcurrentFuture<R> future;
    enqueue(std::make_unique<detail::ThreadJobModel<R, std::decay_t<Fn>, std::decay_t<Args>...>>(
        future, std::forward<Fn>(fn), std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...)));
    return future;
  }

  // Executor.map: submits fn(item) for every item, then returns the values in order, waiting for
  // each (parks a fiber, blocks a thread). Rethrows the first failure in order, after cancelling
  // the jobs not yet started; TimeoutError once `timeout` passes for the whole batch.
  template <class Fn, class Range>
  auto map(Fn fn, const Range& items, std::optional<Duration> timeout = std::nullopt) {
    return detail::map_items(*this, fn, items, timeout);
  }

  // Stops accepting jobs. With `cancel_futures`, jobs still queued are cancelled (their waiters
  // get CancelledError); otherwise they still run. With `wait`, waits (parks a fiber, blocks a
  // thread) until every pool thread has finished, at most `limit`: then throws TimeoutError naming
  // how many threads were still running a job, and leaves them to finish detached (a running
  // thread cannot be stopped). Idempotent; callable from any thread but a pool thread.
  void shutdown(bool wait = true, bool cancel_futures = false, Duration limit = std::chrono::seconds(30));

  std::size_t max_workers() const noexcept;
  // Threads started so far (they stay until shutdown).
  std::size_t threads() const;

 private:
  void enqueue(std::unique_ptr<detail::ThreadJob> job);
  std::shared_ptr<detail::ThreadPoolCore> core_;
  bool shut_down_ = false;
};

}  // namespace spindle
