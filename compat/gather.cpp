#include <spindle/compat/gather.hpp>

namespace spindle::detail {

void wait_for_children(const std::vector<FutureCore*>& children, bool stop_at_first_failure) {
  CompletionSignal signal;
  for (FutureCore* child : children) signal.observe(*child);
  for (;;) {
    FutureCore* completed;
    try {
      completed = signal.next_completed();
    } catch (const CancelledError&) {
      // The gathering fiber itself was cancelled: so is every child still running.
      for (FutureCore* child : children) child->cancel({});
      throw;
    }
    if (completed == nullptr) return;
    // Every child's outcome counts as retrieved by the gather, as in asyncio.
    std::exception_ptr failure = completed->outcome_error();
    if (failure && stop_at_first_failure) std::rethrow_exception(failure);
  }
}

}  // namespace spindle::detail
