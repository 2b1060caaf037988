#include <spindle/io/subprocess_pipe.hpp>

#include <spindle/io/detail/pipe_io.hpp>
#include <spindle/io/errors.hpp>

namespace spindle {

SubprocessPipe::SubprocessPipe(FileDescriptor fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {
  make_nonblocking(fd_.get(), name_.c_str());
}

std::optional<TimePoint> SubprocessPipe::deadline_after(std::optional<Duration> timeout) const {
  if (!timeout) return std::nullopt;
  return now() + *timeout;
}

std::size_t SubprocessPipe::read_some(std::span<char> buffer, std::optional<Duration> timeout) {
  return detail::read_pipe(fd_.get(), buffer.data(), buffer.size(), deadline_after(timeout), name_);
}

std::string SubprocessPipe::read_to_end(std::optional<Duration> timeout) {
  std::optional<TimePoint> deadline = deadline_after(timeout);
  std::string data;
  std::size_t chunk = 64 * 1024;
  for (;;) {
    std::size_t used = data.size();
    data.resize(used + chunk);
    std::optional<Duration> left;
    if (deadline) left = *deadline - now();
    std::size_t got = read_some(std::span<char>(data.data() + used, chunk), left);
    data.resize(used + got);
    if (got == 0) return data;
    if (got == chunk && chunk < 1024 * 1024) chunk *= 2;
  }
}

void SubprocessPipe::write_all(std::string_view data, std::optional<Duration> timeout) {
  std::optional<TimePoint> deadline = deadline_after(timeout);
  while (!data.empty()) {
    iovec piece{const_cast<char*>(data.data()), data.size()};
    data.remove_prefix(detail::write_pipe(fd_.get(), &piece, 1, deadline, name_));
  }
}

}  // namespace spindle
