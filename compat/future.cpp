#include <spindle/compat/future.hpp>

#include <spindle/fibers/detail/fiber.hpp>
#include <spindle/fibers/diagnostics.hpp>

#include <algorithm>

namespace spindle::detail {
namespace {

Scheduler& loop_of_this_thread() {
  Scheduler* loop = Scheduler::current();
  if (loop == nullptr) throw FiberError("spindle: a Future needs a scheduler (loop) on this thread");
  return *loop;
}

}  // namespace

FutureCore::FutureCore() : loop_(&loop_of_this_thread()) {}

FutureCore::~FutureCore() {
  if (status_ == Status::finished && error_ && !outcome_retrieved_) {
    emit_diagnostic("spindle: exception in " + (description.empty() ? std::string("a Future") : description) +
                    " was never retrieved: " + describe_exception(error_));
  }
}

void FutureCore::wait() {
  while (!done()) waiters_.wait("future");
}

std::exception_ptr FutureCore::exception() {
  wait();
  if (status_ == Status::cancelled) throw CancelledError(cancel_message_);
  outcome_retrieved_ = true;
  return error_;
}

void FutureCore::rethrow_if_failed() {
  if (std::exception_ptr error = exception()) std::rethrow_exception(error);
}

void FutureCore::require_pending(const char* operation) const {
  if (done()) {
    throw InvalidStateError(std::string(operation) + ": the future is already " +
                            (cancelled() ? "cancelled" : "done"));
  }
}

void FutureCore::finish(std::exception_ptr error) {
  status_ = Status::finished;
  error_ = std::move(error);
  complete();
}

void FutureCore::finish_cancelled(std::string message) {
  status_ = Status::cancelled;
  cancel_message_ = std::move(message);
  complete();
}

void FutureCore::complete() {
  on_finish();
  waiters_.wake_all();
  for (CompletionSignal* signal : signals_) signal->notify(*this);
  schedule_callbacks();
}

std::exception_ptr FutureCore::outcome_error() {
  outcome_retrieved_ = true;
  if (status_ == Status::cancelled) return std::make_exception_ptr(CancelledError(cancel_message_));
  return error_;
}

CompletionSignal::~CompletionSignal() {
  for (auto& future : observed_) std::erase(future->signals_, this);
}

void CompletionSignal::observe(FutureCore& future) {
  observed_.push_back(future.shared_from_this());
  future.signals_.push_back(this);
  if (future.done()) completed_.push_back(&future);
}

FutureCore* CompletionSignal::next_completed(std::optional<TimePoint> deadline) {
  if (returned_ == observed_.size()) return nullptr;
  while (returned_ == completed_.size()) {
    if (waiter_.wait("any of several futures", deadline) == WakeStatus::timed_out && returned_ == completed_.size()) {
      timed_out_ = true;
      return nullptr;
    }
  }
  return completed_[returned_++];
}

void CompletionSignal::cancel_all() {
  for (auto& future : observed_) future->cancel({});
}

void CompletionSignal::notify(FutureCore& future) noexcept {
  completed_.push_back(&future);
  waiter_.wake_one();
  if (on_complete_) {
    try {
      on_complete_(future);
    } catch (...) {
      emit_diagnostic("spindle: a completion hook threw " + describe_exception(std::current_exception()));
    }
  }
}

bool FutureCore::cancel(std::string message) {
  if (done()) return false;
  finish_cancelled(std::move(message));
  return true;
}

CallbackId FutureCore::add_callback(std::function<void()> callback) {
  CallbackId id = next_callback_id_++;
  callbacks_.emplace_back(id, std::move(callback));
  if (done()) post_callback(id);
  return id;
}

std::size_t FutureCore::remove_callback(CallbackId id) {
  return std::erase_if(callbacks_, [id](const auto& entry) { return entry.first == id; });
}

void FutureCore::schedule_callbacks() {
  for (const auto& entry : callbacks_) post_callback(entry.first);
}

void FutureCore::post_callback(CallbackId id) {
  // Each callback is posted on its own, in order, so remove_done_callback works until the moment it
  // runs; the state stays alive until the last one has run.
  loop_->post([self = shared_from_this(), id] {
    auto found = std::find_if(self->callbacks_.begin(), self->callbacks_.end(),
                              [id](const auto& entry) { return entry.first == id; });
    if (found == self->callbacks_.end()) return;
    auto callback = std::move(found->second);
    self->callbacks_.erase(found);
    callback();
  });
}

}  // namespace spindle::detail
