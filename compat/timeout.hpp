// Timeout scopes: a deadline for a block of code (asyncio.timeout / timeout_at).
//
//   int value = timeout(2s, [&] { return slow_lookup(); });          // throws TimeoutError after 2 s
//   timeout_at(deadline, [&](Timeout& scope) { ...; scope.reschedule(later); });
//
// asyncio writes `async with timeout(2):`; a C++ destructor cannot turn one exception into another,
// so the scope takes the block as a callable. When the deadline passes, a timer cancels the calling
// fiber (through its task, if it runs one, so cancelling() counts it) with a message unique to the
// scope; if that CancelledError leaves the block, the scope turns it into TimeoutError. Scopes nest:
// only the scope that expired converts, so an outer deadline passes through an inner scope as a
// cancellation. A cancellation from anyone else passes through unchanged. If the deadline passes
// as the block finishes without reaching another blocking point, the undelivered cancellation is
// withdrawn and the block's value returned.
#pragma once

#include <spindle/compat/errors.hpp>
#include <spindle/compat/task.hpp>
#include <spindle/fibers/clock.hpp>
#include <spindle/fibers/timer.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace spindle {

// The scope's handle, passed to blocks that take a `Timeout&`. Valid only inside the block.
class Timeout {
 public:
  // The deadline, or nullopt for none.
  std::optional<TimePoint> when() const noexcept { return when_; }
  // Moves the deadline (nullopt: no deadline). A deadline in the past expires at the next poll step.
  // Throws InvalidStateError once the scope has expired.
  void reschedule(std::optional<TimePoint> when);
  // Whether the deadline passed (and the block was cancelled).
  bool expired() const noexcept { return expired_; }

  explicit Timeout(std::optional<TimePoint> when);
  ~Timeout();
  Timeout(const Timeout&) = delete;
  Timeout& operator=(const Timeout&) = delete;

  // For timeout_at: after the block threw `cancelled`, the exception to throw instead, if any.
  bool owns(const CancelledError& cancelled) const noexcept { return expired_ && cancelled.message() == token_; }
  // For timeout_at: after the block returned, drops a cancellation this scope requested but that
  // never reached a blocking point.
  void withdraw() noexcept;

 private:
  void expire();

  std::optional<TimePoint> when_;
  bool expired_ = false;
  std::string token_;
  detail::FiberBase* fiber_;
  std::optional<TaskRef> task_;
  Timer timer_;
};

// Runs `block` (taking no argument or a Timeout&) with the deadline `when`; nullopt means none.
// Returns the block's value; throws TimeoutError if the deadline cancelled it, and passes every other
// exception through. Call from a fiber.
template <class Fn>
auto timeout_at(std::optional<TimePoint> when, Fn&& block) {
  Timeout scope(when);
  auto run = [&]() -> decltype(auto) {
    if constexpr (std::is_invocable_v<Fn&, Timeout&>) {
      return block(scope);
    } else {
      return block();
    }
  };
  try {
    if constexpr (std::is_void_v<decltype(run())>) {
      run();
      scope.withdraw();
    } else {
      auto value = run();
      scope.withdraw();
      return value;
    }
  } catch (const CancelledError& cancelled) {
    if (scope.owns(cancelled)) throw TimeoutError("timeout: the deadline passed");
    throw;
  }
}

template <class Fn>
auto timeout(std::optional<Duration> delay, Fn&& block) {
  return timeout_at(delay ? std::optional(now() + *delay) : std::nullopt, std::forward<Fn>(block));
}

}  // namespace spindle
