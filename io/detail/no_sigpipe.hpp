// Writing to a pipe without SIGPIPE.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

namespace spindle::detail {

// writev(fd, pieces, count), but a reader that is gone gives -1 with errno EPIPE instead of a
// SIGPIPE that kills the process: pipes have no MSG_NOSIGNAL. Unless SIGPIPE is ignored or already
// blocked, blocks it in this thread for the call and consumes the SIGPIPE the call raised for the
// thread (the POSIX idiom). Never blocks beyond the write itself; any thread.
ssize_t writev_without_sigpipe(int fd, const iovec* pieces, int count) noexcept;

}  // namespace spindle::detail
