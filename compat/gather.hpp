// gather: run several awaitables side by side and collect their results (asyncio.gather).
//
// Semantics are asyncio's, exactly: results come back in argument order; the first failure, in
// completion order, propagates to the caller while the other children keep running; a child that is
// cancelled counts as that child raising CancelledError; cancelling the gathering fiber cancels every
// unfinished child. gather_outcomes is the return_exceptions=True form: it waits for every child and
// returns each outcome as a value or an exception.
//
// An awaitable is a Task<T> or Future<T>, a ConcurrentFuture<T> (an executor job, a
// run_coroutine_threadsafe result; waited on through wrap_future), or a callable, which is started
// as a task.
#pragma once

#include <spindle/compat/concurrent_future.hpp>
#include <spindle/compat/task.hpp>

#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace spindle {

// One child's outcome in gather_outcomes: a value, or an exception (CancelledError for a child that
// was cancelled).
template <class T>
class Outcome {
 public:
  explicit Outcome(T value) : value_(std::move(value)) {}
  explicit Outcome(std::exception_ptr error) : error_(std::move(error)) {}

  bool ok() const noexcept { return error_ == nullptr; }
  std::exception_ptr error() const noexcept { return error_; }
  // The value, or rethrows the exception.
  const T& value() const {
    if (error_) std::rethrow_exception(error_);
    return *value_;
  }

 private:
  std::optional<T> value_;
  std::exception_ptr error_;
};

template <>
class Outcome<void> {
 public:
  Outcome() = default;
  explicit Outcome(std::exception_ptr error) : error_(std::move(error)) {}
  bool ok() const noexcept { return error_ == nullptr; }
  std::exception_ptr error() const noexcept { return error_; }
  void value() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::exception_ptr error_;
};

namespace detail {

template <class A>
struct AwaitableTraits {
  using Callable = std::decay_t<A>;
  using Value = std::invoke_result_t<Callable&>;
};
template <class T>
struct AwaitableTraits<Future<T>> {
  using Value = T;
};
template <class T>
struct AwaitableTraits<Task<T>> {
  using Value = T;
};
template <class T>
struct AwaitableTraits<ConcurrentFuture<T>> {
  using Value = T;
};

template <class A>
using AwaitableValue = typename AwaitableTraits<std::remove_cvref_t<A>>::Value;

template <class T>
inline constexpr bool is_future_like = false;
template <class T>
inline constexpr bool is_future_like<Future<T>> = true;
template <class T>
inline constexpr bool is_future_like<Task<T>> = true;
template <class T>
inline constexpr bool is_future_like<ConcurrentFuture<T>> = true;

}  // namespace detail

// What gather and friends accept: a Future, a Task, a ConcurrentFuture, or a callable to start as a task.
template <class A>
concept Awaitable = detail::is_future_like<std::remove_cvref_t<A>> || std::is_invocable_v<std::decay_t<A>&>;

