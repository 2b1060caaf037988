// File, read_file, write_file: regular-file I/O that does not stall the loop.
//
// Regular files are always "ready" to epoll, yet a read can wait for the disk and an open or fsync
// can take milliseconds, so these calls run on io/'s blocking-call pool (io/detail/blocking_pool.hpp)
// while the calling fiber parks. One exception, because it is most reads: a read of at most
// inline_read_limit bytes first tries preadv2(RWF_NOWAIT), which the kernel completes only from the
// page cache and otherwise refuses with EAGAIN; only then does the read go to the pool. A cached
// read thus costs what pread costs (no thread hand-off) and still never waits for a disk. Data moves through buffers the call owns: a read is copied into the
// caller's buffer only after the fiber has resumed, a write copies its input first. That is what
// makes cancellation safe: a cancelled fiber returns at once with CancelledError, the call finishes
// on the pool unobserved, and the descriptor stays open until it has (so its number cannot be
// reused under it). A cancelled write may still have happened. See docs/design.md for why a pool
// and not io_uring, with the measurements.
#pragma once

#include <fcntl.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace spindle {

namespace detail {
struct SharedFd;
}

// Every call parks the calling fiber (which must run on a scheduler thread), is a cancellation
// point, and throws IoError naming the operation and the path ("open '/no/such': No such file or
// directory"), FiberError outside a fiber. Use a File on one thread, one call at a time.
class File {
 public:
  // Reads up to this size try the page cache on the calling thread first (see above).
  static constexpr std::size_t inline_read_limit = 64 * 1024;

  File() = default;
  // open(2) with `flags` (O_RDONLY, O_WRONLY | O_CREAT | O_TRUNC, ...; O_CLOEXEC is added).
  static File open(std::string path, int flags = O_RDONLY, mode_t mode = 0644);

  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  ~File();

  // Reads up to buffer.size() bytes at `offset`; returns the count (fewer than asked only at end of
  // file, or for an inline read that found only part of the range cached), 0 at end of file.
  std::size_t pread(std::span<char> buffer, std::uint64_t offset);
  // Writes all of `data` at `offset` (at the end for O_APPEND).
  void pwrite(std::string_view data, std::uint64_t offset);
  // As pread/pwrite at the File's own position, which they advance (it starts at 0).
  std::size_t read(std::span<char> buffer);
  void write(std::string_view data);
  // The file's size (fstat), and fsync.
  std::uint64_t size();
  void sync();

  // Gives up the descriptor; it closes once no call on the pool still uses it. Never blocks.
  void close() noexcept;
  bool is_open() const noexcept { return fd_ != nullptr; }
  const std::string& path() const noexcept { return path_; }
  std::uint64_t position() const noexcept { return position_; }

 private:
  int checked_fd(const char* operation) const;

  std::shared_ptr<detail::SharedFd> fd_;
  std::string path_;
  std::uint64_t position_ = 0;
};

// The whole file at `path`. Same contract as File's calls.
std::string read_file(const std::string& path);
// Creates or truncates `path` (mode 0644) and writes `data`.
void write_file(const std::string& path, std::string_view data);

}  // namespace spindle
