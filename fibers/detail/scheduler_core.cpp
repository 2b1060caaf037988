#include <spindle/fibers/detail/scheduler_core.hpp>

#include <spindle/fibers/detail/overflow_guard.hpp>
#include <spindle/fibers/detail/spin_wait.hpp>
#include <spindle/fibers/diagnostics.hpp>
#include <spindle/fibers/doorbell.hpp>
#include <spindle/fibers/errors.hpp>

#include <cxxabi.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <sstream>
#include <system_error>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define SPINDLE_ASAN 1
#endif

namespace spindle::detail {

constinit thread_local FiberBase* tls_running = nullptr;

namespace {

// initial-exec: the SIGSEGV handler reads the running fiber, and must not trigger a lazy TLS
// allocation while the faulting stack is exhausted.
[[gnu::tls_model("initial-exec")]] thread_local SchedulerCore* tls_scheduler = nullptr;

std::atomic<std::uint64_t> next_fiber_id{1};


// SIGUSR1 in debug mode: the handler bumps a generation and writes an eventfd that every debug-mode
// scheduler watches; each then prints its fibers from its own thread, outside the handler.
std::atomic<std::uint64_t> dump_generation{0};
int dump_event_fd = -1;

void on_dump_signal(int) {
  dump_generation.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = ::write(dump_event_fd, &one, sizeof one);
}

int dump_signal_fd() {
  static const int fd = [] {
    dump_event_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct sigaction action {};
    action.sa_handler = on_dump_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGUSR1, &action, nullptr);
    return dump_event_fd;
  }();
  return fd;
}

std::size_t parse_size(const char* text) {
  char* end = nullptr;
  unsigned long long value = std::strtoull(text, &end, 10);
  if (end != nullptr && (*end == 'k' || *end == 'K')) value *= 1024;
  if (end != nullptr && (*end == 'm' || *end == 'M')) value *= 1024 * 1024;
  return static_cast<std::size_t>(value);
}

SchedulerOptions resolve_environment(SchedulerOptions options) {
  if (options.default_stack_size == 0) {
    const char* from_env = std::getenv("SPINDLE_STACK_SIZE");
    std::size_t fallback = 128 * 1024;
#if defined(SPINDLE_ASAN)
    fallback *= 4;
#endif
    options.default_stack_size = from_env != nullptr ? std::max<std::size_t>(parse_size(from_env), 16 * 1024) : fallback;
  }
  if (const char* debug = std::getenv("SPINDLE_DEBUG"); debug != nullptr && debug[0] == '1') options.debug = true;
  return options;
}

const char* state_name(FiberState state) {
  switch (state) {
    case FiberState::ready: return "ready";
    case FiberState::running: return "running";
    case FiberState::parked: return "parked";
    case FiberState::done: return "done";
  }
  return "?";
}

// Stack allocator handed to boost::context: takes a stack from the pool when the fiber first runs
// and gives it back when boost tears the fiber down.
class PooledStack {
 public:
  PooledStack(StackPool& pool, FiberBase& fiber) : pool_(&pool), fiber_(&fiber) {}

  boost::context::stack_context allocate() {
    slot_ = pool_->acquire(fiber_->stack_size);
    fiber_->stack = slot_;
    boost::context::stack_context context;
    context.size = slot_.usable;
    context.sp = slot_.top;
    return context;
  }
  void deallocate(boost::context::stack_context&) noexcept { pool_->release(slot_); }

 private:
  StackPool* pool_;
  FiberBase* fiber_;  // only touched in allocate(): the fiber may be gone by deallocate()
  StackSlot slot_;
};

#if defined(SPINDLE_ASAN)
void asan_start_switch(void** fake_stack, const void* bottom, std::size_t size) {
  __sanitizer_start_switch_fiber(fake_stack, bottom, size);
}
void asan_finish_switch(void* fake_stack) { __sanitizer_finish_switch_fiber(fake_stack, nullptr, nullptr); }
#else
void asan_start_switch(void**, const void*, std::size_t) {}
void asan_finish_switch(void*) {}
#endif

}  // namespace

// ---------------------------------------------------------------------------------------------
// Lifetime

