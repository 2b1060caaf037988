// The practical limit the echo servers are compared with: a hand-written single-threaded epoll loop.
//
// Edge-triggered and non-blocking, every socket registered once for both directions (no epoll_ctl
// per message). A read that returns less than the buffer holds has drained the socket (epoll(7): for
// a stream socket a short read proves the read side exhausted; bytes that arrive later raise a new
// edge), so the loop goes back to epoll_wait without the read that would only return EAGAIN, a
// syscall that costs about 0.5 µs here, an eighth of a whole 1 KiB echo. A message then costs one read,
// one write and a share of one epoll_wait. No allocation, no callbacks, no queues: what is left is the
// kernel's cost of moving the bytes, which no runtime can avoid. A connection whose peer does not take
// its echo stops reading until the socket is writable again.
//
// Listens on 127.0.0.1 on a port the kernel picks and prints `port=N` when it accepts. Runs until
// killed (run_echo.py stops it).
#include "echo_listen.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <system_error>
#include <utility>

namespace {

struct Connection {
  explicit Connection(int socket) : fd(socket) {}
  int fd;
  std::size_t pending_begin = 0;  // bytes read but not yet echoed: buffer[pending_begin, pending_end)
  std::size_t pending_end = 0;
  bool drained = false;  // this event's read was short: nothing more to read until the next edge
  char buffer[spindle::bench::echo_buffer_size];
};

// Echoes what can move without blocking; returns false when the connection is finished. Called
// for every event: an event may be a new read edge, so it starts by forgetting `drained`. Once the
// peer has hung up, a short read proves nothing (the end of stream raises no further edge), so the
// loop reads on until it sees 0.
bool serve(Connection& connection, std::uint32_t events) {
  const bool trust_short_reads = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) == 0;
  connection.drained = false;
  for (;;) {
    while (connection.pending_begin < connection.pending_end) {
      ssize_t n = ::write(connection.fd, connection.buffer + connection.pending_begin,
                          connection.pending_end - connection.pending_begin);
      if (n < 0) return errno == EAGAIN;  // the EPOLLOUT edge brings us back
      connection.pending_begin += static_cast<std::size_t>(n);
    }
    if (std::exchange(connection.drained, false)) return true;
    ssize_t n = ::read(connection.fd, connection.buffer, sizeof connection.buffer);
    if (n <= 0) return n < 0 && errno == EAGAIN;
    connection.pending_begin = 0;
    connection.pending_end = static_cast<std::size_t>(n);
    connection.drained = trust_short_reads && connection.pending_end < sizeof connection.buffer;
  }
}

}  // namespace

int main() {
  int listener = spindle::bench::listen_on_loopback();
  int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = nullptr;  // the listener
  if (epoll_fd < 0 || ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &event) != 0) {
    throw std::system_error(errno, std::generic_category(), "epoll");
  }
  epoll_event events[256];
  for (;;) {
    int count = ::epoll_wait(epoll_fd, events, 256, -1);
    for (int i = 0; i < count; ++i) {
      if (events[i].data.ptr == nullptr) {
        int fd;
        while ((fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          spindle::bench::set_no_delay(fd);
          auto* connection = new Connection(fd);
          epoll_event added{};
          added.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
          added.data.ptr = connection;
          ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &added);
          if (!serve(*connection, 0)) {
            ::close(fd);
            delete connection;
          }
        }
        continue;
      }
      auto* connection = static_cast<Connection*>(events[i].data.ptr);
      if (!serve(*connection, events[i].events)) {
        ::close(connection->fd);  // closing removes it from the epoll set
        delete connection;
      }
    }
  }
}
