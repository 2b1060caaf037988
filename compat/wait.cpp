#include <spindle/compat/wait.hpp>

#include <unordered_map>

namespace spindle::detail {

std::vector<std::size_t> wait_children(const std::vector<FutureCore*>& children, std::optional<TimePoint> deadline,
                                       ReturnWhen return_when) {
  std::unordered_map<FutureCore*, std::size_t> index_of;
  CompletionSignal signal;
  for (std::size_t i = 0; i < children.size(); ++i) {
    index_of.emplace(children[i], i);
    signal.observe(*children[i]);
  }
  std::vector<std::size_t> completed;
  while (FutureCore* child = signal.next_completed(deadline)) {
    completed.push_back(index_of.at(child));
    if (return_when == ReturnWhen::first_completed) break;
    if (return_when == ReturnWhen::first_exception && child->done() && !child->cancelled() &&
        child->has_exception()) {
      break;
    }
  }
  // Futures that completed meanwhile but were not collected yet also count as done.
  while (FutureCore* child = signal.next_completed(now())) completed.push_back(index_of.at(child));
  return completed;
}

void wait_out(FutureCore& child) {
  std::exception_ptr cancelled_meanwhile;
  while (!child.done()) {
    try {
      child.wait();
    } catch (const CancelledError&) {
      cancelled_meanwhile = std::current_exception();
    }
  }
  if (cancelled_meanwhile) std::rethrow_exception(cancelled_meanwhile);
}

}  // namespace spindle::detail
