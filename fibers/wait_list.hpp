// A FIFO of parked fibers: the building block of joins, locks, events, queues and futures.
//
// Nodes live on the waiting fibers' own stacks and unlink themselves when the wait ends, however it
// ends (woken, timed out, cancelled), so nothing is allocated and a cancelled waiter can never be
// handed anything: see the contract in park.hpp.
#pragma once

#include <spindle/fibers/clock.hpp>
#include <spindle/fibers/park.hpp>

#include <cstddef>
#include <optional>

namespace spindle {

class WaitList {
 public:
  class Node {
   public:
    // Captures the calling fiber's Waker. `payload` is free for the primitive's use (for instance a
    // slot a producer fills before unparking the consumer).
    explicit Node(void* payload = nullptr) : waker_(Waker::current()), payload_(payload) {}
    ~Node() { unlink(); }
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    void* payload() const noexcept { return payload_; }
    bool linked() const noexcept { return list_ != nullptr; }
    void unlink() noexcept;

   private:
    friend class WaitList;
    Waker waker_;
    void* payload_;
    WaitList* list_ = nullptr;
    Node* prev_ = nullptr;
    Node* next_ = nullptr;
  };

  WaitList() = default;
  WaitList(const WaitList&) = delete;
  WaitList& operator=(const WaitList&) = delete;

  // Parks the calling fiber at the back of the list until woken through the list (woken), the
  // deadline passes (timed_out), or it is cancelled (throws CancelledError). Throws FiberError
  // outside a fiber.
  WakeStatus wait(const char* reason, std::optional<TimePoint> deadline = std::nullopt);
  // The same, with a node the caller made (to pass a payload).
  WakeStatus wait(Node& node, const char* reason, std::optional<TimePoint> deadline = std::nullopt);

  // Wakes the longest-waiting fiber that is still parked and returns its node (still valid until that
  // fiber runs), or nullptr if none. Waiters that already resumed for another reason are dropped.
  Node* wake_one() noexcept;
  // As wake_one(), but the woken fiber's wait throws `error`.
  Node* wake_one_with_error(std::exception_ptr error) noexcept;
  // Wakes every parked waiter; returns how many.
  std::size_t wake_all() noexcept;
  std::size_t wake_all_with_error(std::exception_ptr error) noexcept;

  bool empty() const noexcept { return head_ == nullptr; }
  std::size_t size() const noexcept { return size_; }

 private:
  void push_back(Node& node) noexcept;
  Node* pop_front() noexcept;

  Node* head_ = nullptr;
  Node* tail_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace spindle
