#include <spindle/compat/semaphore.hpp>

#include <stdexcept>

namespace spindle {

Semaphore::Semaphore(std::ptrdiff_t value) : Semaphore(value, std::nullopt) {}

Semaphore::Semaphore(std::ptrdiff_t value, std::optional<std::ptrdiff_t> bound) : value_(value), bound_(bound) {
  if (value < 0) throw std::invalid_argument("Semaphore initial value must be >= 0");
}

// Why release() hands the permit over instead of adding it to the value: the woken waiter owns the
// permit before it runs, so a fiber that calls acquire() meanwhile finds none free and queues behind
// it (first come, first served). WaitList::wake_one() skips waiters that already resumed for another
// reason (a cancellation), so a permit is never handed to a fiber that will not take it: none is
// lost, none is created.

void Semaphore::acquire() {
  if (value_ > 0) {
    --value_;
    return;
  }
  // Only release() wakes this waiter, and it does so to hand over a permit.
  waiters_.wait("Semaphore.acquire");
}

void Semaphore::release() {
  if (bound_ && value_ >= *bound_) throw std::invalid_argument("BoundedSemaphore released too many times");
  if (waiters_.wake_one() == nullptr) ++value_;
}

}  // namespace spindle
