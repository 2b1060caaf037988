#include <spindle/compat/barrier.hpp>

#include <spindle/fibers/wait_list.hpp>

#include <stdexcept>

namespace spindle {

// Why each waiter parks on a WaitList of its own, linked into an arrival list, instead of all on one
// WaitList with a count (as asyncio counts): a waiter cancelled while parked leaves only when it next
// runs, so a count still includes it for a while, and a party arriving in that window would complete
// the cycle with a fiber that is about to throw CancelledError: parties - 1 fibers would pass. Here
// the arrival that would complete the cycle first *claims* every waiter: wake_one() on the waiter's
// own list succeeds only if it is still parked, i.e. not cancelled. Waiters that cannot be claimed
// are dropped; the claimed ones are released if they, with the arriving fiber, make up the parties.
// If not, the claimed ones find themselves still pending when they run and park again, keeping
// their place (and so their index) in the arrival order. A waiter is told its outcome before it
// runs, so a released fiber returns its index even if an abort or a cancellation comes before it
// runs: nothing handed out is taken back, the rule of the parking seam.
struct Barrier::Arrival {
  enum class Outcome { pending, released, broken };

  // Throws FiberError outside a fiber.
  Arrival() = default;
  ~Arrival() {
    if (barrier != nullptr) barrier->unlink(*this);
  }
  Arrival(const Arrival&) = delete;
  Arrival& operator=(const Arrival&) = delete;

  // Wakes the fiber unless the barrier woke it already and it has not parked again. False if the
  // fiber resumed for another reason: a cancellation, which it throws when it runs.
  bool claim() noexcept {
    if (!claimed) claimed = wakeup.wake_one() != nullptr;
    return claimed;
  }

  WaitList wakeup;      // only this arrival's fiber parks here
  WaitList::Node node;  // captures the fiber's Waker at construction
  bool claimed = false;
  Outcome outcome = Outcome::pending;
  int index = 0;
  Barrier* barrier = nullptr;  // set while linked
  Arrival* previous = nullptr;
  Arrival* next = nullptr;
};

Barrier::Barrier(int parties) : parties_(parties) {
  if (parties < 1) throw std::invalid_argument("Barrier parties must be > 0");
}

void Barrier::link(Arrival& arrival) noexcept {
  arrival.barrier = this;
  arrival.previous = last_;
  arrival.next = nullptr;
  if (last_ != nullptr) last_->next = &arrival; else first_ = &arrival;
  last_ = &arrival;
  ++n_waiting_;
}

void Barrier::unlink(Arrival& arrival) noexcept {
  if (arrival.previous != nullptr) arrival.previous->next = arrival.next; else first_ = arrival.next;
  if (arrival.next != nullptr) arrival.next->previous = arrival.previous; else last_ = arrival.previous;
  arrival.barrier = nullptr;
  arrival.previous = arrival.next = nullptr;
  --n_waiting_;
}

// True if the waiters that are still there, with the calling fiber, make up the parties.
bool Barrier::claim_waiters_or_drop_cancelled() noexcept {
  for (Arrival* arrival = first_; arrival != nullptr;) {
    Arrival* next = arrival->next;
    if (!arrival->claim()) unlink(*arrival);
    arrival = next;
  }
  return n_waiting_ + 1 == parties_;
}

void Barrier::break_waiters() noexcept {
  while (Arrival* arrival = first_) {
    if (arrival->claim()) arrival->outcome = Arrival::Outcome::broken;
    unlink(*arrival);
  }
}

int Barrier::wait() {
  if (broken_) throw BrokenBarrierError();
  Arrival self;
  if (n_waiting_ + 1 == parties_ && claim_waiters_or_drop_cancelled()) {
    int index = 0;
    while (Arrival* arrival = first_) {
      arrival->outcome = Arrival::Outcome::released;
      arrival->index = index++;
      unlink(*arrival);
    }
    return index;
  }
  link(self);
  do {
    self.claimed = false;
    self.wakeup.wait(self.node, "Barrier.wait");
  } while (self.outcome == Arrival::Outcome::pending);
  if (self.outcome == Arrival::Outcome::broken) throw BrokenBarrierError();
  return self.index;
}

void Barrier::reset() noexcept {
  broken_ = false;
  break_waiters();
}

void Barrier::abort() noexcept {
  broken_ = true;
  break_waiters();
}

}  // namespace spindle
