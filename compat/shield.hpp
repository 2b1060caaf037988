// shield(task): wait for a task without letting a cancellation reach it (asyncio.shield).
//
// Waiting never cancels in spindle by itself; cancellation reaches a task when a combinator passes
// it on (gather, wait_for, TaskGroup) or someone calls cancel(). shield returns a separate Future
// that follows the task's outcome: cancel that one, or hand it to wait_for, and the task itself
// keeps running.
#pragma once

#include <spindle/compat/future.hpp>

namespace spindle {

template <class T>
Future<T> shield(Future<T> inner) {
  Future<T> outer;
  inner.add_done_callback([outer](const Future<T>& done) mutable {
    if (outer.done()) return;  // the outer one was cancelled meanwhile
    detail::visit_outcome(
        done, [&] { outer.cancel("the shielded task was cancelled"); },
        [&](std::exception_ptr error) { outer.set_exception(std::move(error)); },
        [&](const auto&... value) { outer.set_result(value...); });
  });
  return outer;
}

}  // namespace spindle
