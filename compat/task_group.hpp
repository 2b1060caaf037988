// TaskGroup: structured concurrency (asyncio.TaskGroup, Trio's nursery).
//
//   task_group([&](TaskGroup& group) {
//     group.create_task(fetch_a);
//     group.create_task(fetch_b);
//   });  // returns once both finished; throws ExceptionGroup if any failed
//
// The block runs in the calling fiber and may start children; the call returns only when every
// child has finished. The first child that fails (with anything but CancelledError) cancels the
// other children and the block, right away; all failures (the block's included) then come out
// together in one ExceptionGroup. If the calling fiber is cancelled from outside, the children are
// cancelled, waited for, and the CancelledError continues (as an ExceptionGroup if some child failed
// as well). asyncio writes `async with TaskGroup() as tg:`; a destructor cannot throw the group's
// errors, so the block is a callable.
#pragma once

#include <spindle/compat/task.hpp>

#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace spindle {

class TaskGroup {
 public:
  // Starts a child task in the group. Throws InvalidStateError once the group has finished or is
  // being cancelled because a child failed.
  template <class Fn>
    requires std::is_invocable_v<std::decay_t<Fn>&>
  auto create_task(Fn&& body, std::string name = {},
                   std::source_location created_at = std::source_location::current()) {
    require_open();
    auto task = spindle::create_task(std::forward<Fn>(body), std::move(name), created_at);
    adopt(*task.state());
    return task;
  }

  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;

 private:
  template <class Fn>
  friend void task_group(Fn&& block);

  TaskGroup();
  ~TaskGroup();
  void require_open() const;
  void adopt(detail::FutureCore& child);
  void on_child_done(detail::FutureCore& child);
  void abort();
  // Waits for every child; `block_error` is what the block threw (or nullptr). Throws the outcome.
  void finish(std::exception_ptr block_error);

  detail::FiberBase* parent_;
  std::string abort_token_;
  bool aborting_ = false;
  bool closed_ = false;
  std::vector<std::exception_ptr> errors_;
  detail::CompletionSignal signal_;
};

// Runs `block(group)` and waits for every task it started in `group`; see above. Call from a fiber.
template <class Fn>
void task_group(Fn&& block) {
  TaskGroup group;
  std::exception_ptr block_error;
  try {
    block(group);
  } catch (...) {
    block_error = std::current_exception();
  }
  group.finish(block_error);
}

}  // namespace spindle
