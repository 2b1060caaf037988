// The one question every hook asks first: should this call cooperate, or go straight to libc?
//
// It must be cheap, because the answer is "straight to libc" for every call made outside a fiber
// (the benchmark holds a plain-file read outside a fiber within 5% of libc's): one relaxed load of
// the process-wide switch, then one load of the runtime's thread-local "running fiber", read
// directly rather than through a call into libspindle. Only inside a fiber is
// the per-fiber opt-out consulted, and only while some UnpatchedScope exists.
#pragma once

#include <spindle/fibers/detail/scheduler_core.hpp>
#include <spindle/fibers/join_handle.hpp>

#include <atomic>

namespace spindle::detail::hooks {

// Hidden: read with one PC-relative load, not through the GOT.
[[gnu::visibility("hidden")]] inline std::atomic<bool> patched{true};
[[gnu::visibility("hidden")]] inline std::atomic<int> unpatched_scopes{0};

// Whether fiber `id` is inside an UnpatchedScope (slow path: a lock and a lookup).
bool fiber_opted_out(FiberId id) noexcept;

inline bool cooperative() noexcept {
  if (!patched.load(std::memory_order_relaxed)) return false;
  FiberBase* fiber = tls_running;
  if (fiber == nullptr) [[likely]] return false;
  return unpatched_scopes.load(std::memory_order_relaxed) == 0 || !fiber_opted_out(fiber->id);
}

}  // namespace spindle::detail::hooks
