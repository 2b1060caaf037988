// The one question every hook asks first: should this call cooperate, or go straight to libc?
//
// It must be cheap, because the answer is "straight to libc" for every call made outside a fiber
// (the benchmark holds a plain-file read outside a fiber within 5% of libc's): one relaxed load of
// the process-wide switch, then the runtime's thread-local "running fiber". Only inside a fiber is
// the per-fiber opt-out consulted, and only while some UnpatchedScope exists.
#pragma once

#include <spindle/fibers/this_fiber.hpp>

#include <atomic>

namespace spindle::detail::hooks {

inline std::atomic<bool> patched{true};
inline std::atomic<int> unpatched_scopes{0};

// Whether fiber `id` is inside an UnpatchedScope (slow path: a lock and a lookup).
bool fiber_opted_out(FiberId id) noexcept;

inline bool cooperative() noexcept {
  if (!patched.load(std::memory_order_relaxed)) return false;
  FiberId fiber = this_fiber::id();
  if (fiber == 0) [[likely]] return false;
  return unpatched_scopes.load(std::memory_order_relaxed) == 0 || !fiber_opted_out(fiber);
}

}  // namespace spindle::detail::hooks
