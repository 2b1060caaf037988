#include <spindle/fibers/introspect.hpp>

#include <spindle/fibers/detail/scheduler_core.hpp>

namespace spindle {

std::vector<FiberInfo> list_fibers() {
  std::vector<FiberInfo> fibers;
  if (detail::SchedulerCore* scheduler = detail::SchedulerCore::current()) {
    scheduler->for_each_live([&](const detail::FiberBase& fiber, TimePoint at) {
      static constexpr const char* states[] = {"ready", "running", "parked", "done"};
      fibers.push_back(FiberInfo{fiber.id, fiber.display_name(), states[static_cast<int>(fiber.state)],
                                 fiber.park_reason != nullptr ? fiber.park_reason : "", at - fiber.state_since});
    });
  }
  return fibers;
}

void dump_fibers(std::ostream& out) {
  if (detail::SchedulerCore* scheduler = detail::SchedulerCore::current()) scheduler->dump(out);
}

}  // namespace spindle
