// ConcurrentFuture<T>: a result that another thread will set (concurrent.futures.Future).
//
// What run_coroutine_threadsafe and the executors return. A Future<T> belongs to one loop; this one
// may be waited on, completed, cancelled and observed from any thread:
// - result(timeout) and exception(timeout) called from a fiber park only that fiber, on whichever
//   loop it runs; called from a plain thread (or from a loop thread outside any fiber) they block
//   the thread. Either way they throw TimeoutError when the timeout passes first.
// - Done callbacks follow concurrent.futures, not asyncio: they run on the thread that completes
//   the future, or at once inside add_done_callback when it is already done. They must be quick and
//   must not park; to get back onto a loop, post (wrap_future does that for gather, wait, ...).
// - cancel() completes a pending future as cancelled at once and asks its producer to stop (for
//   run_coroutine_threadsafe: the task is cancelled on its loop).
#pragma once

#include <spindle/compat/errors.hpp>
#include <spindle/compat/future.hpp>
#include <spindle/fibers/clock.hpp>
#include <spindle/fibers/remote_scheduler.hpp>

#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace spindle {

namespace detail {

// The state every ConcurrentFuture shares; every member behind `mutex_`.
class ConcurrentCore {
 public:
  ConcurrentCore() = default;
  ~ConcurrentCore();
  ConcurrentCore(const ConcurrentCore&) = delete;
  ConcurrentCore& operator=(const ConcurrentCore&) = delete;

  bool done() const;
  bool cancelled() const;
  // Waits until done (see ConcurrentFuture::result); throws TimeoutError naming `operation`.
  void wait(std::optional<Duration> timeout, const char* operation) const;
  // Waits, then throws the stored exception or CancelledError; returns normally after a value.
  void rethrow_if_failed(std::optional<Duration> timeout) const;
  std::exception_ptr exception(std::optional<Duration> timeout) const;

  // Completes the future: `store` (which writes the value, if any) runs under the lock. Returns
  // false, storing nothing, when the future is already done (cancelled first, or set twice).
  bool try_finish(const std::function<void()>& store, std::exception_ptr error);
  bool cancel(std::string message);
  // Runs when cancel() succeeds, on the cancelling thread: how the producer hears of it. Returns
  // false, installing nothing, when the future is already done.
  bool set_cancel_hook(std::function<void()> hook);

  CallbackId add_callback(std::function<void()> callback);
  std::size_t remove_callback(CallbackId id);

 private:
  enum class Status : std::uint8_t { pending, finished, cancelled };
  struct FiberWaiter;

  // Under the lock: marks done and takes what must be notified outside it.
  void complete_locked(Status status, std::vector<std::shared_ptr<FiberWaiter>>& waiters,
                       std::vector<std::pair<CallbackId, std::function<void()>>>& callbacks);
  void notify(std::vector<std::shared_ptr<FiberWaiter>>& waiters,
              std::vector<std::pair<CallbackId, std::function<void()>>>& callbacks);
  void wait_in_fiber(std::optional<Duration> timeout, const char* operation) const;
  void wait_in_thread(std::optional<Duration> timeout, const char* operation) const;
  void rethrow_locked() const;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  Status status_ = Status::pending;
  std::exception_ptr error_;
  std::string cancel_message_;
  mutable std::vector<std::shared_ptr<FiberWaiter>> fiber_waiters_;
  std::vector<std::pair<CallbackId, std::function<void()>>> callbacks_;
  CallbackId next_callback_id_ = 1;
  std::function<void()> cancel_hook_;
};

template <class T>
class ConcurrentState : public ConcurrentCore {
 public:
  std::optional<T> value;  // written once under the lock, before the status says finished
};

template <>
class ConcurrentState<void> : public ConcurrentCore {};

}  // namespace detail

// A handle to shared, thread-safe state: copies refer to the same future. Every member may be
// called from any thread. Lifetime: the state lives while any handle or pending callback holds it.
template <class T>
class ConcurrentFuture {
 public:
  ConcurrentFuture() : state_(std::make_shared<detail::ConcurrentState<T>>()) {}

  bool done() const { return state_->done(); }
  bool cancelled() const { return state_->cancelled(); }

