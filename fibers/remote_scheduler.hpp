// RemoteScheduler: a weak, thread-safe handle for posting work to a scheduler from other threads.
//
// Scheduler::post requires the scheduler to outlive the call, which a thread completing work for
// another loop (an executor, a thread-safe future) cannot know. A RemoteScheduler can: once its
// scheduler is destroyed, post() drops the work and says so.
#pragma once

#include <spindle/fibers/detail/unique_function.hpp>

#include <memory>

namespace spindle {

namespace detail {
struct RemoteState;
}

class RemoteScheduler {
 public:
  // The calling thread's scheduler. Throws FiberError without one.
  static RemoteScheduler current();

  // Queues `work` as Scheduler::post does and returns true, or drops it and returns false when the
  // scheduler has been destroyed (or is being destroyed). Thread-safe; never blocks for long (a
  // mutex held only while queueing).
  bool post(detail::UniqueFunction work) const;
  // Whether this handle refers to the calling thread's scheduler.
  bool is_current() const noexcept;

  bool operator==(const RemoteScheduler&) const = default;

 private:
  friend class PendingPost;
  explicit RemoteScheduler(std::shared_ptr<detail::RemoteState> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::RemoteState> state_;
};

// A post announced in advance, from the side of the thread that will send it: the counterpart of
// Scheduler::ExpectPost for a thread that does not own the scheduler. While it is outstanding, a
// virtual-clock scheduler whose fibers are all parked waits for it instead of raising
// DeadlockError. Construct it on the scheduler's thread (before parking on what it will deliver);
// send or destroy it on any thread, once. Both are safe after the scheduler is destroyed.
class PendingPost {
 public:
  explicit PendingPost(RemoteScheduler target);
  ~PendingPost();
  PendingPost(const PendingPost&) = delete;
  PendingPost& operator=(const PendingPost&) = delete;

  // Posts `work` (RemoteScheduler::post) and ends the announcement; returns false if the scheduler
  // is gone. Call at most once.
  bool send(detail::UniqueFunction work);

 private:
  std::shared_ptr<detail::RemoteState> state_;
};

}  // namespace spindle
