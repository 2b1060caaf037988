// Deadline: when a blocking io/ call gives up, spelled as a timeout, a time point, or nothing.
//
//   stream.read_until("\r\n", 5s);           // TimeoutError after five seconds
//   stream.read_exactly(header, deadline);   // an absolute TimePoint shared by several calls
//   stream.write_all(reply);                 // no deadline (the fiber may still be cancelled)
//
// A duration is turned into a time point when the Deadline is made, on the calling scheduler's
// clock (virtual or real), so a timeout covers the whole call however many waits it takes.
#pragma once

#include <spindle/fibers/clock.hpp>

#include <chrono>
#include <optional>

namespace spindle {

class Deadline {
 public:
  // No deadline.
  constexpr Deadline() noexcept = default;
  constexpr Deadline(std::nullopt_t) noexcept {}
  Deadline(TimePoint when) noexcept : when_(when) {}
  Deadline(std::optional<TimePoint> when) noexcept : when_(when) {}
  // `timeout` from now on the calling thread's scheduler clock; nullopt for none.
  template <class Rep, class Period>
  Deadline(std::chrono::duration<Rep, Period> timeout) noexcept
      : when_(now() + std::chrono::ceil<Duration>(timeout)) {}
  Deadline(std::optional<Duration> timeout) noexcept {
    if (timeout) when_ = now() + *timeout;
  }

  std::optional<TimePoint> when() const noexcept { return when_; }
  explicit operator bool() const noexcept { return when_.has_value(); }

  // The earlier of two deadlines (no deadline is the latest of all).
  friend Deadline earliest(Deadline a, Deadline b) noexcept {
    if (!a.when_) return b;
    if (!b.when_) return a;
    return *a.when_ < *b.when_ ? a : b;
  }

 private:
  std::optional<TimePoint> when_;
};

}  // namespace spindle
