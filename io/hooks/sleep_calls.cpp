// Interposers for sleep, usleep, nanosleep and clock_nanosleep: in a fiber they are
// this_fiber::sleep_for on the scheduler's clock (virtual in tests). A cancelled fiber's sleep
// ends early with ECANCELED (sleep() returns the seconds left), and the cancellation stays pending.
#include <spindle/io/hooks/detail/blocking_call.hpp>
#include <spindle/io/hooks/detail/gate.hpp>
#include <spindle/io/hooks/detail/real_calls.hpp>

#include <spindle/fibers/clock.hpp>

#include <unistd.h>

#include <chrono>

using namespace spindle::detail::hooks;

namespace {

spindle::Duration span_of(const timespec& span) noexcept {
  return std::chrono::seconds(span.tv_sec) + std::chrono::nanoseconds(span.tv_nsec);
}

bool valid(const timespec* span) noexcept {
  return span != nullptr && span->tv_nsec >= 0 && span->tv_nsec < 1'000'000'000L && span->tv_sec >= 0;
}

// Sleeps for `delay`; on cancellation writes the time left to `left` (if given) and returns ECANCELED.
int sleep_for(spindle::Duration delay, timespec* left) noexcept {
  spindle::TimePoint until = spindle::now() + delay;
  int error = sleep_cooperatively(delay);
  if (error != 0 && left != nullptr) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                  std::max(spindle::Duration::zero(), until - spindle::now())).count();
    *left = timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  }
  return error;
}

}  // namespace

extern "C" {

unsigned int sleep(unsigned int seconds) {
  if (!cooperative()) return real().sleep(seconds);
  timespec left{};
  if (sleep_for(std::chrono::seconds(seconds), &left) != 0) {
    return static_cast<unsigned int>(left.tv_sec + (left.tv_nsec > 0 ? 1 : 0));
  }
  return 0;
}

int usleep(useconds_t microseconds) {
  if (!cooperative()) return real().usleep(microseconds);
  if (int error = sleep_for(std::chrono::microseconds(microseconds), nullptr); error != 0) {
    errno = error;
    return -1;
  }
  return 0;
}

int nanosleep(const timespec* span, timespec* left) {
  if (!valid(span) || !cooperative()) return real().nanosleep(span, left);
  if (int error = sleep_for(span_of(*span), left); error != 0) {
    errno = error;
    return -1;
  }
  return 0;
}

// Returns an error number instead of setting errno, as POSIX specifies.
int clock_nanosleep(clockid_t clock, int flags, const timespec* span, timespec* left) {
  if (!valid(span) || !cooperative()) return real().clock_nanosleep(clock, flags, span, left);
  spindle::Duration delay = span_of(*span);
  if (flags & TIMER_ABSTIME) {
    timespec clock_now{};
    if (::clock_gettime(clock, &clock_now) != 0) return errno;
    delay -= span_of(clock_now);
    left = nullptr;  // an absolute sleep reports no remainder
  }
  return sleep_for(delay, left);
}

}  // extern "C"
