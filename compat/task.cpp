#include <spindle/compat/task.hpp>

#include <spindle/fibers/detail/scheduler_core.hpp>

namespace spindle {
namespace detail {
namespace {

// The task a fiber runs, if it runs one: every task's fiber has a TaskRunner as its callable, which
// holds the task until the body ends.
const TaskRunner* task_runner_of(const FiberBase* fiber) noexcept {
  const auto* task_fiber = dynamic_cast<const FiberImpl<TaskRunner, void>*>(fiber);
  return task_fiber != nullptr && task_fiber->callable ? &*task_fiber->callable : nullptr;
}

}  // namespace

const std::string& TaskCore::name() const {
  // The fiber's display name for an unnamed fiber, as the fiber dump shows it.
  if (!name_) name_ = "fiber#" + std::to_string(fiber_id);
  return *name_;
}

std::string TaskCore::description() const {
  return "task '" + name() + "' (created at " + created_at_.file_name() + ":" + std::to_string(created_at_.line()) +
         ")";
}

}  // namespace detail

std::optional<TaskRef> current_task() {
  if (const detail::TaskRunner* runner = detail::task_runner_of(detail::SchedulerCore::running_fiber())) {
    return TaskRef(runner->task);
  }
  return std::nullopt;
}

std::vector<TaskRef> all_tasks() {
  std::vector<TaskRef> tasks;
  if (detail::SchedulerCore* scheduler = detail::SchedulerCore::current()) {
    scheduler->for_each_live([&](const detail::FiberBase& fiber, TimePoint) {
      const detail::TaskRunner* runner = detail::task_runner_of(&fiber);
      if (runner != nullptr && runner->task->started && !runner->task->future().done()) {
        tasks.emplace_back(runner->task);
      }
    });
  }
  return tasks;
}

}  // namespace spindle