SchedulerCore::SchedulerCore(SchedulerOptions options)
    : options_(resolve_environment(options)),
      thread_(std::this_thread::get_id()),
      previous_on_thread_(tls_scheduler),
      stacks_(options_.default_stack_size, options_.stack_protection),
      virtual_now_(Clock::now()),
      coarse_now_(virtual_now_),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      remote_(std::make_shared<RemoteState>()),
      exception_globals_(reinterpret_cast<ExceptionGlobals*>(abi::__cxa_get_globals())) {
  remote_->core = this;
  if (previous_on_thread_ != nullptr) {
    remote_->core = nullptr;
    ::close(wake_fd_);
    throw FiberError("spindle: a scheduler already exists on this thread; one thread runs one scheduler");
  }
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "spindle: eventfd");
  reactor_.add_internal(wake_fd_, Reactor::wake_tag);
  if (options_.debug) {
    watchdog_ = std::make_unique<StallWatchdog>(options_.stall_threshold);
    reactor_.add_internal(dump_signal_fd(), Reactor::dump_tag);
    dump_generation_seen_ = dump_generation.load(std::memory_order_relaxed);
  }
  install_overflow_guard_on_this_thread();
  pthread_attr_t attributes;
  if (::pthread_getattr_np(::pthread_self(), &attributes) == 0) {
    void* bottom = nullptr;
    ::pthread_attr_getstack(&attributes, &bottom, &loop_stack_size_);
    loop_stack_bottom_ = bottom;
    ::pthread_attr_destroy(&attributes);
  }
  tls_scheduler = this;
}

SchedulerCore::~SchedulerCore() {
  {
    std::lock_guard lock(remote_->mutex);
    remote_->core = nullptr;
  }
  cancel_all_and_drain();
  {
    std::lock_guard lock(posts_mutex_);
    posts_.clear();
  }
  remove_overflow_guard_from_this_thread();
  ::close(wake_fd_);
  tls_scheduler = previous_on_thread_;
}

SchedulerCore* SchedulerCore::current() noexcept { return tls_scheduler; }
FiberBase* SchedulerCore::running_fiber() noexcept { return tls_running; }

// ---------------------------------------------------------------------------------------------
// Ready queue and live list

void SchedulerCore::link_live(FiberBase* fiber) noexcept {
  fiber->next_live = live_head_;
  if (live_head_ != nullptr) live_head_->prev_live = fiber;
  live_head_ = fiber;
  ++live_count_;
}

void SchedulerCore::unlink_live(FiberBase* fiber) noexcept {
  if (fiber->prev_live != nullptr) fiber->prev_live->next_live = fiber->next_live;
  if (fiber->next_live != nullptr) fiber->next_live->prev_live = fiber->prev_live;
  if (live_head_ == fiber) live_head_ = fiber->next_live;
  fiber->prev_live = fiber->next_live = nullptr;
  --live_count_;
}

inline void SchedulerCore::make_ready(FiberBase* fiber) noexcept {
  fiber->state = FiberState::ready;
  fiber->state_since = coarse_now_;
  ready_.push(fiber);
}

inline void SchedulerCore::make_woken(FiberBase* fiber) noexcept {
  fiber->state = FiberState::ready;
  fiber->state_since = coarse_now_;
  woken_.push(fiber);
}

inline FiberBase* SchedulerCore::pop_runnable() noexcept {
  if (woken_budget_ > 0 || ready_.empty()) {
    if (FiberBase* fiber = woken_.pop()) {
      --woken_budget_;
      return fiber;
    }
  }
  return ready_.pop();
}

// ---------------------------------------------------------------------------------------------
// Spawning, switching, ending

inline void SchedulerCore::prepare_to_resume(FiberBase* next) {
  if (!next->context) [[unlikely]] start(next);
  next->state = FiberState::running;
  next->state_since = coarse_now_;
  ++switches_;
  if (options_.debug) [[unlikely]] {
    resumed_at_ = Clock::now();
    watchdog_->resumed(next->id, next->name);
  }
}

inline void SchedulerCore::store_continuation(boost::context::fiber&& continuation) noexcept {
  if (continuation_slot_ != nullptr) *continuation_slot_ = std::move(continuation);
  continuation_slot_ = nullptr;
}

inline void SchedulerCore::on_leave(FiberBase* fiber) noexcept {
  if (!fiber->stack.guarded) [[unlikely]] check_canary(fiber);
  if (options_.debug) [[unlikely]] check_stall(fiber);
}

