// The epoll reactor: descriptor readiness for parked fibers.
//
// Why edge-triggered with a readiness hint. Each descriptor is registered once, for both directions,
// the first time a fiber waits on it, so a read that would block costs no epoll_ctl. An edge that
// arrives while nobody waits (or while the waiter already resumed for another reason) is kept as a
// per-direction hint; the next wait consumes it and returns at once, and the caller retries its
// syscall. A spurious return only costs one EAGAIN; a lost edge would hang forever, so the hint errs
// on the side of waking. Once a stream socket's peer has shut down its side (EPOLLRDHUP: a FIN or a
// reset) the readable hint stays set: no byte can arrive after end of stream, so no edge
// would ever announce it, and a reader that parks first (after a short read, see fd_wait.hpp) must
// still find the end of stream.
//
// The scheduler polls the reactor itself: non-blocking every few dozen switches while fibers are
// runnable, blocking (until the next timer) when none are. There is no separate I/O fiber or thread.
#pragma once

#include <spindle/fibers/clock.hpp>
#include <spindle/fibers/park.hpp>

#include <sys/epoll.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace spindle::detail {

enum class Interest : std::uint8_t { readable, writable };

class Reactor {
 public:
  // Internal sources (the scheduler's eventfd, the SIGUSR1 dump fd) are told apart from user
  // descriptors by these tags in epoll_event.data.
  static constexpr std::uint64_t wake_tag = std::uint64_t{1} << 62;
  static constexpr std::uint64_t dump_tag = std::uint64_t{1} << 61;

  Reactor();
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // Parks the calling fiber until `fd` is ready for `interest` (true) or the deadline passes
  // (false). Descriptors epoll cannot watch (regular files) are always ready.
  bool wait(int fd, Interest interest, std::optional<TimePoint> deadline, const char* reason);
  // Drops the descriptor's registration; fibers waiting on it get a std::system_error(EBADF).
  // Must be called before the descriptor is closed if anyone ever waited on it.
  void forget(int fd) noexcept;

  void add_internal(int fd, std::uint64_t tag);
  // Waits up to `timeout` (nullopt: forever; zero: just look) and dispatches what is ready.
  // Internal events are returned through `internal` as a bitmask of tags.
  std::size_t poll(std::optional<Duration> timeout, std::uint64_t& internal);

  std::size_t registered() const noexcept { return registered_; }
  std::size_t waiting() const noexcept { return waiting_; }

 private:
  struct FdState {
    bool registered = false;
    bool readable = false;  // an edge arrived that no waiter consumed
    bool writable = false;
    bool read_hung_up = false;  // EPOLLRDHUP seen: readable for good
    Waker reader;
    Waker writer;
  };
  FdState& state(int fd);
  void dispatch(int fd, std::uint32_t events) noexcept;

  int epoll_fd_;
  std::vector<FdState> fds_;
  std::size_t registered_ = 0;
  std::size_t waiting_ = 0;
  bool have_pwait2_ = true;
};

}  // namespace spindle::detail
