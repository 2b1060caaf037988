// wait, wait_for and as_completed: waiting on futures with deadlines (asyncio's names and rules).
#pragma once

#include <spindle/compat/gather.hpp>

#include <optional>
#include <stdexcept>
#include <vector>

namespace spindle {

enum class ReturnWhen { first_completed, first_exception, all_completed };

template <class T, class F = Future<T>>
struct WaitResult {
  std::vector<F> done;     // in the order they completed
  std::vector<F> pending;  // in input order
};

namespace detail {
// Indices of `children` that completed, in completion order, by the rule and deadline. Never
// throws on timeout and never cancels; a cancellation point.
std::vector<std::size_t> wait_children(const std::vector<FutureCore*>& children, std::optional<TimePoint> deadline,
                                       ReturnWhen return_when);
// Parks until `child` is done, even if the caller is cancelled meanwhile (the caller's cancellation
// is delivered afterwards): how wait_for waits out the cancellation it requested.
void wait_out(FutureCore& child);
}  // namespace detail

namespace detail {
// wait() on `watched` (one Future per input), splitting `futures` (the inputs themselves) by it.
template <class T, class F>
WaitResult<T, F> wait_split(const std::vector<Future<T>>& watched, const std::vector<F>& futures,
                            std::optional<Duration> timeout, ReturnWhen return_when) {
  if (futures.empty()) throw std::invalid_argument("spindle::wait: the set of futures is empty");
  std::vector<detail::FutureCore*> children;
  for (const auto& future : watched) children.push_back(future.state().get());
  std::optional<TimePoint> deadline;
  if (timeout) deadline = now() + *timeout;
  std::vector<std::size_t> completed = detail::wait_children(children, deadline, return_when);
  WaitResult<T, F> result;
  std::vector<bool> is_done(futures.size(), false);
  for (std::size_t index : completed) {
    result.done.push_back(futures[index]);
    is_done[index] = true;
  }
  for (std::size_t i = 0; i < futures.size(); ++i) {
    if (!is_done[i]) result.pending.push_back(futures[i]);
  }
  return result;
}
}  // namespace detail

// Waits until `return_when` is met or the timeout passes, and splits `futures` into done and
// pending. Never throws TimeoutError and never cancels anything (asyncio.wait). Throws
// std::invalid_argument for an empty input. Call from a fiber.
template <class T>
WaitResult<T> wait(const std::vector<Future<T>>& futures, std::optional<Duration> timeout = std::nullopt,
                   ReturnWhen return_when = ReturnWhen::all_completed) {
  return detail::wait_split(futures, futures, timeout, return_when);
}
// The same over executor futures: done and pending hold the ConcurrentFutures given.
template <class T>
WaitResult<T, ConcurrentFuture<T>> wait(const std::vector<ConcurrentFuture<T>>& futures,
                                        std::optional<Duration> timeout = std::nullopt,
                                        ReturnWhen return_when = ReturnWhen::all_completed) {
  return detail::wait_split(detail::wrap_all(futures), futures, timeout, return_when);
}
template <class T>
WaitResult<T> wait(const std::vector<Task<T>>& tasks, std::optional<Duration> timeout = std::nullopt,
                   ReturnWhen return_when = ReturnWhen::all_completed) {
  return wait(std::vector<Future<T>>(tasks.begin(), tasks.end()), timeout, return_when);
}

// Waits for `awaitable` (a Future, a Task, or a callable started as a task) for at most `timeout`.
// On timeout it cancels the work, waits until the cancellation has finished, and throws
// TimeoutError; should the work complete anyway while being cancelled, its result is returned (a
// result is never lost, unlike cpython#86296). If the caller is cancelled, the work is cancelled
// too, and wait_for returns (with the CancelledError) only once the work has finished, as asyncio
// does since 3.8: work that captured the caller's locals never outlives them. Returns a copy of the
// value; rethrows the work's exception.
template <Awaitable A>
auto wait_for(A&& awaitable, Duration timeout) {
  auto future = detail::to_future(std::forward<A>(awaitable));
  detail::FutureCore& child = *future.state();
  detail::CompletionSignal signal;
  signal.observe(child);
  try {
    if (signal.next_completed(now() + timeout) == nullptr) {
      child.cancel("wait_for: timed out");
      detail::wait_out(child);
      if (child.cancelled()) throw TimeoutError("wait_for: timed out after the given timeout");
    }
  } catch (const CancelledError&) {
    child.cancel({});
    detail::wait_out(child);  // rethrows a cancellation that arrives meanwhile; then ours goes on
    throw;
  }
  if constexpr (std::is_void_v<detail::AwaitableValue<A>>) {
    future.result();
  } else {
    return detail::copy_result(future);
  }
}

// Yields `futures` in the order they complete: next() parks until the next one is done and returns
// it, or throws TimeoutError once the deadline passes with some still pending (asyncio.as_completed).
template <class T>
class AsCompleted {
 public:
  AsCompleted(std::vector<Future<T>> futures, std::optional<Duration> timeout)
      : futures_(std::move(futures)), deadline_(timeout ? std::optional(now() + *timeout) : std::nullopt) {
    for (auto& future : futures_) signal_.observe(*future.state());
  }
  // Futures not yet returned.
  std::size_t remaining() const noexcept { return futures_.size() - returned_; }
  Future<T> next() {
    if (remaining() == 0) throw std::out_of_range("as_completed: every future was already returned");
    detail::FutureCore* completed = signal_.next_completed(deadline_);
    if (completed == nullptr) throw TimeoutError("as_completed: the timeout passed with futures still pending");
    ++returned_;
    for (auto& future : futures_) {
      if (future.state().get() == completed) return future;
    }
    throw std::logic_error("as_completed: a completed future that was not given");
  }

 private:
  std::vector<Future<T>> futures_;
  std::optional<TimePoint> deadline_;
  detail::CompletionSignal signal_;
  std::size_t returned_ = 0;
};

template <class T>
AsCompleted<T> as_completed(std::vector<Future<T>> futures, std::optional<Duration> timeout = std::nullopt) {
  return AsCompleted<T>(std::move(futures), timeout);
}
template <class T>
AsCompleted<T> as_completed(const std::vector<Task<T>>& tasks, std::optional<Duration> timeout = std::nullopt) {
  return AsCompleted<T>(std::vector<Future<T>>(tasks.begin(), tasks.end()), timeout);
}
// Over executor futures: next() returns a Future on this loop that completed as the job did.
template <class T>
AsCompleted<T> as_completed(const std::vector<ConcurrentFuture<T>>& futures,
                            std::optional<Duration> timeout = std::nullopt) {
  return AsCompleted<T>(detail::wrap_all(futures), timeout);
}

}  // namespace spindle
