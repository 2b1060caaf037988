// The loop every waiting socket call is: try the syscall, and only on EAGAIN park until the
// descriptor is ready, then try again. Header-only so the common case (the syscall succeeds at
// once) costs one call and no waiting machinery.
#pragma once

#include <spindle/fibers/fd_wait.hpp>
#include <spindle/io/deadline.hpp>

#include <cerrno>
#include <cstddef>
#include <sys/types.h>

namespace spindle::detail {

// Throws IoError(error_number, operation, subject) / TimeoutError("operation subject: timed out").
[[noreturn]] void throw_socket_error(int error_number, const char* operation, int fd, const void* socket);
[[noreturn]] void throw_socket_timeout(const char* operation, const void* socket);

enum class Direction { read, write };

// `attempt()` returns the syscall's result (-1 with errno on failure). `socket` is the Socket, for
// naming the peer in errors without building the name unless something fails.
template <class Attempt>
std::size_t nonblocking_call(int fd, Direction direction, Deadline deadline, const char* operation,
                             const void* socket, Attempt&& attempt) {
  for (;;) {
    ssize_t result = attempt();
    if (result >= 0) return static_cast<std::size_t>(result);
    int error = errno;
    if (error == EINTR) continue;
    if (error != EAGAIN && error != EWOULDBLOCK) throw_socket_error(error, operation, fd, socket);
    bool ready = direction == Direction::read ? wait_readable(fd, deadline.when()) : wait_writable(fd, deadline.when());
    if (!ready) throw_socket_timeout(operation, socket);
  }
}

}  // namespace spindle::detail
