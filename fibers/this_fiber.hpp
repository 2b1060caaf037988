// The calling fiber: yield, sleep, identity.
#pragma once

#include <spindle/fibers/clock.hpp>
#include <spindle/fibers/join_handle.hpp>

#include <string>

namespace spindle::detail {
void yield_current();
}

namespace spindle::this_fiber {

// Lets every other ready fiber run once, then continues (asyncio's `await sleep(0)`). A cancellation
// point: throws CancelledError if the fiber was cancelled. Throws FiberError outside a fiber.
inline void yield() { detail::yield_current(); }

// Parks the fiber for `delay` (until `deadline`) on its scheduler's clock. A delay of zero or less
// is yield(). Cancellation point. Throws FiberError outside a fiber.
void sleep_for(Duration delay);
void sleep_until(TimePoint deadline);

// Throws CancelledError if a cancellation is pending, without yielding. No-op outside a fiber.
void checkpoint();

// The calling fiber's id, or 0 outside a fiber. Never blocks.
FiberId id() noexcept;
// Its name ("fiber#<id>" when spawned without one), or "" outside a fiber.
std::string name();
// Renames the calling fiber. Throws FiberError outside a fiber.
void set_name(std::string name);

}  // namespace spindle::this_fiber
