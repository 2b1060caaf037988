#include <spindle/compat/loop.hpp>

#include <spindle/fibers/detail/scheduler_core.hpp>
#include <spindle/fibers/diagnostics.hpp>

#include <cxxabi.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace spindle {
namespace {
thread_local Loop* tls_loop = nullptr;
}

Loop::Loop(SchedulerOptions options) : scheduler_(options), thread_(std::this_thread::get_id()) { tls_loop = this; }

Loop::~Loop() {
  if (!closed_) close();
  tls_loop = nullptr;
}

Loop& Loop::current() {
  if (tls_loop == nullptr) throw InvalidStateError("no event loop runs on this thread");
  return *tls_loop;
}

void Loop::require_loop_thread(const char* what) const {
  if (std::this_thread::get_id() != thread_) {
    throw InvalidStateError(std::string(what) + " called from another thread; use call_soon_threadsafe");
  }
}

void Loop::enter_run() {
  require_loop_thread("run");
  if (closed_) throw InvalidStateError("loop is closed");
  if (running_) throw InvalidStateError("this event loop is already running");
  running_ = true;
}

void Loop::leave_run() noexcept { running_ = false; }

void Loop::run_forever() {
  enter_run();
  struct Leave {
    Loop& loop;
    ~Leave() { loop.leave_run(); }
  } leave{*this};
  stopping_ = false;
  scheduler_.run_until_complete([this] {
    while (!stopping_) stop_requested_.wait("loop.stop()");
  });
}

void Loop::stop() {
  require_loop_thread("stop");
  // Posted, so the callbacks already due still run in this iteration, as in asyncio.
  scheduler_.post([this] {
    stopping_ = true;
    stop_requested_.wake_all();
  });
}

void Loop::close() {
  require_loop_thread("close");
  if (running_) throw InvalidStateError("cannot close a running event loop");
  if (closed_) return;
  for (const auto& state : pending_timers_) state->timer.reset();
  pending_timers_.clear();
  scheduler_.run([] {});  // cancels and unwinds every task still alive
  closed_ = true;
  try {
    shutdown_default_executor();
  } catch (const std::exception& error) {
    detail::emit_diagnostic(std::string("spindle: Loop::close: ") + error.what());
  }
}

ThreadPoolExecutor& Loop::default_executor() {
  require_loop_thread("default_executor");
  if (!default_executor_) default_executor_ = std::make_unique<ThreadPoolExecutor>();
  return *default_executor_;
}

void Loop::shutdown_default_executor(Duration limit) {
  if (!default_executor_) return;
  std::unique_ptr<ThreadPoolExecutor> executor = std::move(default_executor_);
  executor->shutdown(true, false, limit);
}

namespace {
std::string demangle(const char* name) {
  int status = 0;
  char* readable = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string text = status == 0 && readable != nullptr ? readable : name;
  std::free(readable);
  return text;
}
}  // namespace

void Loop::invoke(const std::function<void()>& callback, const std::source_location& where) {
  const SchedulerOptions& options = scheduler_.core().options();
  if (!options.debug) {
    callback();
    return;
  }
  auto started = std::chrono::steady_clock::now();
  callback();
  auto took = std::chrono::steady_clock::now() - started;
  if (took >= options.stall_threshold) {
    char text[96];
    std::snprintf(text, sizeof text, " took %.1f ms (slow callback threshold %lld ms)",
                  std::chrono::duration<double, std::milli>(took).count(),
                  static_cast<long long>(options.stall_threshold.count()));
    detail::emit_diagnostic(std::string("spindle: callback ") + demangle(callback.target_type().name()) +
                            " scheduled at " + where.file_name() + ":" + std::to_string(where.line()) + text);
  }
}

double Loop::time() const { return std::chrono::duration<double>(scheduler_.now().time_since_epoch()).count(); }

Handle Loop::call_soon(std::function<void()> callback, std::source_location where) {
  require_loop_thread("call_soon");
  auto state = std::make_shared<detail::CallbackState>();
  state->callback = std::move(callback);
  state->where = where;
  scheduler_.post([this, state] {
    if (!state->cancelled) invoke(state->callback, state->where);
  });
  return Handle(state, this);
}

Handle Loop::call_at(TimePoint when, std::function<void()> callback, std::source_location where) {
  require_loop_thread("call_at");
  auto state = std::make_shared<detail::CallbackState>();
  state->callback = std::move(callback);
  state->where = where;
  state->when = when;
  std::weak_ptr<detail::CallbackState> weak = state;
  // The timer only posts the call: running it (and dropping the state, whose Timer this is) inside
  // the timer's own callback would destroy the callback while it runs.
  state->timer = std::make_unique<Timer>([this, weak] {
    auto fired = weak.lock();
    if (!fired || fired->cancelled) return;
    scheduler_.post([this, fired] {
      pending_timers_.erase(fired);
      if (!fired->cancelled) invoke(fired->callback, fired->where);
    });
  });
  state->timer->arm_at(when);
  pending_timers_.insert(state);
  return Handle(state, this);
}

Handle Loop::call_at(double when, std::function<void()> callback, std::source_location where) {
  if (std::isnan(when)) throw std::invalid_argument("call_at: the time is NaN");
  auto since_epoch = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(when));
  return call_at(TimePoint(since_epoch), std::move(callback), where);
}

Handle Loop::call_later(Duration delay, std::function<void()> callback, std::source_location where) {
  return call_at(scheduler_.now() + delay, std::move(callback), where);
}

void Loop::call_soon_threadsafe(std::function<void()> callback, std::source_location where) {
  scheduler_.post([this, callback = std::move(callback), where] { invoke(callback, where); });
}

void Handle::cancel() {
  if (state_->cancelled) return;
  state_->cancelled = true;
  if (state_->timer) {
    state_->timer->cancel();
    loop_->pending_timers_.erase(state_);
  }
}

}  // namespace spindle
