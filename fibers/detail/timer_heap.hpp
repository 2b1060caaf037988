// The scheduler's deadlines: an intrusive binary min-heap of TimerNodes.
//
// Why intrusive: every parked fiber may carry a deadline, and a deadline is usually removed before
// it fires (the socket became readable first). Each node remembers its heap slot, so arming and
// disarming are O(log n) with no allocation and no search; a fiber's own node lives inside the
// fiber. Equal deadlines fire in arming order (the sequence number), which keeps runs replayable.
#pragma once

#include <spindle/fibers/clock.hpp>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace spindle::detail {

struct TimerNode {
  static constexpr std::size_t not_armed = std::numeric_limits<std::size_t>::max();

  TimePoint deadline{};
  std::uint64_t sequence = 0;
  std::size_t heap_slot = not_armed;
  // Runs on the scheduler's thread when the deadline passes, after the node was removed from the
  // heap. It must not park: it runs on whatever stack polled the timers.
  void (*fire)(TimerNode&) = nullptr;
  void* owner = nullptr;

  bool armed() const noexcept { return heap_slot != not_armed; }
};

class TimerHeap {
 public:
  void arm(TimerNode& node, TimePoint deadline);
  // Removes the node if armed; returns whether it was.
  bool disarm(TimerNode& node) noexcept;
  // Removes and fires every node whose deadline is at or before `now`. Returns how many fired.
  std::size_t fire_expired(TimePoint now);

  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  TimePoint next_deadline() const noexcept { return heap_.front()->deadline; }

 private:
  static bool earlier(const TimerNode* a, const TimerNode* b) noexcept {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->sequence < b->sequence);
  }
  void place(TimerNode* node, std::size_t slot) noexcept;
  void sift_up(std::size_t slot) noexcept;
  void sift_down(std::size_t slot) noexcept;

  std::vector<TimerNode*> heap_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace spindle::detail
