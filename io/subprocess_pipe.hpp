// SubprocessPipe: the parent's end of a pipe to a child's stdin, stdout or stderr.
//
// A non-blocking descriptor driven by fd_wait: try the syscall, on EAGAIN park until the pipe is
// ready, retry. Each end is one direction only; reading a write end (or the reverse) fails with
// EBADF, named. Writing never raises SIGPIPE: a child that closed its stdin shows up as an IoError
// with EPIPE ("write to stdin of 'cat': Broken pipe").
#pragma once

#include <spindle/fibers/clock.hpp>
#include <spindle/io/file_descriptor.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace spindle {

class SubprocessPipe {
 public:
  // Takes ownership of `fd` (made non-blocking here); `name` ("stdout of 'ls'") names it in errors.
  SubprocessPipe(FileDescriptor fd, std::string name);

  // Reads what is available, at most buffer.size() bytes; parks while nothing is. Returns 0 at end
  // of file (the child closed its end, usually by exiting). Cancellation point. Throws TimeoutError
  // when `timeout` passes first, IoError naming the pipe, FiberError outside a fiber. Call on the
  // thread that created the Subprocess; one reading fiber at a time.
  std::size_t read_some(std::span<char> buffer, std::optional<Duration> timeout = std::nullopt);
  // Reads until end of file and returns everything. Same errors as read_some; the timeout covers
  // the whole read, and what was read before a timeout or cancellation is lost.
  std::string read_to_end(std::optional<Duration> timeout = std::nullopt);
  // Writes all of `data`, parking while the pipe is full. Same errors as read_some; EPIPE when the
  // child closed its end.
  void write_all(std::string_view data, std::optional<Duration> timeout = std::nullopt);

  // Closes the parent's end (a child reading stdin then sees end of file). Idempotent, never blocks.
  void close() noexcept { fd_.close(); }
  bool is_open() const noexcept { return static_cast<bool>(fd_); }
  int native_handle() const noexcept { return fd_.get(); }
  const std::string& name() const noexcept { return name_; }

 private:
  std::optional<TimePoint> deadline_after(std::optional<Duration> timeout) const;

  FileDescriptor fd_;
  std::string name_;
};

}  // namespace spindle
