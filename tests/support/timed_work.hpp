// Test support: callables that finish after a delay, for the combinator tests (compat_*).
#pragma once

#include <spindle/fibers/this_fiber.hpp>

#include <stdexcept>

namespace spindle::test {

// Sleeps `delay`, then returns `value`.
inline auto returns_after(Duration delay, int value) {
  return [delay, value] {
    this_fiber::sleep_for(delay);
    return value;
  };
}

// Sleeps `delay`, then throws std::runtime_error(what).
inline auto fails_after(Duration delay, const char* what = "failed") {
  return [delay, what]() -> int {
    this_fiber::sleep_for(delay);
    throw std::runtime_error(what);
  };
}

}  // namespace spindle::test
