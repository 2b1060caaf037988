#include <spindle/io/file_descriptor.hpp>

#include <spindle/fibers/fd_wait.hpp>
#include <spindle/io/errors.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace spindle {

void FileDescriptor::close() noexcept {
  if (fd_ < 0) return;
  forget_fd(fd_);
  // Linux releases the descriptor even when close() reports EINTR, so it is never retried.
  ::close(std::exchange(fd_, -1));
}

void FileDescriptor::reset(int fd) noexcept {
  close();
  fd_ = fd;
}

int FileDescriptor::release() noexcept {
  if (fd_ >= 0) forget_fd(fd_);
  return std::exchange(fd_, -1);
}

void make_nonblocking(int fd, const char* what) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw_io_error(errno, "set O_NONBLOCK on", what);
  int fd_flags = ::fcntl(fd, F_GETFD);
  if (fd_flags < 0 || ::fcntl(fd, F_SETFD, fd_flags | FD_CLOEXEC) < 0) throw_io_error(errno, "set FD_CLOEXEC on", what);
}

}  // namespace spindle
