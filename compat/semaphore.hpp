// Semaphore and BoundedSemaphore: asyncio's counting semaphores for fibers.
#pragma once

#include <spindle/fibers/wait_list.hpp>

#include <cstddef>
#include <optional>

namespace spindle {

// A counter of permits. acquire() takes one, parking while there are none; release() gives one
// back, handing it straight to the longest waiter if there is one, so a fiber that calls acquire()
// meanwhile cannot take it first. Not thread-safe: use it only on its scheduler's thread. Destroy it
// only when no fiber waits for it.
class Semaphore {
 public:
  // Starts with `value` permits. Throws std::invalid_argument if `value` is negative.
  explicit Semaphore(std::ptrdiff_t value = 1);
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;

  // Takes a permit. With one free it returns at once, without switching fibers; otherwise it parks
  // the calling fiber at the back of the queue until release() hands it a permit. Throws
  // CancelledError if the fiber is cancelled while parked: it then leaves the queue without a
  // permit. A fiber that was already handed a permit when the cancellation came returns holding it,
  // and the cancellation is delivered at its next blocking point. Throws FiberError if it would park
  // outside a fiber.
  void acquire();
  // Hands a permit to the longest-waiting fiber that is still parked, or adds it to value() if none
  // is. A plain Semaphore may be released more often than acquired (value() then exceeds its initial
  // value, as in asyncio); a BoundedSemaphore throws std::invalid_argument("BoundedSemaphore released
  // too many times") instead. Never blocks or switches; callable from any code on the scheduler's
  // thread (a fiber, a timer callback, posted work).
  void release();
  // Whether acquire() would park (no permit is free). Never blocks.
  bool locked() const noexcept { return value_ == 0; }
  // The number of free permits. Never blocks.
  std::ptrdiff_t value() const noexcept { return value_; }

  // The standard Lockable names, so std::lock_guard and std::unique_lock hold a permit for a scope
  // (asyncio's `async with sem:`). try_lock() takes a free permit without waiting; it never takes
  // one while fibers are queued for it.
  void lock() { acquire(); }
  void unlock() { release(); }
  bool try_lock() noexcept {
    if (value_ == 0) return false;
    --value_;
    return true;
  }

 protected:
  // A semaphore whose value may never exceed `bound`.
  Semaphore(std::ptrdiff_t value, std::optional<std::ptrdiff_t> bound);

 private:
  // Invariant: while value_ > 0 no fiber is parked on `waiters_`, because release() adds to the
  // value only when it found nobody to hand the permit to.
  std::ptrdiff_t value_;
  std::optional<std::ptrdiff_t> bound_;
  WaitList waiters_;
};

// A Semaphore that refuses to be released above its initial value, which catches a release()
// without a matching acquire(). Same contracts as Semaphore; release() through a Semaphore&
// checks the bound too.
class BoundedSemaphore : public Semaphore {
 public:
  // Throws std::invalid_argument if `value` is negative.
  explicit BoundedSemaphore(std::ptrdiff_t value = 1) : Semaphore(value, value) {}
};

}  // namespace spindle
