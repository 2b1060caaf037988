#include <spindle/io/pipe.hpp>

#include <spindle/fibers/errors.hpp>
#include <spindle/fibers/fd_wait.hpp>
#include <spindle/fibers/this_fiber.hpp>
#include <spindle/io/detail/no_sigpipe.hpp>
#include <spindle/io/errors.hpp>

#include <fcntl.h>
#include <limits.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

namespace spindle {

PipeTransport::PipeTransport(FileDescriptor read_end, FileDescriptor write_end, std::string name)
    : read_end_(std::move(read_end)), write_end_(std::move(write_end)), name_(std::move(name)) {
  if (read_end_) make_nonblocking(read_end_.get(), name_.c_str());
  if (write_end_) make_nonblocking(write_end_.get(), name_.c_str());
}

std::size_t PipeTransport::read_some(MutableBytes into, Deadline deadline) {
  this_fiber::checkpoint();
  if (!read_end_) throw_io_error(EBADF, "read from", name_ + " (it has no read end)");
  for (;;) {
    ssize_t got = ::read(read_end_.get(), into.data(), into.size());
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno == EINTR) continue;
    if (errno != EAGAIN) throw_io_error(errno, "read from", name_);
    if (!wait_readable(read_end_.get(), deadline.when())) throw TimeoutError("read from " + name_ + ": timed out");
  }
}

std::size_t PipeTransport::write_some(std::span<const ConstBytes> pieces, Deadline deadline) {
  this_fiber::checkpoint();
  if (!write_end_) throw_io_error(EBADF, "write to", name_ + " (it has no write end)");
  constexpr std::size_t max_pieces = 64;  // more is written by the Stream's next call
  iovec vector[max_pieces];
  int count = 0;
  for (const ConstBytes& piece : pieces) {
    if (count == static_cast<int>(max_pieces)) break;
    if (piece.empty()) continue;
    vector[count++] = iovec{const_cast<std::byte*>(piece.data()), piece.size()};
  }
  for (;;) {
    ssize_t wrote = detail::writev_without_sigpipe(write_end_.get(), vector, count);
    if (wrote >= 0) return static_cast<std::size_t>(wrote);
    if (errno == EINTR) continue;
    if (errno != EAGAIN) throw_io_error(errno, "write to", name_);
    if (!wait_writable(write_end_.get(), deadline.when())) throw TimeoutError("write to " + name_ + ": timed out");
  }
}

void PipeTransport::close() noexcept {
  read_end_.close();
  write_end_.close();
}

Stream pipe_reader(FileDescriptor read_end, std::string name, StreamOptions options) {
  return Stream(std::make_unique<PipeTransport>(std::move(read_end), FileDescriptor(), std::move(name)), options);
}

Stream pipe_writer(FileDescriptor write_end, std::string name, StreamOptions options) {
  return Stream(std::make_unique<PipeTransport>(FileDescriptor(), std::move(write_end), std::move(name)), options);
}

std::pair<Stream, Stream> open_pipe(StreamOptions options) {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) throw_io_error(errno, "pipe2", "a new pipe");
  FileDescriptor read_end(ends[0]);
  FileDescriptor write_end(ends[1]);
  return {pipe_reader(std::move(read_end), "pipe", options), pipe_writer(std::move(write_end), "pipe", options)};
}

}  // namespace spindle
