#include <spindle/fibers/this_fiber.hpp>

#include <spindle/fibers/detail/scheduler_core.hpp>
#include <spindle/fibers/errors.hpp>
#include <spindle/fibers/park.hpp>

namespace spindle::this_fiber {
namespace {

detail::FiberBase& running(const char* what) {
  detail::FiberBase* fiber = detail::SchedulerCore::running_fiber();
  if (fiber == nullptr) throw FiberError(std::string("spindle::this_fiber::") + what + " called outside a fiber");
  return *fiber;
}

}  // namespace


void sleep_until(TimePoint deadline) {
  detail::SchedulerCore& scheduler = *running("sleep").scheduler;
  if (deadline <= scheduler.now()) {
    scheduler.yield();
    return;
  }
  while (park_until("sleep", deadline) == WakeStatus::woken) {
    // Nobody but the timer should wake a sleeper; if someone holding our Waker does, sleep on.
  }
}

void sleep_for(Duration delay) {
  if (delay <= Duration::zero()) {
    yield();
    return;
  }
  sleep_until(running("sleep").scheduler->now() + delay);
}

void checkpoint() {
  if (detail::SchedulerCore* scheduler = detail::SchedulerCore::current()) scheduler->checkpoint();
}

FiberId id() noexcept {
  detail::FiberBase* fiber = detail::SchedulerCore::running_fiber();
  return fiber != nullptr ? fiber->id : 0;
}

std::string name() {
  detail::FiberBase* fiber = detail::SchedulerCore::running_fiber();
  return fiber != nullptr ? fiber->display_name() : std::string();
}

void set_name(std::string name) { running("set_name").name = std::move(name); }

}  // namespace spindle::this_fiber