namespace detail {

// A Future for the awaitable: itself, a wrap_future of a ConcurrentFuture, or a new task for a
// callable.
template <class A>
Future<AwaitableValue<A>> to_future(A&& awaitable) {
  using Plain = std::remove_cvref_t<A>;
  if constexpr (std::is_base_of_v<Future<AwaitableValue<A>>, Plain>) {
    return awaitable;
  } else if constexpr (std::is_same_v<ConcurrentFuture<AwaitableValue<A>>, Plain>) {
    return wrap_future(awaitable);
  } else {
    return create_task(std::forward<A>(awaitable));
  }
}

// Void results sit in tuples as std::monostate.
template <class T>
using TupleSlot = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
TupleSlot<T> copy_result(const Future<T>& future) {
  if constexpr (std::is_void_v<T>) {
    future.result();
    return {};
  } else {
    static_assert(std::is_copy_constructible_v<T>,
                  "gather returns copies of the results; for a move-only result, read Task::result()");
    return future.result();
  }
}

template <class T>
Outcome<T> outcome_of(const Future<T>& future) {
  if (std::exception_ptr error = future.state()->outcome_error()) return Outcome<T>(error);
  if constexpr (std::is_void_v<T>) {
    return Outcome<T>();
  } else {
    return Outcome<T>(future.result());
  }
}

// Waits until every child is done, or (when `stop_at_first_failure`) until the first one fails,
// whose exception is then rethrown. If the waiting fiber is cancelled, cancels every unfinished
// child and rethrows the CancelledError.
void wait_for_children(const std::vector<FutureCore*>& children, bool stop_at_first_failure);

template <class... T>
std::vector<FutureCore*> cores(const Future<T>&... futures) {
  return {futures.state().get()...};
}

// The range forms, over a vector of futures or of tasks alike (without copying one into the other).
template <class F>
std::vector<FutureCore*> cores(const std::vector<F>& futures) {
  std::vector<FutureCore*> children;
  children.reserve(futures.size());
  for (const auto& future : futures) children.push_back(future.state().get());
  return children;
}

// wrap_future of each, on the calling thread's loop.
template <class T>
std::vector<Future<T>> wrap_all(const std::vector<ConcurrentFuture<T>>& futures) {
  std::vector<Future<T>> wrapped;
  wrapped.reserve(futures.size());
  for (const auto& future : futures) wrapped.push_back(wrap_future(future));
  return wrapped;
}

template <class F>
std::vector<TupleSlot<AwaitableValue<F>>> gather_range(const std::vector<F>& futures) {
  wait_for_children(cores(futures), true);
  std::vector<TupleSlot<AwaitableValue<F>>> results;
  results.reserve(futures.size());
  for (const auto& future : futures) results.push_back(copy_result(future));
  return results;
}

template <class F>
std::vector<Outcome<AwaitableValue<F>>> gather_outcomes_range(const std::vector<F>& futures) {
  wait_for_children(cores(futures), false);
  std::vector<Outcome<AwaitableValue<F>>> outcomes;
  outcomes.reserve(futures.size());
  for (const auto& future : futures) outcomes.push_back(outcome_of(future));
  return outcomes;
}

}  // namespace detail

// Waits for every awaitable and returns their values as a tuple, in argument order (void results as
// std::monostate). Throws the first failure as described above. Call from a fiber.
template <Awaitable... A>
auto gather(A&&... awaitables) {
  // Braced: the children start in argument order (make_tuple's arguments are evaluated in no set order).
  std::tuple<Future<detail::AwaitableValue<A>>...> futures{detail::to_future(std::forward<A>(awaitables))...};
  std::apply([](auto&... future) { detail::wait_for_children(detail::cores(future...), true); }, futures);
  return std::apply([](auto&... future) { return std::make_tuple(detail::copy_result(future)...); }, futures);
}

// The range form: values in the order of `futures`.
template <class T>
std::vector<detail::TupleSlot<T>> gather(const std::vector<Future<T>>& futures) {
  return detail::gather_range(futures);
}
template <class T>
std::vector<detail::TupleSlot<T>> gather(const std::vector<Task<T>>& tasks) {
  return detail::gather_range(tasks);
}
template <class T>
std::vector<detail::TupleSlot<T>> gather(const std::vector<ConcurrentFuture<T>>& futures) {
  return detail::gather_range(detail::wrap_all(futures));
}

// return_exceptions=True: waits for every child; each outcome is a value or an exception.
template <Awaitable... A>
auto gather_outcomes(A&&... awaitables) {
  std::tuple<Future<detail::AwaitableValue<A>>...> futures{detail::to_future(std::forward<A>(awaitables))...};
  std::apply([](auto&... future) { detail::wait_for_children(detail::cores(future...), false); }, futures);
  return std::apply([](auto&... future) { return std::make_tuple(detail::outcome_of(future)...); }, futures);
}

template <class T>
std::vector<Outcome<T>> gather_outcomes(const std::vector<Future<T>>& futures) {
  return detail::gather_outcomes_range(futures);
}
template <class T>
std::vector<Outcome<T>> gather_outcomes(const std::vector<Task<T>>& tasks) {
  return detail::gather_outcomes_range(tasks);
}
template <class T>
std::vector<Outcome<T>> gather_outcomes(const std::vector<ConcurrentFuture<T>>& futures) {
  return detail::gather_outcomes_range(detail::wrap_all(futures));
}

}  // namespace spindle
