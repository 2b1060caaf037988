// Interposers for read, readv, write, writev. On a socket they are the socket transfers (read(2) on
// a socket is recv with no flags); on anything else (pipes, terminals, eventfds, files) the fiber
// parks until poll(2) reports the descriptor ready, then makes the real call, which cannot block
// then. Regular files always poll ready, so they read and write as usual.
#include <spindle/io/hooks/detail/blocking_call.hpp>
#include <spindle/io/hooks/detail/gate.hpp>
#include <spindle/io/hooks/detail/real_calls.hpp>
#include <spindle/io/hooks/detail/socket_transfer.hpp>

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace spindle::detail::hooks;

namespace {

// A blocking write to a pipe or terminal larger than PIPE_BUF would block after readiness until
// the reader drained it all; written PIPE_BUF at a time, each piece fits once the pipe polls
// writable. Files and block devices take any length at once.
bool needs_pieces(int fd, size_t length) noexcept {
  if (length <= PIPE_BUF) return false;
  struct stat status {};
  return ::fstat(fd, &status) == 0 && !S_ISREG(status.st_mode) && !S_ISBLK(status.st_mode);
}

ssize_t write_when_ready(int fd, const void* buffer, size_t length) noexcept {
  BlockingCall call(fd, Direction::write);
  const bool in_pieces = needs_pieces(fd, length);
  size_t total = 0;
  do {
    if (!call.wait_until_ready(POLLOUT)) return total > 0 ? static_cast<ssize_t>(total) : -1;
    const bool nonblocking = in_pieces && call.caller_nonblocking();
    size_t piece = in_pieces && !nonblocking && length - total > PIPE_BUF ? PIPE_BUF : length - total;
    ssize_t wrote = real().write(fd, static_cast<const char*>(buffer) + total, piece);
    if (wrote < 0) {
      if (would_block(errno) && in_pieces && !nonblocking) continue;
      return total > 0 ? static_cast<ssize_t>(total) : -1;
    }
    total += static_cast<size_t>(wrote);
    if (!in_pieces || nonblocking) break;
  } while (total < length);
  return static_cast<ssize_t>(total);
}

// The cooperative bodies stay out of line, so the pass-through path of each hook is a test and a
// tail call with no stack frame.
[[gnu::noinline]] ssize_t read_cooperatively(int fd, void* buffer, size_t length) noexcept {
  iovec one{buffer, length};
  msghdr message = single_buffer_message(one);
  if (std::optional<ssize_t> got = receive_message(fd, &message, 0)) return *got;
  BlockingCall call(fd, Direction::read);
  if (!call.wait_until_ready(POLLIN)) return -1;
  return real().read(fd, buffer, length);
}

[[gnu::noinline]] ssize_t readv_cooperatively(int fd, const iovec* buffers, int count) noexcept {
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(buffers);
  message.msg_iovlen = static_cast<size_t>(count);
  if (std::optional<ssize_t> got = receive_message(fd, &message, 0)) return *got;
  BlockingCall call(fd, Direction::read);
  if (!call.wait_until_ready(POLLIN)) return -1;
  return real().readv(fd, buffers, count);
}

[[gnu::noinline]] ssize_t write_cooperatively(int fd, const void* buffer, size_t length) noexcept {
  iovec one{const_cast<void*>(buffer), length};
  msghdr message = single_buffer_message(one);
  if (std::optional<ssize_t> sent = transmit_message(fd, &message, 0)) return *sent;
  return write_when_ready(fd, buffer, length);
}

[[gnu::noinline]] ssize_t writev_cooperatively(int fd, const iovec* buffers, int count) noexcept {
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(buffers);
  message.msg_iovlen = static_cast<size_t>(count);
  if (std::optional<ssize_t> sent = transmit_message(fd, &message, 0)) return *sent;
  size_t total = 0;
  for (int i = 0; i < count; ++i) total += buffers[i].iov_len;
  if (!needs_pieces(fd, total)) {
    BlockingCall call(fd, Direction::write);
    if (!call.wait_until_ready(POLLOUT)) return -1;
    return real().writev(fd, buffers, count);
  }
  size_t written = 0;
  for (int i = 0; i < count; ++i) {
    ssize_t wrote = write_when_ready(fd, buffers[i].iov_base, buffers[i].iov_len);
    if (wrote < 0) return written > 0 ? static_cast<ssize_t>(written) : -1;
    written += static_cast<size_t>(wrote);
    if (static_cast<size_t>(wrote) < buffers[i].iov_len) break;
  }
  return static_cast<ssize_t>(written);
}

}  // namespace

extern "C" {

ssize_t read(int fd, void* buffer, size_t length) {
  if (!cooperative()) [[likely]] return real().read(fd, buffer, length);
  return read_cooperatively(fd, buffer, length);
}

ssize_t readv(int fd, const iovec* buffers, int count) {
  if (!cooperative() || count <= 0) [[likely]] return real().readv(fd, buffers, count);
  return readv_cooperatively(fd, buffers, count);
}

ssize_t write(int fd, const void* buffer, size_t length) {
  if (!cooperative()) [[likely]] return real().write(fd, buffer, length);
  return write_cooperatively(fd, buffer, length);
}

ssize_t writev(int fd, const iovec* buffers, int count) {
  if (!cooperative() || count <= 0) [[likely]] return real().writev(fd, buffers, count);
  return writev_cooperatively(fd, buffers, count);
}

}  // extern "C"
