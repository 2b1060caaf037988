#include <spindle/io/pipe.hpp>

#include <spindle/fibers/this_fiber.hpp>
#include <spindle/io/detail/pipe_io.hpp>
#include <spindle/io/errors.hpp>

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

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
  return detail::read_pipe(read_end_.get(), into.data(), into.size(), deadline.when(), name_);
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
  return detail::write_pipe(write_end_.get(), vector, count, deadline.when(), name_);
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
