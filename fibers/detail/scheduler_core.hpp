// The per-thread scheduler: ready queue, context switches, parking, the poll step, cross-thread posts.
//
// Why it is built this way (and not on Boost.Fiber): measured here, a Boost.Fiber yield costs about
// 56 ns and its remote-ready queue takes a lock, while a raw Boost.Context switch costs 5 ns. So the
// scheduler owns its switch points on boost::context::fiber and switches fiber-to-fiber directly:
// yield() puts the caller at the back of the ready queue and resumes the front, with no trip through
// a scheduler context. The loop context (the thread's own stack, inside Scheduler::run) is entered
// only when nothing is runnable; it then blocks in epoll until the next timer. While fibers stay
// runnable, every `poll_interval` switches polls epoll, timers and posted work without blocking, so
// a busy set of fibers never starves I/O or timers.
//
// Switch protocol: boost::context hands the resumed side the continuation of whoever switched to it.
// Before switching, the running side records in `continuation_slot_` where its own continuation
// belongs (its FiberBase, or the loop); the resumed side stores it there first thing. A fiber that
// ends returns its successor's continuation and leaves the slot empty: boost frees its stack.
#pragma once

#include <spindle/fibers/clock.hpp>
#include <spindle/fibers/detail/fiber.hpp>
#include <spindle/fibers/detail/reactor.hpp>
#include <spindle/fibers/detail/stack_pool.hpp>
#include <spindle/fibers/detail/stall_watchdog.hpp>
#include <spindle/fibers/detail/timer_heap.hpp>
#include <spindle/fibers/detail/unique_function.hpp>
#include <spindle/fibers/options.hpp>
#include <spindle/fibers/park.hpp>

#include <boost/context/fiber.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace spindle {
class Doorbell;
}

namespace spindle::detail {

class SchedulerCore;

// Shared with every RemoteScheduler handle; `core` is cleared, under `mutex`, when the scheduler
// starts to shut down, so a late post from another thread is dropped instead of touching freed memory.
struct RemoteState {
  std::mutex mutex;
  SchedulerCore* core = nullptr;
};

// The fiber running on this thread (SchedulerCore::running_fiber()). Exported for the libc hooks
// (io/hooks/), whose pass-through path asks it on every call: read directly it is one TLS load,
// where a call into this library cost 8-10 ns per hooked read (its PLT entry and pages, after each
// syscall). initial-exec, so the SIGSEGV handler reads it without a lazy TLS allocation too.
// constinit: no dynamic initialisation, so readers in other files need no TLS wrapper call.
[[gnu::tls_model("initial-exec")]] extern constinit thread_local FiberBase* tls_running;

// this_fiber::yield() on the calling thread's scheduler; one call deep, because every return after a
// switch mispredicts (see switch_to).
void yield_current();

class SchedulerCore {
 public:
  // While fibers stay runnable, a non-blocking poll step runs every `poll_interval` switches, or
  // sooner once `max_poll_gap` of real time has passed (the clock is read every
  // `clock_check_interval` switches), so timers stay punctual whether fibers run for nanoseconds or
  // for tens of microseconds between switches.
  static constexpr std::uint32_t poll_interval = 64;
  static constexpr std::uint32_t clock_check_interval = 8;
  static constexpr Duration max_poll_gap = std::chrono::microseconds(200);

  explicit SchedulerCore(SchedulerOptions options);
  ~SchedulerCore();
  SchedulerCore(const SchedulerCore&) = delete;
  SchedulerCore& operator=(const SchedulerCore&) = delete;

  // The scheduler running on the calling thread, or nullptr.
  static SchedulerCore* current() noexcept;
  // The fiber running on the calling thread, or nullptr (loop context, plain thread).
  static FiberBase* running_fiber() noexcept;

  // Takes the caller's reference to a new fiber and queues it.
  void spawn(FiberBase* fiber);
  // Runs fibers until `until` has ended (or, with nullptr, until no fiber is left).
  void run(FiberBase* until);
  // Cancels every live fiber and runs until all have ended.
  void cancel_all_and_drain();

  void yield();
  // Runs a callback that must not park (posted work, timer callbacks), reporting what it throws.
  void run_callback(const char* what, UniqueFunction& callback) noexcept;
  WakeStatus park(const char* reason, const TimePoint* deadline);
  bool unpark(FiberBase* fiber, WakeReason reason, std::exception_ptr error) noexcept;
  bool cancel(FiberBase* fiber, std::string message) noexcept;
  // Throws CancelledError if the running fiber has a cancellation pending.
  void checkpoint();

  // Thread-safe; see Scheduler::post.
  void post(UniqueFunction work);
  void add_expected_post() noexcept { expected_posts_.fetch_add(1, std::memory_order_relaxed); }
  void drop_expected_post() noexcept;
  // post(work) and drop_expected_post() as one step, with one wake-up.
  void post_expected(UniqueFunction work);
  // See Doorbell. add/remove on the scheduler's thread; ring_doorbells is async-signal-safe.
  void add_doorbell(Doorbell* doorbell);
  void remove_doorbell(Doorbell* doorbell) noexcept;
  void ring_doorbells() noexcept;
  const std::shared_ptr<RemoteState>& remote_state() const noexcept { return remote_; }

