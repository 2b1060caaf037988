// Lock: asyncio.Lock for fibers. A waiting fiber parks; the thread runs the others meanwhile.
#pragma once

#include <spindle/compat/errors.hpp>
#include <spindle/fibers/wait_list.hpp>

namespace spindle {

// A non-recursive mutual-exclusion lock for the fibers of one scheduler. As in asyncio it has no
// owner: whoever holds it may release it, from any fiber. Waiters are served first come, first
// served, and release() hands the lock straight to the longest waiter, so a fiber that calls
// acquire() meanwhile cannot take it first. Also meets the standard Lockable requirements
// (lock/unlock/try_lock), so std::scoped_lock and std::unique_lock work with it.
// Not thread-safe: use it only on its scheduler's thread. Destroy it only when no fiber waits for it.
class Lock {
 public:
  Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  // Takes the lock. A free lock is taken at once, without switching fibers; a held one parks the
  // calling fiber at the back of the queue until release() hands it the lock. Throws CancelledError
  // if the fiber is cancelled while parked: it then leaves the queue without the lock. A fiber that
  // was already handed the lock when the cancellation came returns holding it, and the
  // cancellation is delivered at its next blocking point. Throws FiberError if it would park outside
  // a fiber.
  void acquire();
  // Hands the lock to the longest-waiting fiber that is still parked, or frees it if none is. Never
  // blocks or switches; callable from any code on the scheduler's thread (a fiber, a timer callback,
  // posted work). Throws InvalidStateError("Lock is not acquired") if the lock is free.
  void release();
  // Whether some fiber holds the lock (or was handed it and has not run yet). Never blocks.
  bool locked() const noexcept { return locked_; }

  // Lockable spelling of acquire() and release(), with the same contracts.
  void lock() { acquire(); }
  void unlock() { release(); }
  // Takes the lock if it is free and returns true; otherwise returns false. Never blocks.
  bool try_lock() noexcept;

 private:
  // Invariant: while the lock is free no fiber is parked on `waiters_`, because release() frees
  // the lock only when it found nobody to hand it to.
  bool locked_ = false;
  WaitList waiters_;
};

}  // namespace spindle