void SchedulerCore::check_canary(FiberBase* fiber) noexcept {
  if (fiber->stack.top != nullptr && !StackPool::canary_intact(fiber->stack)) {
    abort_with_overflow_report(*fiber, ", found by the stack canary when it switched out; memory "
                                       "below its stack may be corrupted");
  }
}

[[gnu::always_inline]] inline void SchedulerCore::switch_to(FiberBase* next) {
  FiberBase* from = running_;
  if (next == from) {  // nothing else to run (or the poll inside pick_next() woke the caller itself)
    if (from != nullptr) {
      on_leave(from);  // it did yield: checks and the stall clock restart as for a real switch
      from->state = FiberState::running;
      if (options_.debug) [[unlikely]] {
        resumed_at_ = Clock::now();
        watchdog_->resumed(from->id, from->name);
      }
    }
    return;
  }
  if (from != nullptr) on_leave(from);
  continuation_slot_ = from != nullptr ? &from->context : &loop_context_;
  if (next != nullptr) prepare_to_resume(next);
  running_ = next;
  tls_running = next;
  boost::context::fiber& target = next != nullptr ? next->context : loop_context_;
  // Field by field: a 16-byte copy of this 12-byte struct defeats store-to-load forwarding.
  void* const saved_caught = exception_globals_->caught_exceptions;
  const unsigned int saved_uncaught = exception_globals_->uncaught_exceptions;
  void* fake_stack = nullptr;
  if (next != nullptr) {
    asan_start_switch(&fake_stack, next->stack.top - next->stack.usable, next->stack.usable);
  } else {
    asan_start_switch(&fake_stack, loop_stack_bottom_, loop_stack_size_);
  }
  boost::context::fiber back = std::move(target).resume();
  asan_finish_switch(fake_stack);
  exception_globals_->caught_exceptions = saved_caught;
  exception_globals_->uncaught_exceptions = saved_uncaught;
  store_continuation(std::move(back));
}

void SchedulerCore::spawn(FiberBase* fiber) {
  fiber->scheduler = this;
  fiber->id = next_fiber_id.fetch_add(1, std::memory_order_relaxed);
  fiber->park_timer.owner = fiber;
  fiber->park_timer.fire = [](TimerNode& node) {
    auto* parked = static_cast<FiberBase*>(node.owner);
    parked->scheduler->unpark(parked, WakeReason::timed_out, nullptr);
  };
  link_live(fiber);
  make_ready(fiber);
}

void SchedulerCore::start(FiberBase* fiber) {
  fiber->context = boost::context::fiber(
      std::allocator_arg, PooledStack(stacks_, *fiber),
      [this, fiber](boost::context::fiber&& caller) { return enter(fiber, std::move(caller)); });
}

boost::context::fiber SchedulerCore::enter(FiberBase* fiber, boost::context::fiber&& caller) noexcept {
  asan_finish_switch(nullptr);
  exception_globals_->caught_exceptions = nullptr;
  exception_globals_->uncaught_exceptions = 0;
  store_continuation(std::move(caller));
  fiber->run();
  return finish(fiber);
}

void SchedulerCore::check_stall(FiberBase* fiber) noexcept {
  auto ran = Clock::now() - resumed_at_;
  watchdog_->idle();
  if (ran < options_.stall_threshold || watchdog_->reported_current_run()) return;
  try {
    char text[512];
    std::snprintf(text, sizeof text,
                  "spindle: fiber '%s' ran %.1f ms without yielding (stall threshold %lld ms); every "
                  "other fiber on its thread waited that long",
                  fiber->display_name().c_str(), std::chrono::duration<double, std::milli>(ran).count(),
                  static_cast<long long>(options_.stall_threshold.count()));
    emit_diagnostic(text);
  } catch (...) {
  }
}

boost::context::fiber SchedulerCore::finish(FiberBase* fiber) noexcept {
  fiber->state = FiberState::done;
  fiber->state_since = coarse_now_;
  unlink_live(fiber);
  fiber->joiners.wake_all();
  on_leave(fiber);
  FiberBase* next = nullptr;
  if (fiber != stop_fiber_) {
    try {
      next = pick_next();
    } catch (...) {
      next = nullptr;  // the loop context will poll again and surface the error
    }
  }
  continuation_slot_ = nullptr;
  if (next != nullptr) {
    try {
      prepare_to_resume(next);
    } catch (const std::exception& error) {
      emit_diagnostic(std::string("spindle: cannot start fiber '") + next->display_name() + "': " + error.what());
      std::abort();
    }
  }
  running_ = next;
  tls_running = next;
  release(fiber);
  if (next != nullptr) {
    asan_start_switch(nullptr, next->stack.top - next->stack.usable, next->stack.usable);
  } else {
    asan_start_switch(nullptr, loop_stack_bottom_, loop_stack_size_);
  }
  return std::move(next != nullptr ? next->context : loop_context_);
}

