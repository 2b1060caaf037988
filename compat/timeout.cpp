#include <spindle/compat/timeout.hpp>

#include <spindle/fibers/detail/scheduler_core.hpp>

#include <atomic>

namespace spindle {
namespace {
std::atomic<std::uint64_t> next_scope{1};
}

Timeout::Timeout(std::optional<TimePoint> when)
    : when_(when),
      token_("timeout scope #" + std::to_string(next_scope.fetch_add(1, std::memory_order_relaxed)) + " expired"),
      fiber_(detail::SchedulerCore::running_fiber()),
      task_(current_task()),
      timer_([this] { expire(); }) {
  if (fiber_ == nullptr) throw FiberError("spindle::timeout: call it from a fiber");
  if (when_) timer_.arm_at(*when_);
}

Timeout::~Timeout() {
  timer_.cancel();
  if (expired_ && task_) task_->uncancel();
}

void Timeout::reschedule(std::optional<TimePoint> when) {
  if (expired_) throw InvalidStateError("timeout: cannot reschedule a scope that already expired");
  when_ = when;
  if (when_) {
    timer_.arm_at(*when_);
  } else {
    timer_.cancel();
  }
}

void Timeout::expire() {
  expired_ = true;
  if (task_) {
    task_->cancel(token_);
  } else {
    detail::cancel_fiber(fiber_, token_);
  }
}

void Timeout::withdraw() noexcept {
  timer_.cancel();
  if (expired_) detail::withdraw_cancel(fiber_, token_);
}

}  // namespace spindle
