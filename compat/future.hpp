// Future<T>: a result that some fiber will set later (asyncio.Future).
//
// Differences from asyncio, each deliberate: result() and exception() called before the future is
// done park the calling fiber until it is (asyncio raises InvalidStateError: there is no `await`
// here, waiting *is* the call); remove_done_callback takes the id that add_done_callback returned,
// because C++ callables cannot be compared.
#pragma once

#include <spindle/compat/errors.hpp>
#include <spindle/fibers/scheduler.hpp>
#include <spindle/fibers/wait_list.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace spindle {

using CallbackId = std::uint64_t;

namespace detail {

class FutureCore;

// Told synchronously when any of the futures it observes completes: how gather, wait and
// as_completed wait on many futures at once (a fiber can be parked in only one wait list, so each
// future pokes the one signal instead). Lives on the waiting fiber's stack; a future drops its
// registration when it completes, and the signal drops those of the futures still pending when it
// goes.
class CompletionSignal {
 public:
  // Which completions wake the waiting fiber. Every completion is recorded either way; a fiber that
  // needs to act only on some of them (gather: on the first failure, or once all are done) is
  // spared the two switches per child it would spend waking up just to park again.
  enum class Wake : std::uint8_t {
    each,             // every completion
    failure_or_last,  // a future that failed (exception or cancellation), and the last one
    last,             // only the last one
  };

  explicit CompletionSignal(Wake wake = Wake::each) : wake_(wake) {}
  // `on_complete` runs synchronously inside each observed future's completion, on whatever fiber
  // completed it: it must not park (cancelling other work is its purpose). Wakes on each completion.
  explicit CompletionSignal(std::function<void(FutureCore&)> on_complete) : on_complete_(std::move(on_complete)) {}
  ~CompletionSignal();
  CompletionSignal(const CompletionSignal&) = delete;
  CompletionSignal& operator=(const CompletionSignal&) = delete;

  // Room for `count` observed futures, for a caller that knows how many it will observe.
  void reserve(std::size_t count);
  // Observes `future`, holding a reference to it for the signal's lifetime.
  void observe(FutureCore& future);
  // Observes `future` without a reference: the caller keeps it alive while the signal lives. Saves
  // the reference count updates, which touch every future once more.
  void observe_held(FutureCore& future);
  // The observed futures in the order they completed: parks until the next one completes (returns
  // at once for one that already did) or the deadline passes. Returns nullptr once every observed
  // future was returned, or on timeout (then timed_out() is true). A cancellation point.
  FutureCore* next_completed(std::optional<TimePoint> deadline = std::nullopt);
  bool timed_out() const noexcept { return timed_out_; }
  // Parks until every observed future is done or, unless the signal wakes only on the last one,
  // until one has failed (an exception or a cancellation). Returns the first that failed, in
  // completion order, or nullptr if none did. For waiters that need no order (gather): it does not
  // visit the futures that completed. A cancellation point.
  FutureCore* wait_all();
  // Cancels every observed future that is not done yet.
  void cancel_all();

 private:
  friend class FutureCore;
  void register_with(FutureCore& future);
  void notify(FutureCore& future) noexcept;
  static bool failed(const FutureCore& future) noexcept;

  std::vector<FutureCore*> observed_;
  std::vector<std::shared_ptr<FutureCore>> held_;  // the references observe() takes
  std::vector<FutureCore*> completed_;
  FutureCore* first_failure_ = nullptr;
  std::size_t returned_ = 0;
  bool timed_out_ = false;
  Wake wake_ = Wake::each;
  WaitList waiter_;
  std::function<void(FutureCore&)> on_complete_;
};

// The state every Future and Task shares: status, outcome, waiters, done callbacks. Belongs to the
// scheduler (loop) of the thread that created it.
class FutureCore : public std::enable_shared_from_this<FutureCore> {
 public:
  enum class Status : std::uint8_t { pending, finished, cancelled };

  FutureCore();
  virtual ~FutureCore();
  FutureCore(const FutureCore&) = delete;
  FutureCore& operator=(const FutureCore&) = delete;

  bool done() const noexcept { return status_ != Status::pending; }
  bool cancelled() const noexcept { return status_ == Status::cancelled; }
  // Finished with an exception (not a value, not cancelled). Never blocks, retrieves nothing.
  bool has_exception() const noexcept { return status_ == Status::finished && error_ != nullptr; }

  // Parks the calling fiber until done. A cancellation point.
  void wait();
  // Waits, then returns the stored exception (nullptr after a value) or throws CancelledError.
  std::exception_ptr exception();
  // Waits, then throws what result() must throw (the exception, or CancelledError); returns normally
  // when a value is stored.
  void rethrow_if_failed();

  // Throws InvalidStateError naming `operation` when already done.
  void require_pending(const char* operation) const;
  // Marks the outcome (the value, if any, was stored by the derived class) and runs the rest of
  // completion: wakes waiters, schedules callbacks.
  void finish(std::exception_ptr error);
  // Marks the future cancelled (waiters get CancelledError(message)) and completes it.
  void finish_cancelled(std::string message);
  // A plain future completes as cancelled at once; a Task instead asks its fiber to stop.
  virtual bool cancel(std::string message);

  CallbackId add_callback(std::function<void()> callback);
  std::size_t remove_callback(CallbackId id);

  // The outcome without waiting (done futures only): nullptr after a value; for a cancelled future,
  // a CancelledError. Marks it retrieved.
  std::exception_ptr outcome_error();

