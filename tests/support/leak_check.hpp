// Test support: every test ends with no fiber, timer, watched descriptor or open fd left behind.
//
// Two layers. The Catch2 listener in main.cpp snapshots the process (open fds, live fiber control
// blocks) before every test case and compares after it; any difference fails the run and names the
// test. run_virtual() additionally checks the scheduler it created: no live fiber, no armed timer,
// no watched descriptor once the body returned.
#pragma once

#include <spindle/spindle.hpp>

#include <catch2/catch.hpp>

#include <cstddef>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace spindle::test {

std::size_t open_fd_count();

// Runs `body` as the main fiber of a fresh scheduler on the virtual clock (unless options say
// otherwise) and returns its value. Afterwards CHECKs that the scheduler holds nothing.
template <class Fn>
auto run_virtual(Fn&& body, SchedulerOptions options = {.virtual_clock = true}) {
  Scheduler scheduler(options);
  struct CheckEmpty {
    Scheduler& scheduler;
    ~CheckEmpty() {
      CHECK(scheduler.live_fibers() == 0);
      CHECK(scheduler.armed_timers() == 0);
      CHECK(scheduler.watched_fds() == 0);
    }
  } check{scheduler};
  return scheduler.run_until_complete(std::forward<Fn>(body));
}

// Collects the runtime's diagnostics for the lifetime of the object instead of printing them.
class CapturedDiagnostics {
 public:
  CapturedDiagnostics() {
    previous_ = set_diagnostic_sink([this](std::string_view message) {
      std::lock_guard lock(mutex_);
      messages_.emplace_back(message);
    });
  }
  ~CapturedDiagnostics() { set_diagnostic_sink(std::move(previous_)); }
  std::vector<std::string> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
  DiagnosticSink previous_;
};

// Runs `child` in a forked process with stderr captured; returns (raw wait status, stderr text).
std::pair<int, std::string> run_in_child(void (*child)());

// Sets `flag` when destroyed: shows that a fiber's stack was unwound (destructors ran).
struct SetOnDestroy {
  bool& flag;
  ~SetOnDestroy() { flag = true; }
};

// Virtual-clock time since `start`, in seconds, for asserting on simulated durations.
inline double seconds_since(TimePoint start) { return std::chrono::duration<double>(now() - start).count(); }

}  // namespace spindle::test
