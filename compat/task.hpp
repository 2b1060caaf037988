// Task<T>: a fiber whose outcome is a Future (asyncio.Task), and create_task to start one.
//
// A task's fiber holds its shared state until the body ends, so the loop owns every task until it
// finishes: dropping every handle never makes a running task vanish (asyncio keeps only weak
// references and loses tasks that way). The body's outcome (value, exception, or CancelledError)
// completes the future; an exception nobody retrieves is reported with the task's name and where it
// was created when the last handle goes.
#pragma once

#include <spindle/compat/future.hpp>
#include <spindle/fibers/join_handle.hpp>
#include <spindle/fibers/spawn.hpp>

#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace spindle {

namespace detail {

// What every task shares, whatever its value type: the fiber, the name, cancellation requests.
class TaskCore {
 public:
  virtual ~TaskCore() = default;
  std::string name;
  int cancel_requests = 0;
  JoinHandle<void> fiber;  // until the body ends
  std::weak_ptr<FutureCore> future;
};

template <class T>
class TaskState final : public FutureState<T>, public TaskCore {
 public:
  bool cancel(std::string message) override {
    if (this->done()) return false;
    ++cancel_requests;
    if (started) {
      fiber.cancel(std::move(message));
    } else {
      // The fiber must still run to complete the future: it finds this and skips the body.
      cancelled_before_start = std::move(message);
    }
    return true;
  }

  bool started = false;
  std::optional<std::string> cancelled_before_start;

 protected:
  void on_finish() noexcept override { fiber = JoinHandle<void>(); }
};

// Registers the running task for current_task()/all_tasks() for the lifetime of the object.
class RunningTask {
 public:
  explicit RunningTask(std::shared_ptr<TaskCore> task);
  ~RunningTask();
  RunningTask(const RunningTask&) = delete;
  RunningTask& operator=(const RunningTask&) = delete;

 private:
  std::shared_ptr<TaskCore> task_;
};

}  // namespace detail

// The facts about a task that do not depend on its value type (what current_task() and all_tasks()
// return). A handle: copies refer to the same task.
class TaskRef {
 public:
  explicit TaskRef(std::shared_ptr<detail::TaskCore> task) : task_(std::move(task)) {}

  const std::string& get_name() const noexcept { return task_->name; }
  void set_name(std::string name) { task_->name = std::move(name); }
  bool done() const;
  // Requests cancellation; see Task::cancel.
  bool cancel(std::string message = {});
  int cancelling() const noexcept { return task_->cancel_requests; }
  int uncancel() noexcept { return task_->cancel_requests > 0 ? --task_->cancel_requests : 0; }
  bool operator==(const TaskRef& other) const noexcept { return task_ == other.task_; }

 private:
  std::shared_ptr<detail::TaskCore> task_;
};

template <class T>
class Task : public Future<T> {
 public:
  Task(std::shared_ptr<detail::TaskState<T>> state) : Future<T>(state), task_(std::move(state)) {}

  const std::string& get_name() const noexcept { return task_->name; }
  void set_name(std::string name) { task_->name = std::move(name); }

  // Requests cancellation: the task's fiber gets CancelledError(message) at its current or next
  // blocking point; the task then counts as cancelled unless the body catches it. Returns false if
  // the task is already done. Never blocks. (Inherited Future::cancel does the same.)
  // cancelling() counts the requests not yet withdrawn; uncancel() withdraws one (for scopes that
  // turn their own cancellation into another error) and returns the new count.
  int cancelling() const noexcept { return task_->cancel_requests; }
  int uncancel() noexcept { return task_->cancel_requests > 0 ? --task_->cancel_requests : 0; }

  TaskRef ref() const { return TaskRef(task_); }

 private:
  std::shared_ptr<detail::TaskState<T>> task_;
};

// Starts `body` in a new fiber on the calling thread's loop and returns its Task; the body runs
// once the caller parks or yields (never before create_task returns). Throws FiberError without a
// scheduler on this thread.
template <class Fn>
  requires std::is_invocable_v<std::decay_t<Fn>&>
auto create_task(Fn&& body, std::string name = {}, std::source_location created_at = std::source_location::current()) {
  using T = std::invoke_result_t<std::decay_t<Fn>&>;
  auto state = std::make_shared<detail::TaskState<T>>();
  state->future = state;
  auto run = [state, body = std::forward<Fn>(body)]() mutable {
    state->started = true;
    if (state->cancelled_before_start) {
      state->finish_cancelled(std::move(*state->cancelled_before_start));
      return;
    }
    detail::RunningTask registration(state);
    try {
      if constexpr (std::is_void_v<T>) {
        body();
      } else {
        state->value.emplace(body());
      }
      state->finish(nullptr);
    } catch (const CancelledError& cancelled) {
      state->finish_cancelled(cancelled.message());
    } catch (...) {
      state->finish(std::current_exception());
    }
  };
  auto handle = spawn(std::move(run), SpawnOptions{.name = name, .spawned_at = created_at});
  state->name = handle.name();
  state->description = "task '" + state->name + "' (created at " + created_at.file_name() + ":" +
                       std::to_string(created_at.line()) + ")";
  state->fiber = std::move(handle);
  return Task<T>(std::move(state));
}

// The task whose fiber is calling, if that fiber runs a task.
std::optional<TaskRef> current_task();
// Every task of the calling thread's loop that has not finished.
std::vector<TaskRef> all_tasks();

}  // namespace spindle
