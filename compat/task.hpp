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

// What every task shares, whatever its value type: the name, cancellation requests, and running
// the body in the task's fiber. The members a running task touches come first, the ones read only
// on request after them (see FutureCore on why that matters).
class TaskCore {
 public:
  TaskCore(std::string name, std::source_location created_at)
      : created_at_(created_at), name_(name.empty() ? std::nullopt : std::optional(std::move(name))) {}
  virtual ~TaskCore() = default;
  TaskCore(const TaskCore&) = delete;
  TaskCore& operator=(const TaskCore&) = delete;

  // Runs the body and completes the future with its outcome; the task's fiber calls it once.
  virtual void run() noexcept = 0;
  // The future this task completes (the same object: TaskState<T> is both).
  virtual FutureCore& future() noexcept = 0;

  // The given name, or the fiber's default one, made only when asked: formatting "fiber#<id>" for
  // every task costs more than a small task does.
  const std::string& name() const;
  void set_name(std::string name) { name_ = std::move(name); }
  // "task 'NAME' (created at FILE:LINE)", for the unretrieved-exception report.
  std::string description() const;

  bool started = false;
  // cancel() came before the fiber started: the fiber completes the future as cancelled with
  // `cancel_message` instead of running the body.
  bool cancelled_before_start = false;
  int cancel_requests = 0;
  JoinHandle<void> fiber;  // until the body ends
  FiberId fiber_id = 0;
  std::string cancel_message;

 private:
  std::source_location created_at_;
  mutable std::optional<std::string> name_;
};

template <class T>
class TaskState : public FutureState<T>, public TaskCore {
 public:
  using TaskCore::TaskCore;
  ~TaskState() override {
    if (this->exception_unretrieved()) this->report_unretrieved(description());
  }

  bool cancel(std::string message) override {
    if (this->done()) return false;
    ++cancel_requests;
    if (started) {
      fiber.cancel(std::move(message));
    } else {
      // The fiber must still run to complete the future: it finds this and skips the body.
      cancelled_before_start = true;
      cancel_message = std::move(message);
    }
    return true;
  }
  FutureCore& future() noexcept override { return *this; }

 protected:
  void on_finish() noexcept override { fiber = JoinHandle<void>(); }
};

// A task's state together with its body, in one allocation.
template <class T, class Fn>
class TaskWithBody final : public TaskState<T> {
 public:
  TaskWithBody(Fn&& body, std::string name, std::source_location created_at)
      : TaskState<T>(std::move(name), created_at), body_(std::move(body)) {}
  TaskWithBody(const Fn& body, std::string name, std::source_location created_at)
      : TaskState<T>(std::move(name), created_at), body_(body) {}

  void run() noexcept override {
    this->started = true;
    if (this->cancelled_before_start) {
      this->finish_cancelled(std::move(this->cancel_message));
    } else {
      try {
        if constexpr (std::is_void_v<T>) {
          (*body_)();
        } else {
          this->value.emplace((*body_)());
        }
        this->finish(nullptr);
      } catch (const CancelledError& cancelled) {
        this->finish_cancelled(cancelled.message());
      } catch (...) {
        this->finish(std::current_exception());
      }
    }
    // What the body captured is released when it ends, not when the last handle goes.
    body_.reset();
  }

 private:
  std::optional<Fn> body_;
};

// The callable of every task's fiber: one type for all tasks, so the fiber that runs a task can be
// recognised (current_task, all_tasks) without a registry to update as each task starts and ends.
// Holding the state, it makes the loop own the task until the body ends.
struct TaskRunner {
  std::shared_ptr<TaskCore> task;
  void operator()() const { task->run(); }
};

}  // namespace detail

// The facts about a task that do not depend on its value type (what current_task() and all_tasks()
// return). A handle: copies refer to the same task.
class TaskRef {
 public:
  explicit TaskRef(std::shared_ptr<detail::TaskCore> task) : task_(std::move(task)) {}

  const std::string& get_name() const { return task_->name(); }
  void set_name(std::string name) { task_->set_name(std::move(name)); }
  bool done() const noexcept { return task_->future().done(); }
  // Requests cancellation; see Task::cancel.
  bool cancel(std::string message = {}) { return task_->future().cancel(std::move(message)); }
  int cancelling() const noexcept { return task_->cancel_requests; }
  int uncancel() noexcept { return task_->cancel_requests > 0 ? --task_->cancel_requests : 0; }
  bool operator==(const TaskRef& other) const noexcept { return task_ == other.task_; }

 private:
  std::shared_ptr<detail::TaskCore> task_;
};

template <class T>
class Task : public Future<T> {
 public:
  Task(std::shared_ptr<detail::TaskState<T>> state) : Future<T>(std::move(state)) {}

  const std::string& get_name() const { return task().name(); }
  void set_name(std::string name) { task().set_name(std::move(name)); }

  // Requests cancellation: the task's fiber gets CancelledError(message) at its current or next
  // blocking point; the task then counts as cancelled unless the body catches it. Returns false if
  // the task is already done. Never blocks. (Inherited Future::cancel does the same.)
  // cancelling() counts the requests not yet withdrawn; uncancel() withdraws one (for scopes that
  // turn their own cancellation into another error) and returns the new count.
  int cancelling() const noexcept { return task().cancel_requests; }
  int uncancel() noexcept { return task().cancel_requests > 0 ? --task().cancel_requests : 0; }

  TaskRef ref() const { return TaskRef(std::static_pointer_cast<detail::TaskState<T>>(this->state_)); }

 private:
  // The future's state is the task's (only create_task makes a Task), so one shared pointer serves
  // both: a second one would cost an atomic count update on every copy.
  detail::TaskState<T>& task() const noexcept { return static_cast<detail::TaskState<T>&>(*this->state_); }
};

// Starts `body` in a new fiber on the calling thread's loop and returns its Task; the body runs
// once the caller parks or yields (never before create_task returns). Throws FiberError without a
// scheduler on this thread.
template <class Fn>
  requires std::is_invocable_v<std::decay_t<Fn>&>
auto create_task(Fn&& body, std::string name = {}, std::source_location created_at = std::source_location::current()) {
  using T = std::invoke_result_t<std::decay_t<Fn>&>;
  auto state = std::make_shared<detail::TaskWithBody<T, std::decay_t<Fn>>>(std::forward<Fn>(body), name, created_at);
  state->fiber = spawn(detail::TaskRunner{state}, SpawnOptions{.name = std::move(name), .spawned_at = created_at});
  state->fiber_id = state->fiber.id();
  return Task<T>(std::move(state));
}

// The task whose fiber is calling, if that fiber runs a task.
std::optional<TaskRef> current_task();
// Every task of the calling thread's loop that has not finished.
std::vector<TaskRef> all_tasks();

}  // namespace spindle
