#include <spindle/compat/lock.hpp>

namespace spindle {

// Why release() hands the lock over instead of freeing it: the lock stays marked held and the
// longest waiter wakes up owning it. A fiber that calls acquire() before the woken one runs finds
// the lock held and queues behind it, so the order is strictly first come, first served (no
// barging). WaitList::wake_one() skips waiters that already resumed for another reason (a
// cancellation), so the lock is never handed to a fiber that will not take it: no hand-off is lost.

void Lock::acquire() {
  if (!locked_) {
    locked_ = true;
    return;
  }
  // Only release() wakes this waiter, and it does so to hand over the lock.
  waiters_.wait("Lock.acquire");
}

void Lock::release() {
  if (!locked_) throw InvalidStateError("Lock is not acquired");
  if (waiters_.wake_one() == nullptr) locked_ = false;
}

bool Lock::try_lock() noexcept {
  if (locked_) return false;
  locked_ = true;
  return true;
}

}  // namespace spindle
