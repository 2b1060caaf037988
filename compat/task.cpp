#include <spindle/compat/task.hpp>

#include <spindle/fibers/this_fiber.hpp>

#include <unordered_map>

namespace spindle {
namespace detail {
namespace {

// Tasks running on this thread, by fiber id. Fibers never leave their thread, so neither do tasks.
thread_local std::unordered_map<FiberId, std::weak_ptr<TaskCore>> running_tasks;

}  // namespace

RunningTask::RunningTask(std::shared_ptr<TaskCore> task) : task_(std::move(task)) {
  running_tasks[this_fiber::id()] = task_;
}

RunningTask::~RunningTask() { running_tasks.erase(this_fiber::id()); }

}  // namespace detail

bool TaskRef::done() const {
  auto future = task_->future.lock();
  return future == nullptr || future->done();
}

bool TaskRef::cancel(std::string message) {
  auto future = task_->future.lock();
  return future != nullptr && future->cancel(std::move(message));
}

std::optional<TaskRef> current_task() {
  auto found = detail::running_tasks.find(this_fiber::id());
  if (found == detail::running_tasks.end()) return std::nullopt;
  if (auto task = found->second.lock()) return TaskRef(std::move(task));
  return std::nullopt;
}

std::vector<TaskRef> all_tasks() {
  std::vector<TaskRef> tasks;
  for (auto& [id, weak] : detail::running_tasks) {
    if (auto task = weak.lock()) tasks.emplace_back(std::move(task));
  }
  return tasks;
}

}  // namespace spindle