inline FiberBase* SchedulerCore::pick_next() {
  if (--until_clock_check_ == 0) [[unlikely]] poll_if_due();
  return pop_runnable();
}

void SchedulerCore::poll_if_due() {
  until_clock_check_ = clock_check_interval;
  if (--checks_until_poll_ == 0 || Clock::now() >= next_poll_due_) poll(false);
}

// ---------------------------------------------------------------------------------------------
// The parking seam

void SchedulerCore::deliver_cancel(FiberBase* fiber) {
  fiber->cancel_pending = false;
  throw CancelledError(std::move(fiber->cancel_message));
}

void SchedulerCore::checkpoint() {
  FiberBase* self = running_;
  if (self != nullptr && self->cancel_pending) [[unlikely]] deliver_cancel(self);
}

void yield_current() {
  SchedulerCore* scheduler = tls_scheduler;
  if (scheduler == nullptr) [[unlikely]] throw FiberError("spindle::this_fiber::yield called outside a fiber");
  scheduler->yield();
}

void SchedulerCore::yield() {
  FiberBase* self = running_;
  if (self == nullptr || in_callback_) [[unlikely]] {
    throw FiberError(in_callback_ ? "spindle: yield() inside posted work or a timer callback; spawn a fiber for it"
                                  : "spindle: yield() called outside a fiber");
  }
  if (self->cancel_pending) [[unlikely]] deliver_cancel(self);
  // Work posted to this loop (callbacks, completions) runs before the yield returns, as one asyncio
  // loop iteration would run it: `sleep(0)` then reliably lets done callbacks run.
  if (posts_pending_.load(std::memory_order_relaxed)) [[unlikely]] poll(false);
  make_ready(self);
  switch_to(pick_next());
  if (self->cancel_pending) [[unlikely]] deliver_cancel(self);
}

WakeStatus SchedulerCore::park(const char* reason, const TimePoint* deadline) {
  FiberBase* self = running_;
  if (self == nullptr || in_callback_) {
    throw FiberError(std::string("spindle: cannot wait for '") + reason +
                     (in_callback_ ? "' inside posted work or a timer callback; spawn a fiber for it"
                                   : "' outside a fiber; run the code in a fiber (spawn or Scheduler::run)"));
  }
  checkpoint();
  if (deadline != nullptr) {
    if (*deadline <= now()) return WakeStatus::timed_out;
    timers_.arm(self->park_timer, *deadline);
  }
  self->state = FiberState::parked;
  self->park_reason = reason;
  self->wake = WakeReason::none;
  self->state_since = coarse_now_;
  switch_to(pick_next());
  timers_.disarm(self->park_timer);
  self->park_reason = nullptr;
  switch (self->wake) {
    case WakeReason::timed_out:
      return WakeStatus::timed_out;
    case WakeReason::failed:
      std::rethrow_exception(std::exchange(self->wake_error, nullptr));
    case WakeReason::cancelled:
      checkpoint();
      break;
    case WakeReason::none:
    case WakeReason::unparked:
      break;
  }
  return WakeStatus::woken;
}

bool SchedulerCore::unpark(FiberBase* fiber, WakeReason reason, std::exception_ptr error) noexcept {
  if (fiber->state != FiberState::parked) return false;
  fiber->wake = reason;
  if (error) fiber->wake_error = std::move(error);
  make_woken(fiber);
  return true;
}

bool SchedulerCore::cancel(FiberBase* fiber, std::string message) noexcept {
  if (fiber->state == FiberState::done) return false;
  fiber->cancel_pending = true;
  fiber->cancel_message = std::move(message);
  unpark(fiber, WakeReason::cancelled, nullptr);
  return true;
}

// ---------------------------------------------------------------------------------------------
// The loop and the poll step

