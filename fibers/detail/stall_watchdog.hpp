// Debug mode's stall watchdog: names a fiber that has held its thread too long, while it still does.
//
// The scheduler can only measure a fiber's run when the fiber gives the thread back; a fiber stuck
// in a loop or an unhooked blocking call never does. So, like gevent's monitor thread, a small
// thread wakes every half threshold and looks at what the scheduler last published: which fiber was
// resumed, and when. A stall is reported once, here or (if it ended before the watchdog looked) by
// the scheduler when the fiber switches out. When the stalled thread sits in a system call, the
// report names it (from /proc/self/task/<tid>/syscall): a blocking call that escaped the libc hooks
// (io/hooks.hpp) is then visible as, say, "read(fd 7)" instead of a silent freeze.
#pragma once

#include <spindle/fibers/clock.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <thread>

namespace spindle::detail {

class StallWatchdog {
 public:
  explicit StallWatchdog(std::chrono::milliseconds threshold);
  ~StallWatchdog();
  StallWatchdog(const StallWatchdog&) = delete;
  StallWatchdog& operator=(const StallWatchdog&) = delete;

  // Scheduler thread: a fiber was resumed (a new run begins) / the loop context took over.
  void resumed(std::uint64_t fiber_id, std::string_view name) noexcept;
  void idle() noexcept;
  // Scheduler thread, when a run ends: whether the watchdog already reported this run.
  bool reported_current_run() noexcept;

 private:
  void watch();

  const std::chrono::milliseconds threshold_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool running_ = false;
  bool reported_ = false;
  const int thread_id_;  // the scheduler's thread (the constructor runs on it)
  std::uint64_t fiber_id_ = 0;
  char name_[64] = {};
  Clock::time_point since_{};
  std::thread thread_;
};

}  // namespace spindle::detail
