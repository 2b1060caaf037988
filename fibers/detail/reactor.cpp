#include <spindle/fibers/detail/reactor.hpp>

#include <spindle/fibers/errors.hpp>

#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>
#include <system_error>

namespace spindle::detail {
namespace {

constexpr std::uint32_t watched_events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
constexpr std::uint32_t read_side = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
// The stream socket's peer shut down its side (a reset reports it too): that lasts. EPOLLERR alone
// can pass (a UDP socket's ICMP error, cleared by the next recv) and a FIFO's EPOLLHUP ends when a
// new writer opens it; sticky readiness there would spin their readers.
constexpr std::uint32_t read_hang_up = EPOLLRDHUP;
constexpr std::uint32_t write_side = EPOLLOUT | EPOLLHUP | EPOLLERR;

// Wakes `waiter`, or keeps the edge as a hint when there is nobody (still parked) to take it.
void deliver(Waker& waiter, bool& hint) noexcept {
  if (!waiter || !waiter.unpark()) hint = true;
}

}  // namespace

Reactor::Reactor() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "spindle: epoll_create1");
}

Reactor::~Reactor() { ::close(epoll_fd_); }

Reactor::FdState& Reactor::state(int fd) {
  if (fd < 0) throw std::system_error(EBADF, std::generic_category(), "spindle: wait on fd " + std::to_string(fd));
  if (static_cast<std::size_t>(fd) >= fds_.size()) fds_.resize(static_cast<std::size_t>(fd) * 2 + 16);
  return fds_[static_cast<std::size_t>(fd)];
}

bool Reactor::wait(int fd, Interest interest, std::optional<TimePoint> deadline, const char* reason) {
  FdState& entry = state(fd);
  if (!entry.registered) {
    epoll_event event{};
    event.events = watched_events;
    event.data.u64 = static_cast<std::uint64_t>(fd);
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      if (errno == EPERM) return true;  // regular files and the like never block
      if (errno != EEXIST) {
        throw std::system_error(errno, std::generic_category(),
                                "spindle: cannot watch fd " + std::to_string(fd) + " with epoll");
      }
    }
    entry.registered = true;
    ++registered_;
  }
  const bool reading = interest == Interest::readable;
  if (reading && entry.read_hung_up) return true;
  bool& hint = reading ? entry.readable : entry.writable;
  if (hint) {
    hint = false;
    return true;
  }
  Waker& slot = reading ? entry.reader : entry.writer;
  if (slot) {
    throw FiberError("spindle: two fibers wait to " + std::string(reading ? "read" : "write") +
                     " fd " + std::to_string(fd) + " at once; give each direction one owner");
  }
  slot = Waker::current();
  ++waiting_;
  struct ClearSlot {  // the parked fiber drops its own Waker, however it resumes
    Reactor& reactor;
    int fd;
    bool reading;
    ~ClearSlot() {
      FdState& entry = reactor.fds_[static_cast<std::size_t>(fd)];  // the vector may have grown
      (reading ? entry.reader : entry.writer) = Waker{};
      --reactor.waiting_;
    }
  } clear{*this, fd, reading};
  WakeStatus status = deadline ? park_until(reason, *deadline) : park(reason);
  return status == WakeStatus::woken;
}

void Reactor::forget(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= fds_.size()) return;
  FdState& entry = fds_[static_cast<std::size_t>(fd)];
  if (!entry.registered) return;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  --registered_;
  auto closed = std::make_exception_ptr(std::system_error(
      EBADF, std::generic_category(), "spindle: fd " + std::to_string(fd) + " was closed while a fiber waited on it"));
  Waker reader = entry.reader;
  Waker writer = entry.writer;
  entry = FdState{};
  if (reader) reader.unpark_with_error(closed);
  if (writer) writer.unpark_with_error(closed);
}

void Reactor::add_internal(int fd, std::uint64_t tag) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLET;
  event.data.u64 = tag;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    throw std::system_error(errno, std::generic_category(), "spindle: epoll_ctl(internal fd)");
  }
}

void Reactor::dispatch(int fd, std::uint32_t events) noexcept {
  if (static_cast<std::size_t>(fd) >= fds_.size()) return;
  FdState& entry = fds_[static_cast<std::size_t>(fd)];
  if (events & read_hang_up) entry.read_hung_up = true;
  if (events & read_side) deliver(entry.reader, entry.readable);
  if (events & write_side) deliver(entry.writer, entry.writable);
}

std::size_t Reactor::poll(std::optional<Duration> timeout, std::uint64_t& internal) {
  std::array<epoll_event, 256> events;
  int count;
  if (!timeout || *timeout <= Duration::zero()) {
    count = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout ? 0 : -1);
  } else if (have_pwait2_) {
    // epoll_pwait2 takes nanoseconds: millisecond rounding alone would make every timer up to 1 ms late.
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(*timeout).count();
    timespec wait{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    count = static_cast<int>(::syscall(SYS_epoll_pwait2, epoll_fd_, events.data(),
                                       static_cast<int>(events.size()), &wait, nullptr, 0));
    if (count < 0 && errno == ENOSYS) {
      have_pwait2_ = false;
      return poll(timeout, internal);
    }
  } else {
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(*timeout).count();
    count = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), static_cast<int>(ms));
  }
  if (count < 0) {
    if (errno == EINTR) return 0;
    throw std::system_error(errno, std::generic_category(), "spindle: epoll_wait");
  }
  for (int i = 0; i < count; ++i) {
    std::uint64_t data = events[i].data.u64;
    if (data & (wake_tag | dump_tag)) {
      internal |= data;
    } else {
      dispatch(static_cast<int>(data), events[i].events);
    }
  }
  return static_cast<std::size_t>(count);
}

}  // namespace spindle::detail