void SchedulerCore::run(FiberBase* until) {
  if (tls_scheduler != this) throw FiberError("spindle: a scheduler runs only on the thread that created it");
  if (running_ != nullptr || loop_context_) throw FiberError("spindle: Scheduler::run() called from inside a fiber");
  FiberBase* outer_stop = std::exchange(stop_fiber_, until);
  struct Restore {
    FiberBase*& slot;
    FiberBase* value;
    ~Restore() { slot = value; }
  } restore{stop_fiber_, outer_stop};
  for (;;) {
    if (until != nullptr ? until->state == FiberState::done : live_count_ == 0) return;
    if (FiberBase* next = pop_runnable()) {
      switch_to(next);
      continue;
    }
    poll(true);
  }
}

void SchedulerCore::cancel_all_and_drain() {
  for (int round = 0; round < 3 && live_count_ > 0; ++round) {
    for (FiberBase* fiber = live_head_; fiber != nullptr; fiber = fiber->next_live) {
      cancel(fiber, "scheduler shutting down");
    }
    while (live_count_ > 0) {
      if (FiberBase* next = pop_runnable()) {
        switch_to(next);
        continue;
      }
      if (timers_.empty() && reactor_.waiting() == 0 && expected_posts_.load() == 0) break;
      try {
        poll(true);
      } catch (...) {
        break;
      }
    }
  }
  if (live_count_ > 0) {
    std::ostringstream text;
    text << "spindle: " << live_count_
         << " fiber(s) ignored cancellation at scheduler shutdown; their stacks are leaked:\n";
    dump(text);
    emit_diagnostic(text.str());
  }
}

void SchedulerCore::poll(bool may_block) {
  std::optional<Duration> timeout = Duration::zero();
  woken_budget_ = woken_share;
  checks_until_poll_ = poll_interval / clock_check_interval;
  next_poll_due_ = Clock::now() + max_poll_gap;
  const bool idle = may_block && runnable_empty() && !posts_pending_.load(std::memory_order_acquire);
  if (idle) {
    const bool post_expected = expected_posts_.load(std::memory_order_acquire) > 0;
    if (options_.virtual_clock) {
      if (timers_.empty()) {
        // Read the expectation before the queue: a thread that posts and then drops its
        // ExpectPost has made its post visible by the time the count reads zero.
        if (reactor_.waiting() == 0 && !post_expected && !posts_pending_.load(std::memory_order_acquire)) {
          throw_deadlock();
        }
        timeout = std::nullopt;
      } else if (post_expected) {
        // Another thread is working for us (an executor job) in real time: jumping to the next
        // deadline now would time it out however fast it is. Virtual time runs at real speed
        // until the post arrives or the deadline's real share has passed.
        timeout = std::max(Duration::zero(), timers_.next_deadline() - virtual_now_);
      }
    } else if (timers_.empty()) {
      timeout = std::nullopt;
    } else {
      timeout = std::max(Duration::zero(), timers_.next_deadline() - Clock::now());
    }
    if (post_expected && timeout != Duration::zero() &&
        spin_until([this] { return posts_pending_.load(std::memory_order_acquire); })) {
      timeout = Duration::zero();
    }
  }
  if (timeout != Duration::zero()) {
    // Posters write the wake-up eventfd only while the loop is (about to be) blocked in the
    // kernel; otherwise the write and the read that drains it are two wasted syscalls per post.
    // Store-then-load on both sides, sequentially consistent: either the poster sees this flag,
    // or this thread sees its post.
    blocked_in_poll_.store(true, std::memory_order_seq_cst);
    if (posts_pending_.load(std::memory_order_seq_cst)) timeout = Duration::zero();
  }
  std::uint64_t internal = 0;
  reactor_.poll(timeout, internal);
  blocked_in_poll_.store(false, std::memory_order_relaxed);
  if (internal & Reactor::wake_tag) {
    std::uint64_t count;
    [[maybe_unused]] ssize_t ignored = ::read(wake_fd_, &count, sizeof count);
  }
  drain_posts();
  if ((internal & Reactor::dump_tag) != 0) {
    std::uint64_t generation = dump_generation.load(std::memory_order_relaxed);
    if (generation != dump_generation_seen_) {
      dump_generation_seen_ = generation;
      std::ostringstream text;
      dump(text);
      emit_diagnostic(text.str());
    }
  }
  if (idle && runnable_empty()) {
    if (options_.virtual_clock && !timers_.empty()) {
      virtual_now_ = std::max(virtual_now_, timers_.next_deadline());
    } else if (stacks_.has_excess() && (timers_.empty() || timers_.next_deadline() - Clock::now() > trim_headroom)) {
      stacks_.trim_some();  // idle: give back memory from the last burst, a little at a time
    }
  }
  coarse_now_ = now();
  in_callback_ = true;
  timers_.fire_expired(coarse_now_);
  in_callback_ = false;
}