 protected:
  // Called on completion, before waiters wake: Task uses it to drop its fiber.
  virtual void on_finish() noexcept {}
  // Whether it finished with an exception that nobody retrieved, which its destruction reports.
  bool exception_unretrieved() const noexcept { return status_ == Status::finished && error_ && !outcome_retrieved_; }
  // Reports that exception, naming the future as `what`, and marks it retrieved so it is reported
  // once. A derived class that knows a better name than "a Future" calls this from its destructor.
  void report_unretrieved(const std::string& what) noexcept;

 private:
  void complete();
  // Wakes the waiters and notifies the signals: at completion, or after the done callbacks.
  void release_waiters();
  void schedule_callbacks();
  void post_callback(CallbackId id);

  // What little the rarely used features need (several observers, a cancellation message, done
  // callbacks) lives apart, made on first use, so the state that completion and gather touch fits
  // in two cache lines: a gather of 100k tasks visits 100k of these, long evicted from cache.
  struct Rare {
    std::vector<CompletionSignal*> more_signals;  // observers beyond `signal_`
    std::string cancel_message;
    std::vector<std::pair<CallbackId, std::function<void()>>> callbacks;
    CallbackId next_callback_id = 1;
  };
  Rare& rare();

  Status status_ = Status::pending;
  bool outcome_retrieved_ = false;
  friend class CompletionSignal;
  // The signal observing this pending future. Nearly always there is at most one (the gather, wait
  // or TaskGroup it belongs to); any others are in `rare_->more_signals`.
  CompletionSignal* signal_ = nullptr;
  std::exception_ptr error_;
  WaitList waiters_;
  Scheduler* loop_;
  std::unique_ptr<Rare> rare_;
};

template <class T>
class FutureState : public FutureCore {
 public:
  std::optional<T> value;
};

template <>
class FutureState<void> : public FutureCore {};

// Calls exactly one of on_cancelled(), on_error(exception_ptr) or on_value(value) (on_value() for
// a void result) with the outcome of `done`, a Future or ConcurrentFuture that is already done: how
// one future's outcome is passed on to another (shield, run_coroutine_threadsafe, wrap_future).
template <class Done, class OnCancelled, class OnError, class OnValue>
void visit_outcome(const Done& done, OnCancelled on_cancelled, OnError on_error, OnValue on_value) {
  if (done.cancelled()) {
    on_cancelled();
  } else if (std::exception_ptr error = done.exception()) {
    on_error(std::move(error));
  } else if constexpr (std::is_void_v<decltype(done.result())>) {
    on_value();
  } else {
    on_value(done.result());
  }
}

}  // namespace detail

// A handle to shared state: copies refer to the same future. Use it on the thread (scheduler) that
// created it; from other threads, post() to that scheduler.
template <class T>
class Future {
 public:
  // A pending future on the calling thread's scheduler. Throws FiberError without one.
  Future() : state_(std::make_shared<detail::FutureState<T>>()) {}

  bool done() const noexcept { return state_->done(); }
  bool cancelled() const noexcept { return state_->cancelled(); }

  // Parks the calling fiber until done, then returns the value (a reference valid while any handle
  // to this future lives), or throws the stored exception, or CancelledError. Throws FiberError when
  // it would have to wait outside a fiber.
  decltype(auto) result() const {
    state_->rethrow_if_failed();
    if constexpr (!std::is_void_v<T>) return static_cast<const T&>(*state_->value);
  }
  // Parks until done; returns the stored exception, nullptr after a value; throws CancelledError if
  // the future was cancelled.
  std::exception_ptr exception() const { return state_->exception(); }

  // Store the outcome, wake every waiter and schedule the done callbacks. Never block. Throw
  // InvalidStateError when the future is already done (set twice, or cancelled).
  template <class U = T>
    requires(!std::is_void_v<T> && std::is_constructible_v<T, U &&>)
  void set_result(U&& value) {
    state_->require_pending("set_result");
    state_->value.emplace(std::forward<U>(value));
    state_->finish(nullptr);
  }
  void set_result()
    requires std::is_void_v<T>
  {
    state_->require_pending("set_result");
    state_->finish(nullptr);
  }
  void set_exception(std::exception_ptr error) {
    if (!error) throw std::invalid_argument("set_exception needs an exception");
    state_->require_pending("set_exception");
    state_->finish(std::move(error));
  }

  // Cancels a pending future (waiters get CancelledError(message)); false if already done.
  bool cancel(std::string message = {}) { return state_->cancel(std::move(message)); }

  // Runs `callback(future)` on the loop soon after the future is done (at once if it already is:
  // "soon" means the scheduler's next poll step), callbacks in the order they were added. A callback
  // must not park. Returns an id for remove_done_callback.
  CallbackId add_done_callback(std::function<void(const Future&)> callback) {
    // A weak reference: a strong one would keep a future that never completes alive forever.
    std::weak_ptr<detail::FutureState<T>> weak = state_;
    return state_->add_callback([weak, callback = std::move(callback)] {
      if (auto state = weak.lock()) callback(Future(std::move(state)));
    });
  }
  // Removes a callback that has not run yet; returns how many were removed (0 or 1).
  std::size_t remove_done_callback(CallbackId id) { return state_->remove_callback(id); }

  bool operator==(const Future& other) const noexcept { return state_ == other.state_; }

  // The shared state, for the combinators in compat/.
  const std::shared_ptr<detail::FutureState<T>>& state() const noexcept { return state_; }

 protected:
  explicit Future(std::shared_ptr<detail::FutureState<T>> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::FutureState<T>> state_;
};

}  // namespace spindle
