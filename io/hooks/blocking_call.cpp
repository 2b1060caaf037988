#include <spindle/io/hooks/detail/blocking_call.hpp>

#include <spindle/io/hooks/detail/real_calls.hpp>

#include <spindle/fibers/detail/scheduler_core.hpp>
#include <spindle/fibers/errors.hpp>
#include <spindle/fibers/fd_wait.hpp>
#include <spindle/fibers/park.hpp>
#include <spindle/fibers/this_fiber.hpp>

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <new>
#include <system_error>

namespace spindle::detail::hooks {
namespace {

// Runs a parking operation and turns what it throws into an errno value (0: it returned).
template <class Park>
int errno_of(Park&& park) noexcept {
  try {
    park();
    return 0;
  } catch (const CancelledError& cancelled) {
    keep_cancellation_pending(cancelled);
    return ECANCELED;
  } catch (const FiberError&) {
    return EBUSY;  // another fiber waits on the same direction of the descriptor
  } catch (const std::system_error& error) {
    return error.code().value() != 0 ? error.code().value() : EIO;
  } catch (const std::bad_alloc&) {
    return ENOMEM;
  } catch (...) {
    return EIO;
  }
}

std::uint32_t epoll_events_for(short events) noexcept {
  std::uint32_t wanted = 0;
  if (events & POLLIN) wanted |= EPOLLIN;
  if (events & POLLPRI) wanted |= EPOLLPRI;
  if (events & POLLOUT) wanted |= EPOLLOUT;
  if (events & POLLRDHUP) wanted |= EPOLLRDHUP;
  return wanted;
}

// Several descriptors, or both directions of one: a private epoll instance holding them all is
// itself a descriptor, readable when any of them is ready, so the fiber parks on that one.
int wait_through_private_epoll(const pollfd* fds, unsigned long count, std::optional<TimePoint> deadline) noexcept {
  int group = ::epoll_create1(EPOLL_CLOEXEC);
  if (group < 0) return errno;
  int error = 0;
  bool ready = false;
  for (unsigned long i = 0; i < count && !ready; ++i) {
    if (fds[i].fd < 0) continue;
    epoll_event event{};
    event.data.fd = fds[i].fd;
    event.events = epoll_events_for(fds[i].events);
    if (::epoll_ctl(group, EPOLL_CTL_ADD, fds[i].fd, &event) == 0) continue;
    if (errno == EEXIST) {  // listed twice: watch the union of both entries' events
      for (unsigned long j = 0; j < i; ++j) {
        if (fds[j].fd == fds[i].fd) event.events |= epoll_events_for(fds[j].events);
      }
      ::epoll_ctl(group, EPOLL_CTL_MOD, fds[i].fd, &event);
    } else {
      ready = true;  // a regular file (EPERM) is always ready; a bad descriptor (EBADF) is reported by poll
    }
  }
  if (!ready) error = errno_of([&] { wait_readable(group, deadline); });
  forget_fd(group);
  real().close(group);
  return error;
}

int park_on_fd(int fd, Direction direction, std::optional<TimePoint> deadline) noexcept {
  return errno_of([&] {
    if (direction == Direction::read) {
      wait_readable(fd, deadline);
    } else {
      wait_writable(fd, deadline);
    }
  });
}

std::optional<TimePoint> socket_deadline(int fd, Direction direction) noexcept {
  timeval timeout{};
  socklen_t length = sizeof timeout;
  int option = direction == Direction::read ? SO_RCVTIMEO : SO_SNDTIMEO;
  if (::getsockopt(fd, SOL_SOCKET, option, &timeout, &length) != 0) return std::nullopt;  // not a socket
  if (timeout.tv_sec == 0 && timeout.tv_usec == 0) return std::nullopt;
  return spindle::now() + std::chrono::seconds(timeout.tv_sec) + std::chrono::microseconds(timeout.tv_usec);
}

}  // namespace

void keep_cancellation_pending(const CancelledError& cancelled) noexcept {
  if (SchedulerCore* scheduler = SchedulerCore::current()) {
    scheduler->cancel(SchedulerCore::running_fiber(), cancelled.message());
  }
}

bool BlockingCall::caller_nonblocking() noexcept {
  if (nonblocking_ < 0) {
    int flags = real().fcntl(fd_, F_GETFL);
    nonblocking_ = flags >= 0 && (flags & O_NONBLOCK) != 0;
  }
  return nonblocking_ != 0;
}

bool BlockingCall::wait() noexcept {
  if (caller_nonblocking()) {
    errno = EAGAIN;
    return false;
  }
  if (!deadline_read_) {
    deadline_ = socket_deadline(fd_, direction_);
    deadline_read_ = true;
  }
  if (deadline_ && spindle::now() >= *deadline_) {
    errno = EAGAIN;
    return false;
  }
  int error = park_on_fd(fd_, direction_, deadline_);
  if (error == EBUSY) {
    // Another fiber already waits on this direction of the descriptor: wait beside it.
    pollfd one{fd_, static_cast<short>(direction_ == Direction::read ? POLLIN : POLLOUT), 0};
    error = wait_through_private_epoll(&one, 1, deadline_);
  }
  if (error != 0) {
    errno = error;
    return false;
  }
  return true;
}

bool BlockingCall::wait_until_ready(short events) noexcept {
  while (!ready_now(fd_, events)) {
    if (caller_nonblocking()) return true;
    if (!wait()) return false;
  }
  return true;
}

bool ready_now(int fd, short events) noexcept {
  pollfd one{fd, events, 0};
  return real().poll(&one, 1, 0) != 0;
}

int wait_any(const pollfd* fds, unsigned long count, std::optional<TimePoint> deadline) noexcept {
  const pollfd* only = nullptr;
  for (unsigned long i = 0; i < count; ++i) {
    if (fds[i].fd < 0) continue;
    if (only != nullptr) return wait_through_private_epoll(fds, count, deadline);
    only = &fds[i];
  }
  if (only == nullptr) {
    return errno_of([&] {
      if (deadline) {
        this_fiber::sleep_until(*deadline);
      } else {
        park("poll on no descriptors");
      }
    });
  }
  short direction = only->events & (POLLIN | POLLOUT);
  if (direction == POLLIN || direction == POLLOUT) {
    int error = park_on_fd(only->fd, direction == POLLIN ? Direction::read : Direction::write, deadline);
    if (error != EBUSY) return error;
  }
  return wait_through_private_epoll(only, 1, deadline);
}

int sleep_cooperatively(Duration delay) noexcept {
  return errno_of([&] { this_fiber::sleep_for(delay); });
}

}  // namespace spindle::detail::hooks
