#include <spindle/fibers/timer.hpp>

#include <spindle/fibers/detail/scheduler_core.hpp>
#include <spindle/fibers/errors.hpp>

namespace spindle {

Timer::Timer(detail::UniqueFunction on_fire)
    : scheduler_(detail::SchedulerCore::current()), on_fire_(std::move(on_fire)) {
  if (scheduler_ == nullptr) throw FiberError("spindle::Timer: this thread has no scheduler");
  node_.owner = this;
  node_.fire = [](detail::TimerNode& node) {
    auto* timer = static_cast<Timer*>(node.owner);
    timer->scheduler_->run_callback("a timer callback", timer->on_fire_);
  };
}

Timer::~Timer() { cancel(); }

void Timer::arm_at(TimePoint deadline) { scheduler_->timers().arm(node_, deadline); }

void Timer::arm_after(Duration delay) { arm_at(scheduler_->now() + delay); }

bool Timer::cancel() noexcept { return scheduler_->timers().disarm(node_); }

}  // namespace spindle
