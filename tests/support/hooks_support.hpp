// Support for the libc-hook tests (tests/io_hooks_*.cpp): blocking descriptor pairs, a safety
// release that un-blocks a thread the hooks failed to free, and a wall-clock stopwatch.
#pragma once

#include "leak_check.hpp"

#include <spindle/io/hooks.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace spindle::test {

// Two connected descriptors, left blocking: a pipe (read end, write end) or a stream socket pair.
struct BlockingPair {
  int reader = -1;
  int writer = -1;
  static BlockingPair pipe() {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    return BlockingPair{fds[0], fds[1]};
  }
  static BlockingPair sockets(int type = SOCK_STREAM) {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds) == 0);
    return BlockingPair{fds[0], fds[1]};
  }
  BlockingPair(int r, int w) : reader(r), writer(w) {}
  BlockingPair(BlockingPair&& other) noexcept : reader(other.reader), writer(other.writer) {
    other.reader = other.writer = -1;
  }
  ~BlockingPair() {
    if (reader >= 0) ::close(reader);  // the close hook forgets it first
    if (writer >= 0) ::close(writer);
  }
};

// If the hooks fail to free the thread, a fiber stays blocked in a real syscall forever. This
// thread writes `byte` to `fd` after `after` of real time unless disarmed first, so a failing test
// ends (and fails its assertions) instead of hanging. Tests that expect the thread to block use it
// as the thing that frees it.
class SafetyRelease {
 public:
  SafetyRelease(int fd, char byte, std::chrono::milliseconds after = std::chrono::milliseconds(2000))
      : thread_([this, fd, byte, after] {
          std::unique_lock lock(mutex_);
          if (!wake_.wait_for(lock, after, [this] { return disarmed_; })) {
            fired_ = true;
            [[maybe_unused]] ssize_t ignored = ::write(fd, &byte, 1);
          }
        }) {}
  ~SafetyRelease() {
    disarm();
    thread_.join();
  }
  void disarm() {
    std::lock_guard lock(mutex_);
    disarmed_ = true;
    wake_.notify_one();
  }
  bool fired() {
    std::lock_guard lock(mutex_);
    return fired_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool disarmed_ = false;
  bool fired_ = false;
  std::thread thread_;
};

inline double wall_seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace spindle::test
