#include <spindle/fibers/detail/stall_watchdog.hpp>

#include <spindle/fibers/diagnostics.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace spindle::detail {

StallWatchdog::StallWatchdog(std::chrono::milliseconds threshold)
    : threshold_(threshold), thread_([this] { watch(); }) {}

StallWatchdog::~StallWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void StallWatchdog::resumed(std::uint64_t fiber_id, std::string_view name) noexcept {
  std::lock_guard lock(mutex_);
  running_ = true;
  reported_ = false;
  fiber_id_ = fiber_id;
  std::size_t length = std::min(name.size(), sizeof name_ - 1);
  std::memcpy(name_, name.data(), length);
  name_[length] = '\0';
  since_ = Clock::now();
}

void StallWatchdog::idle() noexcept {
  std::lock_guard lock(mutex_);
  running_ = false;
}

bool StallWatchdog::reported_current_run() noexcept {
  std::lock_guard lock(mutex_);
  return reported_;
}

void StallWatchdog::watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, threshold_ / 2);
    if (stopping_ || !running_ || reported_) continue;
    auto ran = Clock::now() - since_;
    if (ran < threshold_) continue;
    reported_ = true;
    char name[sizeof name_ + 24];
    if (name_[0] == '\0') {
      std::snprintf(name, sizeof name, "fiber#%llu", static_cast<unsigned long long>(fiber_id_));
    } else {
      std::snprintf(name, sizeof name, "%s", name_);
    }
    char text[320];
    std::snprintf(text, sizeof text,
                  "spindle: fiber '%s' has run %.0f ms without yielding and still holds its thread "
                  "(stall threshold %lld ms); every other fiber on that thread is waiting",
                  name,
                  std::chrono::duration<double, std::milli>(ran).count(),
                  static_cast<long long>(threshold_.count()));
    lock.unlock();
    emit_diagnostic(text);
    lock.lock();
  }
}

}  // namespace spindle::detail
