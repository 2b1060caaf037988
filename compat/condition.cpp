#include <spindle/compat/condition.hpp>

#include <exception>

namespace spindle {

void Condition::require_locked(const char* message) const {
  if (!lock_.locked()) throw InvalidStateError(message);
}

// Why wait() catches CancelledError instead of letting it unwind: the caller's code around wait()
// is written for "the lock is held here", so the lock is re-acquired whatever happens, retrying if
// further cancellations interrupt that acquire; the most recent cancellation is rethrown once the
// lock is held (asyncio does the same). A notification is a wake-up the notifier counted as
// delivered: if this fiber was notified and still ends with CancelledError, it passes the
// notification on, so none is lost to a cancellation (asyncio 3.13 does the same).
void Condition::wait() {
  require_locked("cannot wait on un-acquired lock");
  WaitList::Node node;  // throws FiberError outside a fiber, before the lock is touched
  lock_.release();
  std::exception_ptr cancellation;
  bool notified = false;
  try {
    waiters_.wait(node, "Condition.wait");
    notified = true;
  } catch (const CancelledError&) {
    cancellation = std::current_exception();
  }
  for (;;) {
    try {
      lock_.acquire();
      break;
    } catch (const CancelledError&) {
      cancellation = std::current_exception();
    }
  }
  if (cancellation) {
    if (notified) notify(1);
    std::rethrow_exception(cancellation);
  }
}

void Condition::notify(std::size_t count) {
  require_locked("cannot notify on un-acquired lock");
  std::size_t woken = 0;
  while (woken < count && waiters_.wake_one() != nullptr) ++woken;
}

void Condition::notify_all() {
  require_locked("cannot notify on un-acquired lock");
  waiters_.wake_all();
}

}  // namespace spindle
