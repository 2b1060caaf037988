// spawn: start a fiber on the calling thread's scheduler.
#pragma once

#include <spindle/fibers/detail/fiber.hpp>
#include <spindle/fibers/join_handle.hpp>
#include <spindle/fibers/options.hpp>

#include <functional>
#include <type_traits>
#include <utility>

namespace spindle {

namespace detail {
class SchedulerCore;
SchedulerCore& scheduler_for_spawn();
void spawn_on(SchedulerCore& scheduler, FiberBase* fiber);

template <class Fn>
auto spawn_on(SchedulerCore& scheduler, Fn&& fn, SpawnOptions options) {
  using Callable = std::decay_t<Fn>;
  using Result = std::invoke_result_t<Callable&>;
  static_assert(!std::is_reference_v<Result>,
                "spindle::spawn: a fiber cannot return a reference; return a value or std::reference_wrapper");
  auto* fiber = new FiberImpl<Callable, Result>(std::forward<Fn>(fn), std::move(options.name),
                                                options.stack_size, options.spawned_at);
  fiber->refs = 2;  // the scheduler's until the fiber ends, and the handle's
  spawn_on(scheduler, fiber);
  return JoinHandle<Result>(fiber);
}
}  // namespace detail

// Queues `fn` to run in a new fiber on the calling thread's scheduler, behind the fibers already
// ready; never blocks and never switches. The fiber gets its stack when it first runs. Throws
// FiberError if the thread has no scheduler, std::bad_alloc when out of memory.
template <class Fn>
  requires std::is_invocable_v<std::decay_t<Fn>&>
auto spawn(Fn&& fn, SpawnOptions options = {}) {
  return detail::spawn_on(detail::scheduler_for_spawn(), std::forward<Fn>(fn), std::move(options));
}

}  // namespace spindle
