#include <spindle/fibers/detail/timer_heap.hpp>

namespace spindle::detail {

void TimerHeap::place(TimerNode* node, std::size_t slot) noexcept {
  heap_[slot] = node;
  node->heap_slot = slot;
}

void TimerHeap::sift_up(std::size_t slot) noexcept {
  TimerNode* node = heap_[slot];
  while (slot > 0) {
    std::size_t parent = (slot - 1) / 2;
    if (!earlier(node, heap_[parent])) break;
    place(heap_[parent], slot);
    slot = parent;
  }
  place(node, slot);
}

void TimerHeap::sift_down(std::size_t slot) noexcept {
  TimerNode* node = heap_[slot];
  const std::size_t count = heap_.size();
  for (;;) {
    std::size_t child = 2 * slot + 1;
    if (child >= count) break;
    if (child + 1 < count && earlier(heap_[child + 1], heap_[child])) ++child;
    if (!earlier(heap_[child], node)) break;
    place(heap_[child], slot);
    slot = child;
  }
  place(node, slot);
}

void TimerHeap::arm(TimerNode& node, TimePoint deadline) {
  if (node.armed()) disarm(node);
  node.deadline = deadline;
  node.sequence = next_sequence_++;
  heap_.push_back(&node);
  node.heap_slot = heap_.size() - 1;
  sift_up(node.heap_slot);
}

bool TimerHeap::disarm(TimerNode& node) noexcept {
  if (!node.armed()) return false;
  std::size_t slot = node.heap_slot;
  node.heap_slot = TimerNode::not_armed;
  TimerNode* last = heap_.back();
  heap_.pop_back();
  if (last != &node) {
    place(last, slot);
    sift_up(slot);
    sift_down(last->heap_slot);
  }
  return true;
}

std::size_t TimerHeap::fire_expired(TimePoint now) {
  // Only timers armed before this step fire in it: a callback that re-arms for a past deadline
  // fires at the next step instead of spinning this one forever.
  const std::uint64_t armed_before = next_sequence_;
  std::size_t fired = 0;
  while (!heap_.empty() && heap_.front()->deadline <= now && heap_.front()->sequence < armed_before) {
    TimerNode& node = *heap_.front();
    disarm(node);
    node.fire(node);
    ++fired;
  }
  return fired;
}

}  // namespace spindle::detail
