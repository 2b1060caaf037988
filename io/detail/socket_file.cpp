#include <spindle/io/detail/socket_file.hpp>

#include <spindle/fibers/diagnostics.hpp>
#include <spindle/io/errors.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace spindle::detail {

SocketFile::SocketFile(std::string path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) throw_io_error(errno, "lstat of bound socket", path);
  path_ = std::move(path);
  device_ = status.st_dev;
  inode_ = status.st_ino;
}

SocketFile::SocketFile(SocketFile&& other) noexcept
    : path_(std::exchange(other.path_, {})), device_(other.device_), inode_(other.inode_) {}

SocketFile& SocketFile::operator=(SocketFile&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
    device_ = other.device_;
    inode_ = other.inode_;
  }
  return *this;
}

void SocketFile::remove() noexcept {
  if (path_.empty()) return;
  std::string path = std::exchange(path_, {});
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) {
    if (errno != ENOENT) emit_diagnostic("spindle: cannot check socket file " + path + ": " + std::strerror(errno));
    return;
  }
  if (status.st_dev != device_ || status.st_ino != inode_) return;  // someone else's now
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    emit_diagnostic("spindle: cannot remove socket file " + path + ": " + std::strerror(errno));
  }
}

}  // namespace spindle::detail
