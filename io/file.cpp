#include <spindle/io/file.hpp>

#include <spindle/fibers/park.hpp>
#include <spindle/fibers/this_fiber.hpp>
#include <spindle/io/detail/blocking_pool.hpp>
#include <spindle/io/detail/inline_reads.hpp>
#include <spindle/io/errors.hpp>

#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace spindle {

namespace detail {
// The descriptor, closed when the File and every pool call using it are done with it.
struct SharedFd {
  explicit SharedFd(int fd) : fd(fd) {}
  ~SharedFd() { ::close(fd); }
  SharedFd(const SharedFd&) = delete;
  SharedFd& operator=(const SharedFd&) = delete;
  const int fd;
};
}  // namespace detail

namespace {

std::atomic<bool> inline_reads{true};

// A syscall's outcome as the pool thread saw it.
struct SyscallResult {
  ssize_t value;
  int error;
};

SyscallResult result_of(ssize_t value) { return {value, value < 0 ? errno : 0}; }

std::string quoted(const std::string& path) { return "'" + path + "'"; }

// A read's outcome and the buffer it owns.
struct ReadResult {
  SyscallResult syscall;
  std::unique_ptr<char[]> data;
};

// Reads up to `size` bytes at `offset` on the pool, retrying EINTR and short reads until EOF.
ReadResult pread_on_pool(std::shared_ptr<detail::SharedFd> fd, std::size_t size, std::uint64_t offset) {
  return detail::run_blocking<ReadResult>("file read", [fd = std::move(fd), size, offset] {
    ReadResult read{{0, 0}, std::make_unique_for_overwrite<char[]>(size)};
    std::size_t done = 0;
    while (done < size) {
      ssize_t got = ::pread(fd->fd, read.data.get() + done, size - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        if (got < 0 && done == 0) read.syscall = result_of(got);
        break;
      }
      done += static_cast<std::size_t>(got);
    }
    if (read.syscall.error == 0) read.syscall.value = static_cast<ssize_t>(done);
    return read;
  });
}

// Writes all of `data` at `offset` on the pool (an owned copy), retrying EINTR and short writes.
SyscallResult pwrite_on_pool(std::shared_ptr<detail::SharedFd> fd, std::string_view data, std::uint64_t offset) {
  return detail::run_blocking<SyscallResult>("file write", [fd = std::move(fd), data = std::string(data), offset] {
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t wrote = ::pwrite(fd->fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote < 0) return result_of(wrote);
      done += static_cast<std::size_t>(wrote);
    }
    return SyscallResult{static_cast<ssize_t>(done), 0};
  });
}

}  // namespace

void detail::set_inline_file_reads(bool enabled) noexcept { inline_reads.store(enabled, std::memory_order_relaxed); }

File File::open(std::string path, int flags, mode_t mode) {
  // The descriptor is owned from the moment it exists: if this fiber is cancelled meanwhile, the
  // dropped result closes it.
  struct Opened {
    int error;
    std::shared_ptr<detail::SharedFd> fd;
  };
  Opened opened = detail::run_blocking<Opened>("file open", [path, flags, mode] {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) return Opened{errno, nullptr};
    return Opened{0, std::make_shared<detail::SharedFd>(fd)};
  });
  if (!opened.fd) throw_io_error(opened.error, "open", quoted(path));
  File file;
  file.fd_ = std::move(opened.fd);
  file.path_ = std::move(path);
  return file;
}

File::File(File&& other) noexcept
    : fd_(std::move(other.fd_)), path_(std::move(other.path_)), position_(std::exchange(other.position_, 0)) {}

File& File::operator=(File&& other) noexcept {
  fd_ = std::move(other.fd_);
  path_ = std::move(other.path_);
  position_ = std::exchange(other.position_, 0);
  return *this;
}

File::~File() = default;

void File::close() noexcept { fd_.reset(); }

int File::checked_fd(const char* operation) const {
  if (!fd_) throw_io_error(EBADF, operation, quoted(path_) + " (the File is closed)");
  return fd_->fd;
}

std::size_t File::pread(std::span<char> buffer, std::uint64_t offset) {
  int fd = checked_fd("read from");
  if (buffer.size() <= inline_read_limit && inline_reads.load(std::memory_order_relaxed)) {
    Waker::current();  // the same FiberError outside a fiber as the pool path
    this_fiber::checkpoint();
    iovec into{buffer.data(), buffer.size()};
    for (;;) {
      ssize_t got = ::preadv2(fd, &into, 1, static_cast<off_t>(offset), RWF_NOWAIT);
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno == EINTR) continue;
      // EAGAIN: not all in the page cache; EOPNOTSUPP: a file system without RWF_NOWAIT.
      if (errno != EAGAIN && errno != EOPNOTSUPP) throw_io_error(errno, "read from", quoted(path_));
      break;
    }
  }
  ReadResult read = pread_on_pool(fd_, buffer.size(), offset);
  if (read.syscall.error != 0) throw_io_error(read.syscall.error, "read from", quoted(path_));
  std::size_t got = static_cast<std::size_t>(read.syscall.value);
  std::memcpy(buffer.data(), read.data.get(), got);
  return got;
}

void File::pwrite(std::string_view data, std::uint64_t offset) {
  checked_fd("write to");
  SyscallResult wrote = pwrite_on_pool(fd_, data, offset);
  if (wrote.error != 0) throw_io_error(wrote.error, "write to", quoted(path_));
}

std::size_t File::read(std::span<char> buffer) {
  std::size_t got = pread(buffer, position_);
  position_ += got;
  return got;
}

void File::write(std::string_view data) {
  pwrite(data, position_);
  position_ += data.size();
}

std::uint64_t File::size() {
  checked_fd("stat");
  struct Stat {
    SyscallResult syscall;
    std::uint64_t size;
  };
  Stat stat = detail::run_blocking<Stat>("file stat", [fd = fd_] {
    struct stat info {};
    SyscallResult result = result_of(::fstat(fd->fd, &info));
    return Stat{result, static_cast<std::uint64_t>(info.st_size)};
  });
  if (stat.syscall.error != 0) throw_io_error(stat.syscall.error, "stat", quoted(path_));
  return stat.size;
}

void File::sync() {
  checked_fd("fsync");
  SyscallResult synced = detail::run_blocking<SyscallResult>("file sync", [fd = fd_] { return result_of(::fsync(fd->fd)); });
  if (synced.error != 0) throw_io_error(synced.error, "fsync", quoted(path_));
}

std::string read_file(const std::string& path) {
  File file = File::open(path);
  std::string data;
  std::size_t chunk = 64 * 1024;
  for (;;) {
    std::size_t used = data.size();
    data.resize(used + chunk);
    std::size_t got = file.read(std::span<char>(data.data() + used, chunk));
    data.resize(used + got);
    if (got == 0) return data;
    if (chunk < 4 * 1024 * 1024) chunk *= 2;
  }
}

void write_file(const std::string& path, std::string_view data) {
  File file = File::open(path, O_WRONLY | O_CREAT | O_TRUNC);
  file.write(data);
}

}  // namespace spindle
