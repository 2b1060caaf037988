// The echo server on the fibers runtime alone (`echo_spindle_raw`): a fiber per connection over
// non-blocking POSIX sockets, waiting through spindle::wait_readable / wait_writable.
//
// This is the runtime core's share of an echo: what the io/ streams add on top is measured by the
// io-based server beside it. The loop is the one a blocking server would write (read, write it all,
// read again), with each EAGAIN turned into a park on the scheduler's reactor. Like the raw epoll loop
// it takes a short read as proof that the socket is drained (epoll(7)) and parks before reading
// again, instead of paying for a read that returns EAGAIN; wait_readable never misses an edge that
// arrives meanwhile (it is kept as a hint) nor an end of stream (readable for good once the peer
// hung up: fibers/fd_wait.hpp), so the syscalls are the raw loop's: one read and one write
// per message plus a share of the scheduler's epoll_wait. What spindle adds is the park and the switch
// to the next ready fiber.
//
// Listens on 127.0.0.1 on a port the kernel picks and prints `port=N` when it accepts. Runs until
// killed (run_echo.py stops it).
#include "echo_listen.hpp"

#include <spindle/fibers/fd_wait.hpp>
#include <spindle/fibers/scheduler.hpp>
#include <spindle/fibers/spawn.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <system_error>

namespace {

// Owns a descriptor the scheduler may be watching: forgets it before closing, however the fiber ends.
class Socket {
 public:
  explicit Socket(int fd) noexcept : fd_(fd) {}
  ~Socket() {
    spindle::forget_fd(fd_);
    ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const noexcept { return fd_; }

 private:
  int fd_;
};

// Returns false when the peer has gone.
bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno != EAGAIN) return false;
      spindle::wait_writable(fd);
      continue;
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

void echo(int fd) {
  Socket socket(fd);
  constexpr std::size_t size = spindle::bench::echo_buffer_size;
  auto buffer = std::make_unique_for_overwrite<char[]>(size);
  for (;;) {
    ssize_t n = ::read(fd, buffer.get(), size);
    if (n < 0) {
      if (errno != EAGAIN) return;
      spindle::wait_readable(fd);
      continue;
    }
    if (n == 0 || !write_all(fd, buffer.get(), static_cast<std::size_t>(n))) return;
    if (static_cast<std::size_t>(n) < size) spindle::wait_readable(fd);  // drained: skip the EAGAIN read
  }
}

}  // namespace

int main() {
  spindle::Scheduler scheduler;
  scheduler.run([] {
    Socket listener(spindle::bench::listen_on_loopback());
    for (;;) {
      int fd = ::accept4(listener.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR) throw std::system_error(errno, std::generic_category(), "accept4");
        spindle::wait_readable(listener.fd());
        continue;
      }
      spindle::bench::set_no_delay(fd);
      spindle::spawn([fd] { echo(fd); });
    }
  });
}
