// FileDescriptor: sole ownership of one open descriptor.
//
// Closing goes through here so that the scheduler's epoll registration is dropped first
// (forget_fd): a descriptor number reused after close must never inherit a stale registration, and
// a fiber still waiting on it is woken with EBADF instead of sleeping forever. Every io/ type that
// owns a descriptor holds one of these; a cancelled fiber's unwinding therefore closes its sockets.
#pragma once

#include <utility>

namespace spindle {

class FileDescriptor {
 public:
  FileDescriptor() noexcept = default;
  // Takes ownership of `fd` (-1 for none).
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  ~FileDescriptor() { close(); }

  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

  // Forgets the registration with this thread's scheduler and closes. Never blocks (close() of a
  // socket with SO_LINGER set is the caller's affair), never throws; idempotent. Call on the thread
  // whose scheduler waited on the descriptor.
  void close() noexcept;
  // Closes the current descriptor and takes `fd`.
  void reset(int fd = -1) noexcept;
  // Gives up ownership without closing; the scheduler's registration is dropped all the same.
  int release() noexcept;

 private:
  int fd_ = -1;
};

// Makes `fd` non-blocking and close-on-exec. Throws IoError naming `what` on failure.
void make_nonblocking(int fd, const char* what);

}  // namespace spindle
