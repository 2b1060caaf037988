// Waiting on a ConcurrentFuture from a fiber.
//
// The fiber may run on any loop, and the future is completed on some other thread, which may only
// post to that loop. So the waiter registers a FiberWaiter holding a PendingPost to its own loop;
// completion takes the waiter out of the list under the lock and sends it an unpark. The waiter
// removes itself under the same lock when it leaves for any other reason (timeout, cancellation),
// so exactly one side owns the PendingPost, and an unpark that arrives late finds `waiting` false
// (both run on the waiter's thread) and does nothing.
#include <spindle/compat/concurrent_future.hpp>

#include <spindle/fibers/detail/fiber.hpp>
#include <spindle/fibers/diagnostics.hpp>
#include <spindle/fibers/park.hpp>
#include <spindle/fibers/scheduler.hpp>
#include <spindle/fibers/this_fiber.hpp>

#include <algorithm>
#include <chrono>

namespace spindle::detail {

struct ConcurrentCore::FiberWaiter {
  FiberWaiter() : waker(Waker::current()), delivery(RemoteScheduler::current()) {}
  Waker waker;
  PendingPost delivery;
  bool waiting = true;  // read and written only on the waiter's thread
};

ConcurrentCore::~ConcurrentCore() = default;

bool ConcurrentCore::done() const {
  std::lock_guard lock(mutex_);
  return status_ != Status::pending;
}

bool ConcurrentCore::cancelled() const {
  std::lock_guard lock(mutex_);
  return status_ == Status::cancelled;
}

void ConcurrentCore::wait(std::optional<Duration> timeout, const char* operation) const {
  if (done()) return;
  if (this_fiber::id() != 0) {
    wait_in_fiber(timeout, operation);
  } else {
    wait_in_thread(timeout, operation);
  }
}

void ConcurrentCore::wait_in_fiber(std::optional<Duration> timeout, const char* operation) const {
  auto waiter = std::make_shared<FiberWaiter>();
  {
    std::lock_guard lock(mutex_);
    if (status_ != Status::pending) return;
    fiber_waiters_.push_back(waiter);
  }
  struct Leave {
    const ConcurrentCore& core;
    std::shared_ptr<FiberWaiter>& waiter;
    ~Leave() {
      waiter->waiting = false;
      std::lock_guard lock(core.mutex_);
      std::erase(core.fiber_waiters_, waiter);
    }
  } leave{*this, waiter};
  std::optional<TimePoint> deadline;
  if (timeout) deadline = now() + *timeout;
  for (;;) {
    WakeStatus status = deadline ? park_until("ConcurrentFuture.result", *deadline) : park("ConcurrentFuture.result");
    if (done()) return;
    if (status == WakeStatus::timed_out) throw TimeoutError(std::string(operation) + ": timed out waiting for the future");
  }
}

void ConcurrentCore::wait_in_thread(std::optional<Duration> timeout, const char* operation) const {
  std::unique_lock lock(mutex_);
  auto is_done = [this] { return status_ != Status::pending; };
  if (!timeout) {
    changed_.wait(lock, is_done);
  } else if (!changed_.wait_for(lock, *timeout, is_done)) {
    throw TimeoutError(std::string(operation) + ": timed out waiting for the future");
  }
}

void ConcurrentCore::rethrow_locked() const {
  if (status_ == Status::cancelled) {
    throw CancelledError(cancel_message_.empty() ? "the future was cancelled" : cancel_message_);
  }
  if (error_) std::rethrow_exception(error_);
}

void ConcurrentCore::rethrow_if_failed(std::optional<Duration> timeout) const {
  wait(timeout, "ConcurrentFuture::result");
  std::lock_guard lock(mutex_);
  rethrow_locked();
}

std::exception_ptr ConcurrentCore::exception(std::optional<Duration> timeout) const {
  wait(timeout, "ConcurrentFuture::exception");
  std::lock_guard lock(mutex_);
  if (status_ == Status::cancelled) rethrow_locked();
  return error_;
}

void ConcurrentCore::complete_locked(Status status, std::vector<std::shared_ptr<FiberWaiter>>& waiters,
                                     std::vector<std::pair<CallbackId, std::function<void()>>>& callbacks) {
  status_ = status;
  waiters.swap(fiber_waiters_);
  callbacks.swap(callbacks_);
}

void ConcurrentCore::notify(std::vector<std::shared_ptr<FiberWaiter>>& waiters,
                            std::vector<std::pair<CallbackId, std::function<void()>>>& callbacks) {
  changed_.notify_all();
  for (auto& waiter : waiters) {
    waiter->delivery.send([waiter] {
      if (waiter->waiting) waiter->waker.unpark();
    });
  }
  for (auto& [id, callback] : callbacks) {
    try {
      callback();
    } catch (...) {
      emit_diagnostic("spindle: a ConcurrentFuture done callback threw " + describe_exception(std::current_exception()));
    }
  }
}

bool ConcurrentCore::try_finish(const std::function<void()>& store, std::exception_ptr error) {
  std::vector<std::shared_ptr<FiberWaiter>> waiters;
  std::vector<std::pair<CallbackId, std::function<void()>>> callbacks;
  {
    std::lock_guard lock(mutex_);
    if (status_ != Status::pending) return false;
    store();
    error_ = std::move(error);
    complete_locked(Status::finished, waiters, callbacks);
    cancel_hook_ = nullptr;
  }
  notify(waiters, callbacks);
  return true;
}

bool ConcurrentCore::cancel(std::string message) {
  std::vector<std::shared_ptr<FiberWaiter>> waiters;
  std::vector<std::pair<CallbackId, std::function<void()>>> callbacks;
  std::function<void()> hook;
  {
    std::lock_guard lock(mutex_);
    if (status_ != Status::pending) return false;
    cancel_message_ = std::move(message);
    complete_locked(Status::cancelled, waiters, callbacks);
    hook.swap(cancel_hook_);
  }
  if (hook) hook();
  notify(waiters, callbacks);
  return true;
}

bool ConcurrentCore::set_cancel_hook(std::function<void()> hook) {
  std::lock_guard lock(mutex_);
  if (status_ != Status::pending) return false;
  cancel_hook_ = std::move(hook);
  return true;
}

CallbackId ConcurrentCore::add_callback(std::function<void()> callback) {
  CallbackId id;
  {
    std::lock_guard lock(mutex_);
    id = next_callback_id_++;
    if (status_ == Status::pending) {
      callbacks_.emplace_back(id, std::move(callback));
      return id;
    }
  }
  std::vector<std::shared_ptr<FiberWaiter>> no_waiters;
  std::vector<std::pair<CallbackId, std::function<void()>>> now{{id, std::move(callback)}};
  notify(no_waiters, now);
  return id;
}

std::size_t ConcurrentCore::remove_callback(CallbackId id) {
  std::lock_guard lock(mutex_);
  return std::erase_if(callbacks_, [id](const auto& entry) { return entry.first == id; });
}

}  // namespace spindle::detail
