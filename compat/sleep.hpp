// sleep(delay): asyncio.sleep for fibers.
#pragma once

#include <spindle/fibers/this_fiber.hpp>

#include <utility>

namespace spindle {

// Parks the calling fiber for `delay` on its loop's clock; zero or negative is a plain yield, as
// sleep(0) is in asyncio. A cancellation point. Throws FiberError outside a fiber.
inline void sleep(Duration delay) { this_fiber::sleep_for(delay); }

// asyncio.sleep(delay, result): sleeps, then returns `result`.
template <class T>
T sleep(Duration delay, T result) {
  this_fiber::sleep_for(delay);
  return result;
}

}  // namespace spindle
