#include <spindle/compat/task_group.hpp>

#include <spindle/fibers/detail/scheduler_core.hpp>

#include <atomic>

namespace spindle {
namespace {
std::atomic<std::uint64_t> next_group{1};
}  // namespace

TaskGroup::TaskGroup()
    : parent_(detail::SchedulerCore::running_fiber()),
      abort_token_("task group #" + std::to_string(next_group.fetch_add(1, std::memory_order_relaxed)) +
                   ": a child failed"),
      signal_([this](detail::FutureCore& child) { on_child_done(child); }) {
  if (parent_ == nullptr) throw FiberError("spindle::task_group: call it from a fiber");
}

TaskGroup::~TaskGroup() = default;

void TaskGroup::require_open() const {
  if (closed_) throw InvalidStateError("TaskGroup: the group has finished");
  if (aborting_) throw InvalidStateError("TaskGroup: the group is shutting down after a failure");
}

void TaskGroup::adopt(detail::FutureCore& child) { signal_.observe(child); }

void TaskGroup::on_child_done(detail::FutureCore& child) {
  std::exception_ptr failure = child.outcome_error();
  if (!failure || detail::is_cancellation(failure)) return;
  errors_.push_back(failure);
  abort();
}

void TaskGroup::abort() {
  if (aborting_) return;
  aborting_ = true;
  if (!closed_) detail::cancel_fiber(parent_, abort_token_);  // the block is still running
  signal_.cancel_all();
}

void TaskGroup::finish(std::exception_ptr block_error) {
  bool cancelled_from_outside = false;
  if (block_error) {
    if (!detail::is_cancellation(block_error)) {
      errors_.insert(errors_.begin(), block_error);
      abort();
    } else {
      try {
        std::rethrow_exception(block_error);
      } catch (const CancelledError& cancelled) {
        if (cancelled.message() != abort_token_) {
          cancelled_from_outside = true;
          abort();
        }
      }
    }
  }
  closed_ = true;
  detail::withdraw_cancel(parent_, abort_token_);  // an abort that never reached the block
  for (;;) {
    try {
      if (signal_.next_completed() == nullptr) break;
    } catch (const CancelledError&) {
      cancelled_from_outside = true;
      aborting_ = false;  // cancel the children now, whatever happened before
      abort();
    }
  }
  if (!errors_.empty()) throw ExceptionGroup("unhandled errors in a TaskGroup", errors_);
  if (cancelled_from_outside) throw CancelledError("task group cancelled");
}

}  // namespace spindle
