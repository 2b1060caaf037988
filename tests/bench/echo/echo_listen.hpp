// What the C++ echo servers share: the loopback listener, the announcement run_echo.py waits for,
// and the per-connection settings every server (in every language) uses alike.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <system_error>

namespace spindle::bench {

// Every server reads into a buffer of this size (Go, gevent and the C++ servers alike).
inline constexpr std::size_t echo_buffer_size = 64 * 1024;

// A non-blocking listener on 127.0.0.1 at a port the kernel picks; prints `port=N` (flushed) once it
// accepts. Also ignores SIGPIPE, as Go and Python do: a client that closes while its echo is still
// being written must end that connection (EPIPE), not the server. Throws std::system_error if the
// socket cannot be made.
inline int listen_on_loopback() {
  std::signal(SIGPIPE, SIG_IGN);
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int one = 1;
  if (fd < 0 || ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 1024) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::system_error(errno, std::generic_category(), "echo server: listen on 127.0.0.1");
  }
  std::printf("port=%d\n", ntohs(address.sin_port));
  std::fflush(stdout);
  return fd;
}

// TCP_NODELAY, as Go and uvloop set it by default: the tail of a message that spans several writes
// goes out at once instead of waiting for the peer's delayed ACK.
inline void set_no_delay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace spindle::bench
