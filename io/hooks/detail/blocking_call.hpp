// How a hooked call waits: the cooperative half of every hook.
//
// Why the hooks keep no table of descriptors. libgo and libco make every socket non-blocking and
// remember what the user asked for; that record goes stale the moment a descriptor is closed or
// created behind the hooks' back (fclose, glibc's internal resolver, a raw syscall), and a stale
// "non-blocking" entry hangs a thread. spindle never changes a descriptor's flags (connect() alone
// sets O_NONBLOCK for the instant of the call) and asks the kernel instead:
//   - sockets are tried with MSG_DONTWAIT, a per-call flag; anything else with a zero-timeout poll;
//   - only when that would block does it read O_NONBLOCK (fcntl F_GETFL): a descriptor the caller
//     made non-blocking gets libc's EAGAIN, exactly as without the hooks;
//   - only when it is about to park does it read SO_RCVTIMEO / SO_SNDTIMEO (getsockopt), so
//     socket timeouts are honoured whoever set them.
// So a call that does not block costs one extra branch, and the state can never be wrong.
//
// Errors while parked become errno, because C callers cannot take a C++ exception: a cancelled
// fiber's call fails with ECANCELED (not EINTR, which C libraries retry in a loop) and the
// cancellation is made pending again, so the fiber's next spindle call throws CancelledError; a
// descriptor closed by another fiber during the wait gives EBADF.
#pragma once

#include <spindle/fibers/clock.hpp>

#include <poll.h>

#include <cerrno>
#include <optional>

namespace spindle {
class CancelledError;
}

namespace spindle::detail::hooks {

// A hooked call that caught `cancelled` fails its C caller and makes the cancellation pending
// again on the running fiber, whose next spindle call then throws it.
void keep_cancellation_pending(const CancelledError& cancelled) noexcept;

enum class Direction { read, write };

inline bool would_block(int error) noexcept { return error == EAGAIN || error == EWOULDBLOCK; }

// One hooked call that may have to wait on `fd`. Create it on a fiber, once per call: it reads the
// descriptor's mode and timeout at most once.
class BlockingCall {
 public:
  BlockingCall(int fd, Direction direction) noexcept : fd_(fd), direction_(direction) {}

  // Whether the caller made the descriptor non-blocking (O_NONBLOCK, read from the kernel).
  bool caller_nonblocking() noexcept;

  // Parks until the descriptor may be ready (true: try again), or returns false with errno set:
  // EAGAIN for a non-blocking descriptor or an expired SO_RCVTIMEO/SO_SNDTIMEO, ECANCELED, EBADF.
  bool wait() noexcept;

  // Parks until poll(2) reports `events` on the descriptor (true), or false with errno as wait().
  // For a non-blocking descriptor returns true at once: the real call then reports EAGAIN itself.
  bool wait_until_ready(short events) noexcept;

 private:
  int fd_;
  Direction direction_;
  signed char nonblocking_ = -1;  // unknown until asked
  bool deadline_read_ = false;
  std::optional<TimePoint> deadline_;
};

// Whether poll(2) with a zero timeout reports any of `events` (or an error) on `fd`.
bool ready_now(int fd, short events) noexcept;

// Parks until one of `fds` may be ready or the deadline passes: 0 (the caller polls again to see
// which), or an errno value (ECANCELED, ENOMEM). Zero descriptors: sleeps until the deadline.
int wait_any(const pollfd* fds, unsigned long count, std::optional<TimePoint> deadline) noexcept;

// Parks for `delay` on the scheduler's clock: 0, or ECANCELED.
int sleep_cooperatively(Duration delay) noexcept;

}  // namespace spindle::detail::hooks
