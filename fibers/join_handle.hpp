// JoinHandle<T>: the owner's view of a spawned fiber.
#pragma once

#include <spindle/fibers/detail/fiber.hpp>
#include <spindle/fibers/errors.hpp>

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <utility>

namespace spindle {

class Scheduler;
using FiberId = std::uint64_t;

namespace detail {
// Parks the calling fiber until `fiber` has ended. Throws FiberError for a self-join or a fiber of
// another scheduler, CancelledError if the caller is cancelled meanwhile.
void wait_for_end(FiberBase* fiber);
bool cancel_fiber(FiberBase* fiber, std::string message) noexcept;
// Withdraws a cancellation of `fiber` that carries `message` and was not delivered yet; returns
// whether there was one. For scopes (timeouts) whose deadline passed just as their body finished.
bool withdraw_cancel(FiberBase* fiber, std::string_view message) noexcept;
}  // namespace detail

// Move-only. Belongs to the thread of the scheduler that spawned the fiber: use and destroy it there.
// Dropping a handle does not stop the fiber (it is detached); an exception the fiber ends with and
// that nobody retrieved is reported (name, type, message, spawn site) once the fiber has ended and
// the handle is gone.
template <class T>
class JoinHandle {
 public:
  JoinHandle() = default;
  explicit JoinHandle(detail::FiberWithResult<T>* fiber) noexcept : fiber_(fiber) {}
  JoinHandle(JoinHandle&& other) noexcept : fiber_(std::exchange(other.fiber_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& other) noexcept {
    if (this != &other) {
      reset();
      fiber_ = std::exchange(other.fiber_, nullptr);
    }
    return *this;
  }
  ~JoinHandle() { reset(); }

  // Parks the calling fiber until the fiber ends, then returns its value (moved out: call once) or
  // rethrows its exception, which counts as retrieved. Throws CancelledError if the *caller* is
  // cancelled while waiting; FiberError outside a fiber, on a self-join, or from another scheduler.
  T join() {
    wait();
    fiber_->outcome_observed = true;
    if (fiber_->failure) std::rethrow_exception(fiber_->failure);
    if constexpr (!std::is_void_v<T>) return std::move(*fiber_->value);
  }

  // Parks until the fiber ends, without retrieving its outcome. Same errors as join().
  void wait() const { detail::wait_for_end(fiber_); }

  // Parks until the fiber ends and returns its exception (nullptr if it returned normally),
  // which then counts as retrieved.
  std::exception_ptr exception() {
    wait();
    fiber_->outcome_observed = true;
    return fiber_->failure;
  }

  // Never blocks.
  bool done() const noexcept { return fiber_->state == detail::FiberState::done; }

  // Requests cancellation: the fiber's current blocking point, or its next one, throws
  // CancelledError(message); a fiber that has not started yet never runs its body. Returns false if
  // the fiber has already ended. Never blocks; does not wait for the fiber to unwind (join for that).
  bool cancel(std::string message = {}) noexcept { return detail::cancel_fiber(fiber_, std::move(message)); }

  FiberId id() const noexcept { return fiber_->id; }
  std::string name() const { return fiber_->display_name(); }
  explicit operator bool() const noexcept { return fiber_ != nullptr; }

 private:
  friend class Scheduler;
  void reset() noexcept {
    if (fiber_ != nullptr) detail::release(std::exchange(fiber_, nullptr));
  }
  detail::FiberWithResult<T>* fiber_ = nullptr;
};

}  // namespace spindle