  TimePoint now() const noexcept { return options_.virtual_clock ? virtual_now_ : Clock::now(); }
  bool virtual_clock() const noexcept { return options_.virtual_clock; }
  const SchedulerOptions& options() const noexcept { return options_; }
  Reactor& reactor() noexcept { return reactor_; }
  TimerHeap& timers() noexcept { return timers_; }
  StackPool& stacks() noexcept { return stacks_; }
  std::thread::id thread() const noexcept { return thread_; }

  std::size_t live_fibers() const noexcept { return live_count_; }
  std::uint64_t switches() const noexcept { return switches_; }
  void dump(std::ostream& out) const;
  template <class Visit>
  void for_each_live(Visit&& visit) const {
    for (const FiberBase* fiber = live_head_; fiber != nullptr; fiber = fiber->next_live) visit(*fiber, coarse_now_);
  }

 private:
  struct ReadyQueue {
    FiberBase* head = nullptr;
    FiberBase* tail = nullptr;
    void push(FiberBase* fiber) noexcept {
      fiber->next_ready = nullptr;
      if (tail == nullptr) {
        head = fiber;
      } else {
        tail->next_ready = fiber;
      }
      tail = fiber;
    }
    FiberBase* pop() noexcept {
      FiberBase* fiber = head;
      if (fiber != nullptr) {
        head = fiber->next_ready;
        if (head == nullptr) tail = nullptr;
      }
      return fiber;
    }
    bool empty() const noexcept { return head == nullptr; }
  };

  void make_ready(FiberBase* fiber) noexcept;
  void make_woken(FiberBase* fiber) noexcept;
  FiberBase* pop_runnable() noexcept;
  bool runnable_empty() const noexcept { return ready_.empty() && woken_.empty(); }
  FiberBase* pick_next();
  void poll_if_due();
  void switch_to(FiberBase* next);
  void prepare_to_resume(FiberBase* next);
  void store_continuation(boost::context::fiber&& continuation) noexcept;
  void start(FiberBase* fiber);
  boost::context::fiber enter(FiberBase* fiber, boost::context::fiber&& caller) noexcept;
  boost::context::fiber finish(FiberBase* fiber) noexcept;
  void link_live(FiberBase* fiber) noexcept;
  void unlink_live(FiberBase* fiber) noexcept;
  // One poll step: epoll (blocking only if `may_block` and nothing is runnable), posted work, timers.
  void poll(bool may_block);
  void drain_posts();
  // post() and post_expected(): queues `work`, wakes the loop if the queue was empty.
  void queue_post(UniqueFunction work, bool was_expected);
  void on_leave(FiberBase* fiber) noexcept;
  void check_canary(FiberBase* fiber) noexcept;
  [[noreturn, gnu::noinline]] static void deliver_cancel(FiberBase* fiber);
  [[noreturn]] void report_canary_overflow(FiberBase* fiber) noexcept;
  void check_stall(FiberBase* fiber) noexcept;
  void throw_deadlock() const;

  SchedulerOptions options_;
  std::thread::id thread_;
  SchedulerCore* previous_on_thread_;
  StackPool stacks_;
  Reactor reactor_;
  TimerHeap timers_;
  // Two run queues. Fibers woken by an event (timer, descriptor, unpark, cancel) wait in `woken_`
  // and run before `ready_`, which holds new and yielding fibers: work in progress keeps its latency
  // while a burst of spawns is admitted. Each poll step grants `woken_` a share of the switches until the
  // next one, so neither queue can starve the other. Three quarters: at fewer, a burst of timer
  // expiries arriving while thousands of new fibers start outpaces the woken queue (measured with
  // the timer-storm benchmark).
  static constexpr std::uint32_t woken_share = poll_interval * 3 / 4;
  ReadyQueue ready_;
  ReadyQueue woken_;
  std::uint32_t woken_budget_ = woken_share;
  // Stacks are trimmed only when idle and at least this long before the next deadline.
  static constexpr Duration trim_headroom = std::chrono::milliseconds(2);

  FiberBase* running_ = nullptr;
  FiberBase* stop_fiber_ = nullptr;  // run() returns to the loop as soon as this one ends
  boost::context::fiber loop_context_;
  boost::context::fiber* continuation_slot_ = nullptr;
  std::uint32_t until_clock_check_ = clock_check_interval;
  std::uint32_t checks_until_poll_ = poll_interval / clock_check_interval;
  Clock::time_point next_poll_due_{};
  std::uint64_t switches_ = 0;

  FiberBase* live_head_ = nullptr;
  std::size_t live_count_ = 0;
  TimePoint virtual_now_;
  TimePoint coarse_now_;  // refreshed at each poll; stamps state changes without a clock read
  Clock::time_point resumed_at_;  // real time the running fiber was resumed (debug mode only)
  bool in_callback_ = false;
  std::unique_ptr<StallWatchdog> watchdog_;  // debug mode only

  int wake_fd_;
  std::mutex posts_mutex_;
  std::vector<UniqueFunction> posts_;
  std::atomic<bool> posts_pending_{false};
  std::atomic<bool> blocked_in_poll_{false};  // set around a poll step that may block
  std::atomic<long> expected_posts_{0};
  std::shared_ptr<RemoteState> remote_;
  std::vector<Doorbell*> doorbells_;
  std::atomic<bool> doorbell_rung_{false};
  std::uint64_t dump_generation_seen_ = 0;

  ExceptionGlobals* exception_globals_;  // this thread's; saved and restored around every switch

  // Stack bounds of the loop context, for AddressSanitizer's switch annotations.
  const void* loop_stack_bottom_ = nullptr;
  std::size_t loop_stack_size_ = 0;
};

}  // namespace spindle::detail
