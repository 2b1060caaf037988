#include <spindle/compat/event.hpp>

namespace spindle {

void Event::wait() {
  if (set_) return;
  waiters_.wait("Event.wait");
}

void Event::set() noexcept {
  if (set_) return;  // nobody is parked while the event is set
  set_ = true;
  waiters_.wake_all();
}

}  // namespace spindle
