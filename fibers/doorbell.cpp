#include <spindle/fibers/doorbell.hpp>

#include <spindle/fibers/detail/scheduler_core.hpp>
#include <spindle/fibers/errors.hpp>

namespace spindle {

static_assert(std::atomic<bool>::is_always_lock_free, "ring() must stay async-signal-safe");

Doorbell::Doorbell(detail::UniqueFunction on_ring)
    : scheduler_(detail::SchedulerCore::current()), on_ring_(std::move(on_ring)) {
  if (scheduler_ == nullptr) throw FiberError("a Doorbell needs a scheduler on the calling thread");
  scheduler_->add_doorbell(this);
}

Doorbell::~Doorbell() { scheduler_->remove_doorbell(this); }

void Doorbell::ring() noexcept {
  rung_.store(true, std::memory_order_release);
  scheduler_->ring_doorbells();
}

}  // namespace spindle
