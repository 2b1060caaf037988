// Loop: asyncio's event-loop API over one thread's scheduler.
//
// The loop owns the thread's Scheduler. Callbacks (call_soon, call_later, call_at) run on the loop's
// thread in the scheduler's poll step, in the order they became due; like asyncio callbacks they
// must not block (they cannot park: start a task for work that waits). Tasks and fibers keep living
// between run_until_complete and run_forever calls, as in asyncio.
#pragma once

#include <spindle/compat/concurrent_future.hpp>
#include <spindle/compat/errors.hpp>
#include <spindle/compat/task.hpp>
#include <spindle/compat/thread_pool.hpp>
#include <spindle/fibers/remote_scheduler.hpp>
#include <spindle/fibers/scheduler.hpp>
#include <spindle/fibers/this_fiber.hpp>
#include <spindle/fibers/timer.hpp>
#include <spindle/fibers/wait_list.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <source_location>
#include <thread>
#include <type_traits>
#include <utility>

namespace spindle {

class Loop;

namespace detail {
struct CallbackState {
  std::function<void()> callback;
  std::source_location where;
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
    requires std::is_invocable_v<std::decay_t<Fn>&>
  auto run_until_complete(Fn&& main) {
    enter_run();
    struct Leave {
      Loop& loop;
      ~Leave() { loop.leave_run(); }
    } leave{*this};
    return scheduler_.run_until_complete([&] { return finish_iteration(create_task(std::forward<Fn>(main), "main")); });
  }
  // As above, for a future or task that already exists: runs until it is done, then returns a copy
  // of its value or rethrows.
  template <class T>
  T run_until_complete(const Future<T>& future) {
    enter_run();
    struct Leave {
      Loop& loop;
      ~Leave() { loop.leave_run(); }
    } leave{*this};
    return scheduler_.run_until_complete([&]() -> T { return finish_iteration(future); });
  }
  // Runs until stop() is called (from a callback or a task).
  void run_forever();
  // run_forever returns once the callbacks already due have run. Loop thread only.
  void stop();
  // Cancels and unwinds every task, drops pending callbacks and shuts the default executor down
  // (shutdown_default_executor); afterwards every run throws InvalidStateError("loop is closed").
  // Not while running.
  void close();
  bool is_running() const noexcept { return running_; }
  bool is_closed() const noexcept { return closed_; }
  // Seconds on the loop's clock (virtual under SchedulerOptions::virtual_clock).
  double time() const;

  // Runs `callback` soon on the loop, after the callbacks already scheduled. Loop thread only.
  // In debug mode a callback that runs longer than the stall threshold (100 ms) is reported with
  // the place it was scheduled from and its type.
  Handle call_soon(std::function<void()> callback, std::source_location where = std::source_location::current());
  // Runs `callback` after `delay` / at `when` on the loop's clock. Loop thread only.
  Handle call_later(Duration delay, std::function<void()> callback,
                    std::source_location where = std::source_location::current());
  Handle call_at(TimePoint when, std::function<void()> callback,
                 std::source_location where = std::source_location::current());
  // call_at(loop.time() + 1.5, callback): `when` in seconds on the loop's clock, as time() gives.
  Handle call_at(double when, std::function<void()> callback,
                 std::source_location where = std::source_location::current());
  // As call_soon, from any thread. The loop must outlive the call.
  void call_soon_threadsafe(std::function<void()> callback,
                            std::source_location where = std::source_location::current());

  // Runs fn(args...) on `executor` (a ThreadPoolExecutor or ProcessPoolExecutor; the arguments
  // follow its submit's rules) and returns a Future on this loop for the outcome: gather, wait and
  // wait_for take it like any task. Cancelling the Future cancels the job (a running thread job
  // still runs to completion). Loop thread only.
  template <class Executor, class Fn, class... Args>
  auto run_in_executor(Executor& executor, Fn&& fn, Args&&... args) {
    require_loop_thread("run_in_executor");
    return wrap_future(executor.submit(std::forward<Fn>(fn), std::forward<Args>(args)...));
  }
  // run_in_executor(nullptr, ...): on the loop's default thread pool, made at the first use.
  template <class Fn, class... Args>
  auto run_in_executor(std::nullptr_t, Fn&& fn, Args&&... args) {
    return run_in_executor(default_executor(), std::forward<Fn>(fn), std::forward<Args>(args)...);
  }
  // The default thread pool (default_thread_workers() threads at most), made now if need be.
  // Loop thread only.
  ThreadPoolExecutor& default_executor();
  // Shuts the default pool down, waiting at most `limit` (asyncio's 300 s) for its threads; throws
  // TimeoutError after that, naming how many were still busy. No-op if it was never made; a later
  // run_in_executor(nullptr) makes a new one. Runner::close and close() call it.
  void shutdown_default_executor(Duration limit = std::chrono::seconds(300));

  Scheduler& scheduler() noexcept { return scheduler_; }

 private:
  friend class Handle;
  void enter_run();
  void leave_run() noexcept;
  void require_loop_thread(const char* what) const;
  // Waits for `future`, lets the callbacks its completion scheduled run (asyncio stops the loop
  // only after that iteration), then returns its value or rethrows. In the run's own fiber.
  template <class T>
  static T finish_iteration(const Future<T>& future) {
    future.state()->wait();
    this_fiber::yield();
    if constexpr (std::is_void_v<T>) {
      future.result();
    } else {
      return future.result();
    }
  }
  // Runs a callback; in debug mode, reports it when it is slow.
  void invoke(const std::function<void()>& callback, const std::source_location& where);

  Scheduler scheduler_;
  std::thread::id thread_;
  bool running_ = false;
  bool closed_ = false;
  WaitList stop_requested_;
  bool stopping_ = false;
  std::set<std::shared_ptr<detail::CallbackState>> pending_timers_;
  std::unique_ptr<ThreadPoolExecutor> default_executor_;
};

// Starts `body` as a task on `loop`, which runs on another thread (asyncio's
// run_coroutine_threadsafe), and returns a ConcurrentFuture for its outcome that any thread or any
// loop's fiber can wait on. Cancelling that future cancels the task. Callable from any thread;
// `loop` must outlive the call, and the task starts only once that loop runs.
template <class Fn>
  requires std::is_invocable_v<std::decay_t<Fn>&>
auto run_coroutine_threadsafe(Fn&& body, Loop& loop, std::string name = {}) {
  using T = std::invoke_result_t<std::decay_t<Fn>&>;
  ConcurrentFuture<T> outcome;
  loop.call_soon_threadsafe([outcome, body = std::forward<Fn>(body), name = std::move(name)]() mutable {
    if (outcome.done()) return;  // cancelled before it could start
    Task<T> task = create_task(std::move(body), std::move(name));
    TaskRef ref = task.ref();
    auto cancel_on_loop = [remote = RemoteScheduler::current(), ref] { remote.post([ref]() mutable { ref.cancel(); }); };
    if (!outcome.set_cancel_hook(std::move(cancel_on_loop))) task.cancel();  // cancelled meanwhile
    task.add_done_callback([outcome](const Future<T>& done) mutable {
      // try_: another thread may have cancelled `outcome` meanwhile.
      detail::visit_outcome(
          done, [&] { outcome.cancel("the task was cancelled"); },
          [&](std::exception_ptr error) { outcome.try_set_exception(std::move(error)); },
          [&](const auto&... value) { outcome.try_set_result(value...); });
    });
  });
  return outcome;
}

}  // namespace spindle
