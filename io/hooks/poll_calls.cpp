// Interposers for poll, ppoll and select. In a fiber with a non-zero timeout: look once without
// waiting; if nothing is ready, park until one of the descriptors may be (or the timeout passes)
// and look again. ppoll's signal mask cannot apply to a parked fiber (the thread runs others
// meanwhile) and is ignored there.
#include <spindle/io/hooks/detail/blocking_call.hpp>
#include <spindle/io/hooks/detail/gate.hpp>
#include <spindle/io/hooks/detail/real_calls.hpp>

#include <spindle/fibers/clock.hpp>

#include <sys/select.h>

#include <optional>
#include <vector>

using namespace spindle::detail::hooks;

namespace {

std::optional<spindle::TimePoint> deadline_after(const timespec* timeout) noexcept {
  if (timeout == nullptr) return std::nullopt;
  return spindle::now() + std::chrono::seconds(timeout->tv_sec) + std::chrono::nanoseconds(timeout->tv_nsec);
}

bool passed(const std::optional<spindle::TimePoint>& deadline) noexcept {
  return deadline && spindle::now() >= *deadline;
}

int poll_cooperatively(pollfd* fds, nfds_t count, std::optional<spindle::TimePoint> deadline) noexcept {
  for (;;) {
    int ready = real().poll(fds, count, 0);
    if (ready != 0 || passed(deadline)) return ready;
    if (int error = wait_any(fds, count, deadline); error != 0) {
      errno = error;
      return -1;
    }
  }
}

// Copies the sets the caller passed (the others are null in both).
void copy_sets(fd_set* to[3], fd_set* const from[3]) noexcept {
  for (int i = 0; i < 3; ++i) {
    if (to[i] != nullptr && from[i] != nullptr) *to[i] = *from[i];
  }
}

}  // namespace

extern "C" {

int poll(pollfd* fds, nfds_t count, int timeout_ms) {
  if (timeout_ms == 0 || !cooperative()) return real().poll(fds, count, timeout_ms);
  timespec timeout{timeout_ms / 1000, (timeout_ms % 1000) * 1'000'000L};
  return poll_cooperatively(fds, count, deadline_after(timeout_ms < 0 ? nullptr : &timeout));
}

int ppoll(pollfd* fds, nfds_t count, const timespec* timeout, const sigset_t* mask) {
  bool immediate = timeout != nullptr && timeout->tv_sec == 0 && timeout->tv_nsec == 0;
  if (immediate || !cooperative()) return real().ppoll(fds, count, timeout, mask);
  return poll_cooperatively(fds, count, deadline_after(timeout));
}

int select(int count, fd_set* readable, fd_set* writable, fd_set* exceptional, timeval* timeout) {
  bool immediate = timeout != nullptr && timeout->tv_sec == 0 && timeout->tv_usec == 0;
  if (immediate || count < 0 || count > FD_SETSIZE || !cooperative()) {
    return real().select(count, readable, writable, exceptional, timeout);
  }
  std::optional<spindle::TimePoint> deadline;
  if (timeout != nullptr) {
    timespec span{timeout->tv_sec, timeout->tv_usec * 1000L};
    deadline = deadline_after(&span);
  }
  fd_set* sets[3] = {readable, writable, exceptional};
  fd_set asked[3];
  fd_set* asked_sets[3] = {&asked[0], &asked[1], &asked[2]};
  copy_sets(asked_sets, sets);
  std::vector<pollfd> watched;
  try {
    for (int fd = 0; fd < count; ++fd) {
      short events = 0;
      if (readable != nullptr && FD_ISSET(fd, readable)) events |= POLLIN;
      if (writable != nullptr && FD_ISSET(fd, writable)) events |= POLLOUT;
      if (exceptional != nullptr && FD_ISSET(fd, exceptional)) events |= POLLPRI;
      if (events != 0) watched.push_back(pollfd{fd, events, 0});
    }
  } catch (...) {
    errno = ENOMEM;
    return -1;
  }
  for (;;) {
    copy_sets(sets, asked_sets);
    timeval zero{0, 0};
    int ready = real().select(count, readable, writable, exceptional, &zero);
    if (ready != 0 || passed(deadline)) {
      if (timeout != nullptr) {  // Linux reports the time left
        auto left = deadline ? std::max(spindle::Duration::zero(), *deadline - spindle::now()) : spindle::Duration::zero();
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
        *timeout = timeval{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)};
      }
      return ready;
    }
    if (int error = wait_any(watched.data(), watched.size(), deadline); error != 0) {
      errno = error;
      return -1;
    }
  }
}

}  // extern "C"
