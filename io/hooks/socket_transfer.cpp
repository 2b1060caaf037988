#include <spindle/io/hooks/detail/socket_transfer.hpp>

#include <spindle/io/hooks/detail/blocking_call.hpp>
#include <spindle/io/hooks/detail/real_calls.hpp>

#include <cstddef>
#include <vector>

namespace spindle::detail::hooks {
namespace {

std::size_t total_length(const msghdr& message) noexcept {
  std::size_t total = 0;
  for (std::size_t i = 0; i < message.msg_iovlen; ++i) total += message.msg_iov[i].iov_len;
  return total;
}

// A private copy of a message's buffer list that moves past what was already transferred.
class RemainingBuffers {
 public:
  void advance(msghdr& message, std::size_t bytes) {
    if (buffers_.empty()) buffers_.assign(message.msg_iov, message.msg_iov + message.msg_iovlen);
    while (bytes > 0 && first_ < buffers_.size()) {
      std::size_t step = bytes < buffers_[first_].iov_len ? bytes : buffers_[first_].iov_len;
      buffers_[first_].iov_base = static_cast<char*>(buffers_[first_].iov_base) + step;
      buffers_[first_].iov_len -= step;
      bytes -= step;
      if (buffers_[first_].iov_len == 0) ++first_;
    }
    message.msg_iov = buffers_.data() + first_;
    message.msg_iovlen = buffers_.size() - first_;
    message.msg_control = nullptr;  // ancillary data goes with the first piece only
    message.msg_controllen = 0;
  }

 private:
  std::vector<iovec> buffers_;
  std::size_t first_ = 0;
};

bool is_stream_socket(int fd) noexcept {
  int type = 0;
  socklen_t length = sizeof type;
  return ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type == SOCK_STREAM;
}

}  // namespace

std::optional<ssize_t> receive_message(int fd, msghdr* message, int flags) noexcept {
  BlockingCall call(fd, Direction::read);
  const bool wait_all = (flags & MSG_WAITALL) != 0 && is_stream_socket(fd);
  const std::size_t wanted = wait_all ? total_length(*message) : 0;
  msghdr rest = *message;
  RemainingBuffers buffers;
  std::size_t total = 0;
  for (;;) {
    ssize_t got = real().recvmsg(fd, &rest, flags | MSG_DONTWAIT);
    if (got > 0 && wait_all && total + static_cast<std::size_t>(got) < wanted) {
      total += static_cast<std::size_t>(got);
      try {
        buffers.advance(rest, static_cast<std::size_t>(got));
      } catch (...) {
        return static_cast<ssize_t>(total);
      }
      continue;
    }
    if (got >= 0) {
      message->msg_namelen = rest.msg_namelen;
      message->msg_controllen = total == 0 ? rest.msg_controllen : 0;
      message->msg_flags = rest.msg_flags;
      return static_cast<ssize_t>(total + static_cast<std::size_t>(got));
    }
    if (errno == ENOTSOCK) return std::nullopt;
    if (!would_block(errno) || !call.wait()) return total > 0 ? static_cast<ssize_t>(total) : -1;
  }
}

std::optional<ssize_t> transmit_message(int fd, const msghdr* message, int flags) noexcept {
  BlockingCall call(fd, Direction::write);
  const std::size_t wanted = total_length(*message);
  msghdr rest = *message;
  RemainingBuffers buffers;
  std::size_t total = 0;
  for (;;) {
    ssize_t sent = real().sendmsg(fd, &rest, flags | MSG_DONTWAIT);
    if (sent > 0) {
      total += static_cast<std::size_t>(sent);
      if (total >= wanted) return static_cast<ssize_t>(total);
      try {
        buffers.advance(rest, static_cast<std::size_t>(sent));
      } catch (...) {
        return static_cast<ssize_t>(total);
      }
      continue;
    }
    if (sent == 0) return static_cast<ssize_t>(total);
    if (errno == ENOTSOCK) return std::nullopt;
    if (!would_block(errno) || !call.wait()) return total > 0 ? static_cast<ssize_t>(total) : -1;
  }
}

}  // namespace spindle::detail::hooks
