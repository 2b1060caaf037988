// run(main) and Runner: how a program enters the loop (asyncio.run and asyncio.Runner).
//
// A Runner owns the calling thread's Loop (one per thread). run(main) starts `main` as the task
// named "main", drives the loop until it is done and returns its value or rethrows its exception;
// the loop stays open for another run(). Closing the Runner cancels and unwinds every task left
// and closes the loop.
//
// Signals: while Runner::run executes on the process's main thread, and SIGINT or SIGTERM still has
// its default disposition, the first of those signals cancels the main task ("interrupted by
// SIGINT") and, once main has unwound, Runner::run throws Interrupted. A second one kills the
// process at once with the signal's default action, for a main that will not stop. The previous
// dispositions are restored when run returns. The handler only rings a Doorbell: the cancellation
// itself happens on the loop.
#pragma once

#include <spindle/compat/errors.hpp>
#include <spindle/compat/loop.hpp>
#include <spindle/compat/task.hpp>
#include <spindle/fibers/doorbell.hpp>
#include <spindle/fibers/options.hpp>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <type_traits>
#include <utility>

namespace spindle {

class Runner {
 public:
  // Creates the calling thread's loop; throws FiberError if the thread already has one.
  // `options.debug` (or SPINDLE_DEBUG=1) turns on debug mode: slow callbacks and fiber steps
  // (over options.stall_threshold, 100 ms) are reported by name, and so are task exceptions
  // nobody retrieved, with the place the task was created.
  explicit Runner(SchedulerOptions options = {});
  // close().
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Runs `main` as the task "main" until it is done: returns its value or rethrows its exception;
  // throws Interrupted when a signal cancelled it (see above). Blocks the calling thread; call on
  // the Runner's thread, not from a fiber. Throws InvalidStateError once closed.
  template <class Fn>
    requires std::is_invocable_v<std::decay_t<Fn>&>
  auto run(Fn&& main) {
    SignalScope signals(*this);
    auto task = create_task(std::forward<Fn>(main), "main");
    main_task_ = task.ref();
    struct Forget {
      std::optional<TaskRef>& task;
      ~Forget() { task.reset(); }
    } forget{main_task_};
    try {
      return loop_.run_until_complete(task);
    } catch (const CancelledError&) {
      // As asyncio: Interrupted only when the signal's cancellation is what ended main.
      if (interrupted_by_ != 0 && task.uncancel() == 0) throw Interrupted(interrupted_by_);
      throw;
    }
  }

  Loop& get_loop() noexcept { return loop_; }
  // Cancels and unwinds every task still alive and closes the loop. Idempotent.
  void close();

 private:
  // Installs the SIGINT/SIGTERM handlers for one run, where allowed, and restores them.
  class SignalScope {
   public:
    explicit SignalScope(Runner& runner);
    ~SignalScope();
    SignalScope(const SignalScope&) = delete;
    SignalScope& operator=(const SignalScope&) = delete;

   private:
    Runner& runner_;
    bool installed_int_ = false;
    bool installed_term_ = false;
  };

  void on_signal();

  Loop loop_;
  Doorbell doorbell_;
  std::optional<TaskRef> main_task_;
  int interrupted_by_ = 0;
};

namespace detail {
[[noreturn]] void exit_after_interrupt(const Interrupted& interrupted);
}

// asyncio.run: a Runner for the calling thread, run(main), then close. Returns main's value, so
// `int main() { return spindle::run(body); }` passes main's exit code on. When SIGINT or SIGTERM
// interrupted main, run says so on stderr after cleanup and exits the process with status 130 or
// 143. Blocks the calling thread, which must not have a loop yet.
template <class Fn>
  requires std::is_invocable_v<std::decay_t<Fn>&>
auto run(Fn&& main, SchedulerOptions options = {}) {
  std::optional<Interrupted> interrupted;
  {
    Runner runner(options);
    try {
      return runner.run(std::forward<Fn>(main));
    } catch (const Interrupted& signal) {
      interrupted = signal;
    }
  }  // cleanup first: the Runner closes here
  detail::exit_after_interrupt(*interrupted);
}

// run(main, debug): as above with only debug mode chosen.
template <class Fn>
  requires std::is_invocable_v<std::decay_t<Fn>&>
auto run(Fn&& main, bool debug) {
  return run(std::forward<Fn>(main), SchedulerOptions{.debug = debug});
}

}  // namespace spindle
