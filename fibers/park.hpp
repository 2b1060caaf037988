// The parking seam: the one way a fiber waits and is woken.
//
// Every waiting operation in spindle, from sleep and fd readiness to locks, queues, joins and
// futures, is built from these calls and nothing else: park the calling fiber with a reason and an
// optional deadline; wake it with unpark() or unpark_with_error(). Cancellation arrives through the
// same door. Because nothing else touches the scheduler, its insides can change freely.
//
// The contract for anyone who stores a Waker (a wait list, a reactor slot): the parked fiber removes
// its own Waker when it resumes, for whatever reason it resumes (WaitList::Node does this by RAII).
// A stored Waker is therefore always valid, and unpark() returning false means the fiber already
// resumed for another reason (timeout, cancellation, an earlier wake) and must be skipped: hand the
// item, permit or wake-up to the next waiter instead. That rule is what keeps wake-ups from being
// lost or duplicated under cancellation.
#pragma once

#include <spindle/fibers/clock.hpp>

#include <exception>

namespace spindle {

namespace detail {
struct FiberBase;
class SchedulerCore;
}

enum class WakeStatus { woken, timed_out };

// A non-owning reference to a fiber that is parked, or about to park, on this thread's scheduler.
class Waker {
 public:
  Waker() = default;

  // The calling fiber. Throws FiberError when called outside a fiber.
  static Waker current();

  // Makes the fiber ready to run; its park() returns WakeStatus::woken. Returns false, and does
  // nothing, if the fiber is not parked. Call only on the fiber's own scheduler thread (from any
  // fiber or timer callback there); from other threads, post() the call to that scheduler.
  bool unpark() const noexcept;
  // As unpark(), but the fiber's park() throws `error`.
  bool unpark_with_error(std::exception_ptr error) const noexcept;

  explicit operator bool() const noexcept { return fiber_ != nullptr; }
  bool operator==(const Waker&) const = default;

 private:
  friend class detail::SchedulerCore;
  explicit Waker(detail::FiberBase* fiber) : fiber_(fiber) {}
  detail::FiberBase* fiber_ = nullptr;
};

// Parks the calling fiber until it is unparked (returns woken) or the deadline passes (returns
// timed_out; a deadline already past returns at once without switching). `reason` must outlive the
// wait (a string literal); it is shown in fiber dumps. Throws CancelledError if the fiber was
// cancelled before or while parked, the error given to unpark_with_error, and FiberError when called
// outside a fiber.
WakeStatus park(const char* reason);
WakeStatus park_until(const char* reason, TimePoint deadline);

}  // namespace spindle
