#include <spindle/fibers/fd_wait.hpp>

#include <spindle/fibers/detail/scheduler_core.hpp>
#include <spindle/fibers/errors.hpp>

namespace spindle {
namespace {

bool wait_fd(int fd, detail::Interest interest, std::optional<TimePoint> deadline, const char* reason) {
  detail::SchedulerCore* scheduler = detail::SchedulerCore::current();
  if (scheduler == nullptr || detail::SchedulerCore::running_fiber() == nullptr) {
    throw FiberError(std::string("spindle: ") + reason + " called outside a fiber");
  }
  scheduler->checkpoint();
  return scheduler->reactor().wait(fd, interest, deadline, reason);
}

}  // namespace

bool wait_readable(int fd, std::optional<TimePoint> deadline) {
  return wait_fd(fd, detail::Interest::readable, deadline, "fd readable");
}

bool wait_writable(int fd, std::optional<TimePoint> deadline) {
  return wait_fd(fd, detail::Interest::writable, deadline, "fd writable");
}

void forget_fd(int fd) noexcept {
  if (detail::SchedulerCore* scheduler = detail::SchedulerCore::current()) scheduler->reactor().forget(fd);
}

}  // namespace spindle