void SchedulerCore::post(UniqueFunction work) { queue_post(std::move(work), false); }

void SchedulerCore::post_expected(UniqueFunction work) { queue_post(std::move(work), true); }

void SchedulerCore::queue_post(UniqueFunction work, bool was_expected) {
  bool was_empty;
  {
    std::lock_guard lock(posts_mutex_);
    was_empty = posts_.empty();
    posts_.push_back(std::move(work));
    posts_pending_.store(true, std::memory_order_seq_cst);
    // Withdrawn only once the post is visible: the loop must never see neither.
    if (was_expected) expected_posts_.fetch_sub(1, std::memory_order_acq_rel);
  }
  if (was_empty && blocked_in_poll_.load(std::memory_order_seq_cst)) {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
  }
}

void SchedulerCore::drop_expected_post() noexcept {
  if (expected_posts_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    // The loop may be blocked waiting for the post that will now never come: wake it, so it can
    // see the deadlock (virtual clock) or go back to its own deadlines.
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
  }
}

void SchedulerCore::drain_posts() {
  if (!posts_pending_.load(std::memory_order_acquire)) return;
  std::vector<UniqueFunction> batch;
  {
    std::lock_guard lock(posts_mutex_);
    batch.swap(posts_);
    posts_pending_.store(false, std::memory_order_relaxed);
  }
  for (UniqueFunction& work : batch) run_callback("posted work", work);
  if (doorbell_rung_.exchange(false, std::memory_order_acq_rel)) {
    // By index: a callback may register or drop doorbells.
    for (std::size_t i = 0; i < doorbells_.size(); ++i) {
      Doorbell* doorbell = doorbells_[i];
      if (doorbell->rung_.exchange(false, std::memory_order_acq_rel)) run_callback("a doorbell callback", doorbell->on_ring_);
    }
  }
}

void SchedulerCore::add_doorbell(Doorbell* doorbell) { doorbells_.push_back(doorbell); }

void SchedulerCore::remove_doorbell(Doorbell* doorbell) noexcept { std::erase(doorbells_, doorbell); }

void SchedulerCore::ring_doorbells() noexcept {
  // The flags before the descriptor: a poll step woken by the write must see them.
  doorbell_rung_.store(true, std::memory_order_release);
  posts_pending_.store(true, std::memory_order_release);
  std::uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
}

void SchedulerCore::run_callback(const char* what, UniqueFunction& callback) noexcept {
  const bool outer = std::exchange(in_callback_, true);
  try {
    callback();
  } catch (...) {
    emit_diagnostic(std::string("spindle: ") + what + " threw " + describe_exception(std::current_exception()));
  }
  in_callback_ = outer;
}

void SchedulerCore::throw_deadlock() const {
  std::ostringstream text;
  text << "spindle: deadlock: every fiber is parked and nothing can wake them (no timer armed, no "
          "descriptor awaited, no cross-thread post expected)\n";
  dump(text);
  throw DeadlockError(text.str());
}

// ---------------------------------------------------------------------------------------------
// Introspection

void SchedulerCore::dump(std::ostream& out) const {
  out << "spindle: " << live_count_ << " live fiber(s) on thread " << thread_ << "\n";
  const TimePoint at = coarse_now_;
  for (const FiberBase* fiber = live_head_; fiber != nullptr; fiber = fiber->next_live) {
    auto seconds = std::chrono::duration<double>(at - fiber->state_since).count();
    char line[160];
    std::snprintf(line, sizeof line, "  #%-6llu %-24s %-8s %-22s %9.3f s in state\n",
                  static_cast<unsigned long long>(fiber->id), ("'" + fiber->display_name() + "'").c_str(),
                  state_name(fiber->state), fiber->park_reason != nullptr ? fiber->park_reason : "",
                  std::max(0.0, seconds));
    out << line;
  }
}

}  // namespace spindle::detail
