// Timer: a callback at a deadline on the scheduler's clock, without a fiber.
#pragma once

#include <spindle/fibers/clock.hpp>
#include <spindle/fibers/detail/timer_heap.hpp>
#include <spindle/fibers/detail/unique_function.hpp>

namespace spindle {

namespace detail {
class SchedulerCore;
}

// Fires `on_fire` once per arming, on the scheduler's thread, from the poll step. The callback must
// not park (spawn a fiber or unpark a Waker instead); what it throws is reported, not propagated.
// Create, arm, cancel and destroy it on one scheduler's thread, and destroy it before the scheduler.
class Timer {
 public:
  // Throws FiberError if the calling thread has no scheduler.
  explicit Timer(detail::UniqueFunction on_fire);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // (Re)arms the timer; a deadline in the past fires at the next poll step.
  void arm_at(TimePoint deadline);
  void arm_after(Duration delay);
  // Disarms; returns whether it was armed.
  bool cancel() noexcept;
  bool armed() const noexcept { return node_.armed(); }
  TimePoint deadline() const noexcept { return node_.deadline; }

 private:
  detail::SchedulerCore* scheduler_;
  detail::TimerNode node_;
  detail::UniqueFunction on_fire_;
};

}  // namespace spindle
