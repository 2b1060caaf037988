// Waiting for a file descriptor to become readable or writable.
//
// These are the primitive io/ builds on: try the non-blocking syscall, and on EAGAIN wait here and
// retry. A wait may return true spuriously (the retry then sees EAGAIN again and waits again); it
// never misses readiness that arrives after the syscall failed. On a stream socket a read that
// returned fewer bytes than asked has drained it (epoll(7)), so a reader may wait *before* its next
// read and save the read that would fail with EAGAIN: bytes that arrive later wake the wait, and
// once a stream socket's peer has shut down its side (or reset the connection) every readable wait
// returns at once, so end of stream is never waited for.
#pragma once

#include <spindle/fibers/clock.hpp>

#include <optional>

namespace spindle {

// Park the calling fiber until `fd` is readable (writable), or the deadline passes: returns true
// when ready, false on timeout. Hang-ups and errors count as ready, so the retried syscall reports
// them. Descriptors epoll cannot watch (regular files) are always ready. A cancellation point.
//
// One fiber at a time may wait per direction of a descriptor; a second one gets FiberError. The
// descriptor stays registered with the scheduler until forget_fd(), which must be called before
// the descriptor is closed (io/'s types do this). Throws FiberError outside a fiber,
// std::system_error if epoll refuses the descriptor or it is forgotten during the wait.
bool wait_readable(int fd, std::optional<TimePoint> deadline = std::nullopt);
bool wait_writable(int fd, std::optional<TimePoint> deadline = std::nullopt);

// Drops the calling thread's scheduler's registration of `fd`; fibers waiting on it get
// std::system_error(EBADF). No-op if the thread has no scheduler or never watched `fd`. Never blocks.
void forget_fd(int fd) noexcept;

}  // namespace spindle
