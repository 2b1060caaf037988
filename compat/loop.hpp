// Loop: asyncio's event-loop API over one thread's scheduler.
//
// The loop owns the thread's Scheduler. Callbacks (call_soon, call_later, call_at) run on the loop's
// thread in the scheduler's poll step, in the order they became due; like asyncio callbacks they
// must not block (they cannot park: start a task for work that waits). Tasks and fibers keep living
// between run_until_complete and run_forever calls, as in asyncio.
#pragma once

#include <spindle/compat/errors.hpp>
#include <spindle/compat/task.hpp>
#include <spindle/fibers/scheduler.hpp>
#include <spindle/fibers/timer.hpp>
#include <spindle/fibers/wait_list.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <type_traits>
#include <utility>

namespace spindle {

class Loop;

namespace detail {
struct CallbackState {
  std::function<void()> callback;
  bool cancelled = false;
  std::optional<TimePoint> when;
  std::unique_ptr<Timer> timer;  // call_later / call_at only
};
}  // namespace detail

// A scheduled callback (asyncio.Handle / TimerHandle). Copies refer to the same callback.
class Handle {
 public:
  // Stops the callback from running if it has not run yet. Call on the loop's thread.
  void cancel();
  bool cancelled() const noexcept { return state_->cancelled; }
  // The time it is due (call_later/call_at), in the loop's clock.
  std::optional<TimePoint> when() const noexcept { return state_->when; }

 private:
  friend class Loop;
  Handle(std::shared_ptr<detail::CallbackState> state, Loop* loop) : state_(std::move(state)), loop_(loop) {}
  std::shared_ptr<detail::CallbackState> state_;
  Loop* loop_;
};

class Loop {
 public:
  // A loop for the calling thread (which must not have a scheduler yet). Destroying it closes it.
  explicit Loop(SchedulerOptions options = {});
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // The calling thread's loop; throws InvalidStateError if there is none (get_running_loop).
  static Loop& current();

  // Runs `main` as a task until it completes and returns its value (or rethrows). Other tasks keep
  // their state for later runs. Throws InvalidStateError if the loop is closed or already running.
  // Blocks the calling thread; call it on the loop's thread, not from a fiber.
  template <class Fn>
  auto run_until_complete(Fn&& main) {
    enter_run();
    struct Leave {
      Loop& loop;
      ~Leave() { loop.leave_run(); }
    } leave{*this};
    return scheduler_.run_until_complete([&] { return create_task(std::forward<Fn>(main), "main").result(); });
  }
  // Runs until stop() is called (from a callback or a task).
  void run_forever();
  // run_forever returns once the callbacks already due have run. Loop thread only.
  void stop();
  // Cancels and unwinds every task and drops pending callbacks; afterwards every run throws
  // InvalidStateError("loop is closed"). Not while running.
  void close();
  bool is_running() const noexcept { return running_; }
  bool is_closed() const noexcept { return closed_; }
  // Seconds on the loop's clock (virtual under SchedulerOptions::virtual_clock).
  double time() const;

  // Runs `callback` soon on the loop, after the callbacks already scheduled. Loop thread only.
  Handle call_soon(std::function<void()> callback);
  // Runs `callback` after `delay` / at `when` on the loop's clock. Loop thread only.
  Handle call_later(Duration delay, std::function<void()> callback);
  Handle call_at(TimePoint when, std::function<void()> callback);
  // As call_soon, from any thread. The loop must outlive the call.
  void call_soon_threadsafe(std::function<void()> callback);

  Scheduler& scheduler() noexcept { return scheduler_; }

 private:
  friend class Handle;
  void enter_run();
  void leave_run() noexcept;
  void require_loop_thread(const char* what) const;

  Scheduler scheduler_;
  std::thread::id thread_;
  bool running_ = false;
  bool closed_ = false;
  WaitList stop_requested_;
  bool stopping_ = false;
  std::set<std::shared_ptr<detail::CallbackState>> pending_timers_;
};

}  // namespace spindle
