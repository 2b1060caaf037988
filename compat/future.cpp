#include <spindle/compat/future.hpp>

#include <spindle/fibers/detail/fiber.hpp>
#include <spindle/fibers/diagnostics.hpp>

#include <algorithm>
#include <utility>

namespace spindle::detail {
namespace {

Scheduler& loop_of_this_thread() {
  Scheduler* loop = Scheduler::current();
  if (loop == nullptr) throw FiberError("spindle: a Future needs a scheduler (loop) on this thread");
  return *loop;
}

}  // namespace

FutureCore::FutureCore() : loop_(&loop_of_this_thread()) {}

FutureCore::Rare& FutureCore::rare() {
  if (rare_ == nullptr) rare_ = std::make_unique<Rare>();
  return *rare_;
}

FutureCore::~FutureCore() {
  if (exception_unretrieved()) report_unretrieved("a Future");
}

void FutureCore::report_unretrieved(const std::string& what) noexcept {
  outcome_retrieved_ = true;
  try {
    emit_diagnostic("spindle: exception in " + what + " was never retrieved: " + describe_exception(error_));
  } catch (...) {
    // Out of memory while building the report: nothing better to do from a destructor.
  }
}

void FutureCore::wait() {
  while (!done()) waiters_.wait("future");
}

std::exception_ptr FutureCore::exception() {
  wait();
  if (status_ == Status::cancelled) throw CancelledError(rare_->cancel_message);
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
  rare().cancel_message = std::move(message);
  status_ = Status::cancelled;
  complete();
}

void FutureCore::complete() {
  on_finish();
  if (rare_ == nullptr || rare_->callbacks.empty()) {
    release_waiters();
    return;
  }
  // asyncio wakes an awaiting task through a done callback of its own, added when it started to
  // wait, so the callbacks added before run first. Here waiters park instead; to keep asyncio's
  // order they are released by one more posted item, queued behind the callbacks.
  schedule_callbacks();
  loop_->post([self = shared_from_this()] { self->release_waiters(); });
}

void FutureCore::release_waiters() {
  waiters_.wake_all();
  // A done future never notifies again, so it leaves its signals now: a signal whose futures have
  // all completed need not visit them again when it goes.
  if (CompletionSignal* signal = std::exchange(signal_, nullptr)) signal->notify(*this);
  if (rare_ != nullptr) {
    for (CompletionSignal* signal : std::exchange(rare_->more_signals, {})) signal->notify(*this);
  }
}

std::exception_ptr FutureCore::outcome_error() {
  outcome_retrieved_ = true;
  if (status_ == Status::cancelled) return std::make_exception_ptr(CancelledError(rare_->cancel_message));
  return error_;
}

CompletionSignal::~CompletionSignal() {
  if (completed_.size() == observed_.size()) return;  // each completed future left on its own
  // Not by done(): a future that completed may still hold its signals until its callbacks ran.
  for (FutureCore* future : observed_) {
    if (future->signal_ == this) {
      future->signal_ = nullptr;
    } else if (future->rare_ != nullptr) {
      std::erase(future->rare_->more_signals, this);
    }
  }
}

void CompletionSignal::reserve(std::size_t count) {
  observed_.reserve(count);
  completed_.reserve(count);
}

void CompletionSignal::observe(FutureCore& future) {
  held_.push_back(future.shared_from_this());
  observe_held(future);
}

void CompletionSignal::observe_held(FutureCore& future) {
  observed_.push_back(&future);
  if (!future.done()) {
    register_with(future);
    return;
  }
  completed_.push_back(&future);
  if (first_failure_ == nullptr && failed(future)) first_failure_ = &future;
}

void CompletionSignal::register_with(FutureCore& future) {
  if (future.signal_ == nullptr) {
    future.signal_ = this;
  } else {
    future.rare().more_signals.push_back(this);
  }
}

bool CompletionSignal::failed(const FutureCore& future) noexcept {
  return future.cancelled() || future.has_exception();
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

FutureCore* CompletionSignal::wait_all() {
  while (completed_.size() < observed_.size() && (first_failure_ == nullptr || wake_ == Wake::last)) {
    waiter_.wait("all of several futures");
  }
  return first_failure_;
}

void CompletionSignal::cancel_all() {
  for (FutureCore* future : observed_) future->cancel({});
}

void CompletionSignal::notify(FutureCore& future) noexcept {
  completed_.push_back(&future);
  const bool last = completed_.size() == observed_.size();
  const bool failure = failed(future);
  if (failure && first_failure_ == nullptr) first_failure_ = &future;
  if (wake_ == Wake::each || last || (wake_ == Wake::failure_or_last && failure)) waiter_.wake_one();
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
  Rare& rare = this->rare();
  CallbackId id = rare.next_callback_id++;
  rare.callbacks.emplace_back(id, std::move(callback));
  if (done()) post_callback(id);
  return id;
}

std::size_t FutureCore::remove_callback(CallbackId id) {
  if (rare_ == nullptr) return 0;
  return std::erase_if(rare_->callbacks, [id](const auto& entry) { return entry.first == id; });
}

void FutureCore::schedule_callbacks() {
  for (const auto& entry : rare_->callbacks) post_callback(entry.first);
}

void FutureCore::post_callback(CallbackId id) {
  // Each callback is posted on its own, in order, so remove_done_callback works until the moment it
  // runs; the state stays alive until the last one has run.
  loop_->post([self = shared_from_this(), id] {
    auto& callbacks = self->rare_->callbacks;
    auto found =
        std::find_if(callbacks.begin(), callbacks.end(), [id](const auto& entry) { return entry.first == id; });
    if (found == callbacks.end()) return;
    auto callback = std::move(found->second);
    callbacks.erase(found);
    callback();
  });
}

}  // namespace spindle::detail
