// spin_until: busy-wait briefly for a flag another thread will set, before paying for a sleep.
//
// Waking a thread that sleeps in the kernel (futex, epoll_wait) costs tens of microseconds on an
// idle machine, whose cores drop into power-saving states: far more than a short job takes. A
// waiter that expects an answer soon spins for a bounded window first, as Go's scheduler and
// folly's baton do, and sleeps only when the window passes. The window bounds the cost when the
// answer is slow: a few tens of microseconds of one core per wait.
#pragma once

#include <spindle/fibers/clock.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>

namespace spindle::detail {

// How long a waiter that expects a cross-thread answer spins before sleeping.
inline constexpr Duration spin_window = std::chrono::microseconds(50);

// Tells the core this is a spin loop (lets the sibling hyper-thread run, saves power).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// Calls `ready()` until it returns true (then returns true) or `window` of real time has passed
// (then returns false). The clock is read once per 64 tries.
template <class Ready>
bool spin_until(Ready ready, Duration window = spin_window) {
  const TimePoint until = Clock::now() + window;
  do {
    for (int i = 0; i < 64; ++i) {
      if (ready()) return true;
      cpu_relax();
    }
  } while (Clock::now() < until);
  return false;
}

}  // namespace spindle::detail

namespace spindle::detail {

// For a pool thread that just finished a job and found its queue empty, holding the pool's lock:
// becomes the pool's one spinning thread, unless there already is one. Counted in `spinning`
// (guarded by the lock) so that submitters skip the wake-up; spins with the lock released until
// `queued` (the submitters' count of queued jobs) is positive or the window passes; returns with
// the lock held again, to look at the queue under it.
template <class Lock, class Count>
void spin_for_next_job(Lock& lock, std::size_t& spinning, const Count& queued) {
  if (spinning != 0) return;
  ++spinning;
  lock.unlock();
  spin_until([&] { return queued.load(std::memory_order_acquire) > 0; });
  lock.lock();
  --spinning;
}

}  // namespace spindle::detail
