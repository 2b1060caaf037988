#include <spindle/fibers/park.hpp>

#include <spindle/fibers/detail/scheduler_core.hpp>
#include <spindle/fibers/errors.hpp>
#include <spindle/fibers/wait_list.hpp>

namespace spindle {
namespace {

detail::SchedulerCore& scheduler_for_park(const char* reason) {
  detail::SchedulerCore* scheduler = detail::SchedulerCore::current();
  if (scheduler == nullptr) {
    throw FiberError(std::string("spindle: cannot wait for '") + reason + "' on a thread without a scheduler");
  }
  return *scheduler;
}

}  // namespace

Waker Waker::current() {
  detail::FiberBase* fiber = detail::SchedulerCore::running_fiber();
  if (fiber == nullptr) throw FiberError("spindle: only a fiber can wait; this code runs outside any fiber");
  return Waker(fiber);
}

bool Waker::unpark() const noexcept {
  return fiber_->scheduler->unpark(fiber_, detail::WakeReason::unparked, nullptr);
}

bool Waker::unpark_with_error(std::exception_ptr error) const noexcept {
  return fiber_->scheduler->unpark(fiber_, detail::WakeReason::failed, std::move(error));
}

WakeStatus park(const char* reason) { return scheduler_for_park(reason).park(reason, nullptr); }

WakeStatus park_until(const char* reason, TimePoint deadline) {
  return scheduler_for_park(reason).park(reason, &deadline);
}

// ---------------------------------------------------------------------------------------------

void WaitList::Node::unlink() noexcept {
  if (list_ == nullptr) return;
  if (prev_ != nullptr) prev_->next_ = next_; else list_->head_ = next_;
  if (next_ != nullptr) next_->prev_ = prev_; else list_->tail_ = prev_;
  --list_->size_;
  list_ = nullptr;
  prev_ = next_ = nullptr;
}

void WaitList::push_back(Node& node) noexcept {
  node.list_ = this;
  node.prev_ = tail_;
  node.next_ = nullptr;
  if (tail_ != nullptr) tail_->next_ = &node; else head_ = &node;
  tail_ = &node;
  ++size_;
}

WaitList::Node* WaitList::pop_front() noexcept {
  Node* node = head_;
  if (node != nullptr) node->unlink();
  return node;
}

WakeStatus WaitList::wait(const char* reason, std::optional<TimePoint> deadline) {
  Node node;
  return wait(node, reason, deadline);
}

WakeStatus WaitList::wait(Node& node, const char* reason, std::optional<TimePoint> deadline) {
  push_back(node);
  // The node unlinks itself in every outcome: here if park() returns or throws, or already by
  // wake_one() when it was the one woken.
  struct Unlink {
    Node& node;
    ~Unlink() { node.unlink(); }
  } unlink{node};
  return deadline ? park_until(reason, *deadline) : park(reason);
}

WaitList::Node* WaitList::wake_one() noexcept {
  while (Node* node = pop_front()) {
    if (node->waker_.unpark()) return node;
  }
  return nullptr;
}

WaitList::Node* WaitList::wake_one_with_error(std::exception_ptr error) noexcept {
  while (Node* node = pop_front()) {
    if (node->waker_.unpark_with_error(error)) return node;
  }
  return nullptr;
}

std::size_t WaitList::wake_all() noexcept {
  std::size_t woken = 0;
  while (wake_one() != nullptr) ++woken;
  return woken;
}

std::size_t WaitList::wake_all_with_error(std::exception_ptr error) noexcept {
  std::size_t woken = 0;
  while (wake_one_with_error(error) != nullptr) ++woken;
  return woken;
}

}  // namespace spindle
