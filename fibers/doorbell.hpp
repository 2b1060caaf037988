// Doorbell: how a signal handler gets work run on a scheduler.
//
// Scheduler::post takes a mutex, which a signal handler must never do. A Doorbell is registered in
// advance on the scheduler's thread; ring() only stores two atomics and writes the scheduler's
// eventfd, all async-signal-safe, and the scheduler runs the doorbell's callback at its next poll
// step. This is asyncio's signal.set_wakeup_fd, folded into the loop's own wake-up descriptor.
#pragma once

#include <spindle/fibers/detail/unique_function.hpp>

#include <atomic>

namespace spindle {

namespace detail {
class SchedulerCore;
}

class Doorbell {
 public:
  // Registers with the calling thread's scheduler (throws FiberError without one). Construct and
  // destroy it on that thread, before the scheduler is destroyed. `on_ring` runs on that thread in
  // the poll step; it must not park, and what it throws is reported, not propagated.
  explicit Doorbell(detail::UniqueFunction on_ring);
  ~Doorbell();
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;

  // Async-signal-safe, callable from any thread while the Doorbell lives. Rings that arrive before
  // the callback runs coalesce into one call.
  void ring() noexcept;

 private:
  friend class detail::SchedulerCore;
  detail::SchedulerCore* scheduler_;
  detail::UniqueFunction on_ring_;
  std::atomic<bool> rung_{false};
};

}  // namespace spindle
