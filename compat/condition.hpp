// Condition: asyncio.Condition for fibers. A Lock plus a queue of fibers waiting to be notified.
#pragma once

#include <spindle/compat/errors.hpp>
#include <spindle/compat/lock.hpp>
#include <spindle/fibers/wait_list.hpp>

#include <cstddef>

namespace spindle {

// A condition variable bound to one Lock: its own, or one passed in (which must outlive the
// Condition; several Conditions may share a Lock). Waiters are notified first come, first served.
// Also meets the standard Lockable requirements through its lock, so std::unique_lock<Condition>
// works. Not thread-safe: use it only on its scheduler's thread. Destroy it only when no fiber waits
// for it.
class Condition {
 public:
  Condition() : lock_(own_lock_) {}
  explicit Condition(Lock& lock) : lock_(lock) {}
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;

  // The underlying lock's acquire(), release(), locked() and Lockable spellings, same contracts.
  void acquire() { lock_.acquire(); }
  void release() { lock_.release(); }
  bool locked() const noexcept { return lock_.locked(); }
  void lock() { lock_.acquire(); }
  void unlock() { lock_.release(); }
  bool try_lock() noexcept { return lock_.try_lock(); }

  // Releases the lock, parks the calling fiber until notify() or notify_all() wakes it, and
  // re-acquires the lock (queueing for it like acquire()) before returning. The caller must hold
  // the lock: throws InvalidStateError("cannot wait on un-acquired lock") if it is free (as in
  // asyncio, which fiber holds it is not checked). If the fiber is cancelled while waiting, it
  // still re-acquires the lock first and only then throws CancelledError, so the caller holds the
  // lock however wait() ends (as in asyncio); a notification it had received is passed on to the
  // next waiter. Wake-ups come only from notify, but the condition may no longer hold when the
  // fiber runs: re-check it, or use wait_for(). Throws FiberError outside a fiber (the lock is then
  // left untouched).
  void wait();

  // Waits until predicate() is true and returns its last value. Calls predicate with the lock held,
  // first before waiting at all. Same precondition and errors as wait().
  template <class Predicate>
  auto wait_for(Predicate predicate) {
    auto result = predicate();
    while (!result) {
      wait();
      result = predicate();
    }
    return result;
  }

  // Wakes up to `count` waiting fibers, longest-waiting first; fewer if fewer are waiting. Each
  // still has to re-acquire the lock, so it runs after the caller releases it. Never blocks. The
  // caller must hold the lock: throws InvalidStateError("cannot notify on un-acquired lock") otherwise.
  void notify(std::size_t count = 1);
  // Wakes every waiting fiber. Same contract as notify().
  void notify_all();

 private:
  void require_locked(const char* message) const;

  Lock own_lock_;  // unused when the Condition was given a lock
  Lock& lock_;
  WaitList waiters_;
};

}  // namespace spindle
