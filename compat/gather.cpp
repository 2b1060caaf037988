#include <spindle/compat/gather.hpp>

namespace spindle::detail {

void wait_for_children(const std::vector<FutureCore*>& children, bool stop_at_first_failure) {
  // Woken only when there is something to act on: the first failure (when it stops there) or the
  // end. The children outlive the signal: the caller holds them.
  CompletionSignal signal(stop_at_first_failure ? CompletionSignal::Wake::failure_or_last
                                                : CompletionSignal::Wake::last);
  signal.reserve(children.size());
  for (FutureCore* child : children) signal.observe_held(*child);
  FutureCore* failed;
  try {
    failed = signal.wait_all();
  } catch (const CancelledError&) {
    // The gathering fiber itself was cancelled: so is every child still running. The outcomes of
    // those already done count as retrieved by the gather, as in asyncio.
    for (FutureCore* child : children) {
      if (child->done()) {
        (void)child->outcome_error();
      } else {
        child->cancel({});
      }
    }
    throw;
  }
  // The failure propagates, and so counts as retrieved. The other outcomes reach the caller through
  // the results (gather) or the outcomes (gather_outcomes), which retrieve them there.
  if (failed != nullptr && stop_at_first_failure) std::rethrow_exception(failed->outcome_error());
}

}  // namespace spindle::detail