  // Waits until done or until `timeout` has passed (then throws TimeoutError; the future keeps
  // going). Returns the value (a reference valid while any handle lives), or throws the stored
  // exception, or CancelledError. In a fiber: parks it (a cancellation point); the timeout runs on
  // that loop's clock. Elsewhere: blocks the thread on the real clock.
  decltype(auto) result(std::optional<Duration> timeout = std::nullopt) const {
    state_->rethrow_if_failed(timeout);
    if constexpr (!std::is_void_v<T>) return static_cast<const T&>(*state_->value);
  }
  // As result(), but returns the stored exception (nullptr after a value).
  std::exception_ptr exception(std::optional<Duration> timeout = std::nullopt) const {
    return state_->exception(timeout);
  }

  // Complete the future; throw InvalidStateError when it is already done.
  template <class U = T>
    requires(!std::is_void_v<T> && std::is_constructible_v<T, U &&>)
  void set_result(U&& value) {
    if (!try_set_result(std::forward<U>(value))) throw InvalidStateError("set_result on a future that is already done");
  }
  void set_result()
    requires std::is_void_v<T>
  {
    if (!try_set_result()) throw InvalidStateError("set_result on a future that is already done");
  }
  void set_exception(std::exception_ptr error) {
    if (!try_set_exception(std::move(error))) throw InvalidStateError("set_exception on a future that is already done");
  }
  // As the set_ calls, but return false instead of throwing: for producers that may lose a race
  // with cancel().
  template <class U = T>
    requires(!std::is_void_v<T> && std::is_constructible_v<T, U &&>)
  bool try_set_result(U&& value) {
    return state_->try_finish([&] { state_->value.emplace(std::forward<U>(value)); }, nullptr);
  }
  bool try_set_result()
    requires std::is_void_v<T>
  {
    return state_->try_finish([] {}, nullptr);
  }
  bool try_set_exception(std::exception_ptr error) {
    if (!error) throw std::invalid_argument("set_exception needs an exception");
    return state_->try_finish([] {}, std::move(error));
  }

  // Completes a pending future as cancelled (waiters get CancelledError(message)) and tells the
  // producer; false if already done.
  bool cancel(std::string message = {}) { return state_->cancel(std::move(message)); }
  // For producers: `hook` runs once, on the cancelling thread, if cancel() succeeds. Returns false,
  // installing nothing, when the future is already done (cancelled before the producer started).
  bool set_cancel_hook(std::function<void()> hook) { return state_->set_cancel_hook(std::move(hook)); }

  // Runs `callback(future)` on the completing thread once done, or now if it already is. Returns an
  // id for remove_done_callback (which returns how many it removed: 0 or 1).
  CallbackId add_done_callback(std::function<void(const ConcurrentFuture&)> callback) {
    std::weak_ptr<detail::ConcurrentState<T>> weak = state_;
    return state_->add_callback([weak, callback = std::move(callback)] {
      if (auto state = weak.lock()) callback(ConcurrentFuture(std::move(state)));
    });
  }
  std::size_t remove_done_callback(CallbackId id) { return state_->remove_callback(id); }

  bool operator==(const ConcurrentFuture& other) const noexcept { return state_ == other.state_; }

 private:
  explicit ConcurrentFuture(std::shared_ptr<detail::ConcurrentState<T>> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::ConcurrentState<T>> state_;
};

// A Future on the calling thread's loop that completes (on that loop) when `source` does
// (asyncio.wrap_future); cancelling it cancels `source`. How gather, wait, wait_for and
// as_completed take a ConcurrentFuture. While it is pending, the loop's virtual clock counts the
// completion as an expected post rather than a deadlock. Call on a loop thread.
template <class T>
Future<T> wrap_future(ConcurrentFuture<T> source) {
  Future<T> future;
  auto delivery = std::make_shared<PendingPost>(RemoteScheduler::current());
  std::weak_ptr<detail::FutureState<T>> weak = future.state();
  source.add_done_callback([delivery, weak](const ConcurrentFuture<T>& done) {
    delivery->send([weak, done] {
      auto state = weak.lock();
      if (!state || state->done()) return;
      detail::visit_outcome(
          done, [&] { state->cancel("the wrapped future was cancelled"); },
          [&](std::exception_ptr error) { state->finish(std::move(error)); },
          [&](const auto&... value) {
            if constexpr (sizeof...(value) > 0) state->value.emplace(value...);
            state->finish(nullptr);
          });
    });
  });
  future.add_done_callback([source](const Future<T>& completed) mutable {
    if (completed.cancelled()) source.cancel();
  });
  return future;
}

}  // namespace spindle
