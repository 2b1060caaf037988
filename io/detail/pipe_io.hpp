// Reading and writing a non-blocking pipe descriptor from a fiber: what PipeTransport and
// SubprocessPipe share.
#pragma once

#include <spindle/fibers/clock.hpp>

#include <sys/uio.h>

#include <cstddef>
#include <optional>
#include <string_view>

namespace spindle::detail {

// read(fd) into [data, data + size), parking the fiber while nothing is available; returns the
// bytes read, 0 at end of file. Throws TimeoutError once `deadline` passes, IoError naming
// `subject` ("read from SUBJECT: ..."), CancelledError when the fiber is cancelled while parked.
std::size_t read_pipe(int fd, void* data, std::size_t size, std::optional<TimePoint> deadline, std::string_view subject);

// writev(fd, pieces, count) of at least one byte, parking while the pipe is full; returns the
// bytes written. A reader that is gone is IoError(EPIPE), never a SIGPIPE: unless SIGPIPE is
// ignored or already blocked, it is blocked in this thread for the call and the SIGPIPE the call
// raised is consumed (pipes have no MSG_NOSIGNAL). Same errors as read_pipe.
std::size_t write_pipe(int fd, const iovec* pieces, int count, std::optional<TimePoint> deadline,
                       std::string_view subject);

}  // namespace spindle::detail
