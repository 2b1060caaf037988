// Event: asyncio.Event for fibers. A flag that fibers can wait for.
#pragma once

#include <spindle/fibers/wait_list.hpp>

namespace spindle {

// Starts clear. set() wakes every fiber waiting in wait(); while it stays set, wait() returns at
// once. Not thread-safe: use it only on its scheduler's thread (from another thread, post() the
// set() to the scheduler). Destroy it only when no fiber waits for it.
class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // Returns at once, without switching fibers, if the event is set; otherwise parks the calling
  // fiber until set() is called. A fiber woken by set() returns even if clear() was called before it
  // ran. Throws CancelledError if the fiber is cancelled while parked, FiberError if it would park
  // outside a fiber.
  void wait();
  // Sets the event and wakes every waiting fiber. Never blocks or switches; callable from any code
  // on the scheduler's thread (a fiber, a timer callback, posted work).
  void set() noexcept;
  // Clears the event: later wait() calls park until the next set(). Never blocks.
  void clear() noexcept { set_ = false; }
  bool is_set() const noexcept { return set_; }

 private:
  bool set_ = false;
  WaitList waiters_;
};

}  // namespace spindle
