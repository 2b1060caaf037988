// to_thread: call a blocking function from a fiber without blocking its loop (asyncio.to_thread).
#pragma once

#include <spindle/compat/loop.hpp>

#include <type_traits>
#include <utility>

namespace spindle {

// Runs fn(args...) on the calling loop's default thread pool (Loop::default_executor) and parks the
// calling fiber until it is done; returns its value or rethrows its exception. A cancellation
// point: cancelling the fiber stops the wait, not the function, which runs to completion on its
// thread (its result is dropped). Call from a fiber on a Loop's thread; throws InvalidStateError
// without a Loop.
template <class Fn, class... Args>
auto to_thread(Fn&& fn, Args&&... args) {
  auto future = Loop::current().default_executor().submit(std::forward<Fn>(fn), std::forward<Args>(args)...);
  try {
    if constexpr (std::is_void_v<decltype(future.result())>) {
      future.result();
    } else {
      return std::remove_cvref_t<decltype(future.result())>(future.result());
    }
  } catch (const CancelledError&) {
    future.cancel("to_thread: the waiting fiber was cancelled");
    throw;
  }
}

}  // namespace spindle
