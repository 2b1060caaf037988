#include <spindle/fibers/remote_scheduler.hpp>

#include <spindle/fibers/detail/scheduler_core.hpp>
#include <spindle/fibers/errors.hpp>

#include <mutex>

namespace spindle {

RemoteScheduler RemoteScheduler::current() {
  detail::SchedulerCore* scheduler = detail::SchedulerCore::current();
  if (scheduler == nullptr) throw FiberError("RemoteScheduler::current: this thread has no scheduler");
  return RemoteScheduler(scheduler->remote_state());
}

bool RemoteScheduler::post(detail::UniqueFunction work) const {
  std::lock_guard lock(state_->mutex);
  if (state_->core == nullptr) return false;
  state_->core->post(std::move(work));
  return true;
}

bool RemoteScheduler::is_current() const noexcept {
  return detail::SchedulerCore::current() != nullptr && detail::SchedulerCore::current()->remote_state() == state_;
}

PendingPost::PendingPost(RemoteScheduler target) : state_(std::move(target.state_)) {
  if (detail::SchedulerCore* here = detail::SchedulerCore::current(); here != nullptr && here->remote_state() == state_) {
    // The documented case. Only this thread clears `core`, so no lock is needed, and none is
    // taken: the lock would make the loop wait for a pool thread that is posting the last result.
    here->add_expected_post();
    return;
  }
  std::lock_guard lock(state_->mutex);
  if (state_->core != nullptr) state_->core->add_expected_post();
}

PendingPost::~PendingPost() {
  if (!state_) return;
  std::lock_guard lock(state_->mutex);
  if (state_->core != nullptr) state_->core->drop_expected_post();
}

bool PendingPost::send(detail::UniqueFunction work) {
  auto state = std::move(state_);
  std::lock_guard lock(state->mutex);
  if (state->core == nullptr) return false;
  state->core->post_expected(std::move(work));
  return true;
}

}  // namespace spindle
