// Barrier: asyncio.Barrier (Python 3.11) for fibers. A meeting point for a fixed number of fibers.
#pragma once

#include <spindle/compat/errors.hpp>

namespace spindle {

// Fibers call wait() until `parties` of them are there; then all are released together and the
// barrier starts over, empty, for the next cycle. abort() breaks it for good (until reset()).
// Not thread-safe: use it only on its scheduler's thread. Destroy it only when no fiber waits on it.
class Barrier {
 public:
  // Throws std::invalid_argument("Barrier parties must be > 0") if `parties` < 1.
  explicit Barrier(int parties);
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  // Parks the calling fiber until `parties` fibers have called wait() in this cycle, and returns its
  // arrival index in the cycle, 0 for the first to arrive up to parties() - 1 for the one that
  // completes it. That last one is not parked: it releases the others and returns at once. A fiber
  // arriving after the release joins the next cycle, even if fibers released by the previous one
  // have not run yet. Throws BrokenBarrierError if the barrier is broken, or gets aborted or reset
  // while the fiber waits; CancelledError if the fiber is cancelled while waiting: it then leaves
  // the cycle, which needs another fiber in its place. A fiber that was already released when the
  // abort, reset or cancellation came returns its index (the cancellation is delivered at its next
  // blocking point). Throws FiberError outside a fiber.
  int wait();
  // Empties the barrier and repairs it if broken: the fibers waiting in the current cycle throw
  // BrokenBarrierError. Never blocks or switches.
  void reset() noexcept;
  // Breaks the barrier: the fibers waiting in the current cycle, and every later wait() until
  // reset(), throw BrokenBarrierError. Never blocks or switches.
  void abort() noexcept;

  bool broken() const noexcept { return broken_; }
  // How many fibers wait in the current cycle. Never blocks.
  int n_waiting() const noexcept { return n_waiting_; }
  int parties() const noexcept { return parties_; }

 private:
  struct Arrival;
  void link(Arrival& arrival) noexcept;
  void unlink(Arrival& arrival) noexcept;
  bool claim_waiters_or_drop_cancelled() noexcept;
  void break_waiters() noexcept;

  int parties_;
  bool broken_ = false;
  // The current cycle's waiters, in arrival order.
  Arrival* first_ = nullptr;
  Arrival* last_ = nullptr;
  int n_waiting_ = 0;
};

}  // namespace spindle
