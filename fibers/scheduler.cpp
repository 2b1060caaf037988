#include <spindle/fibers/scheduler.hpp>

#include <spindle/fibers/detail/scheduler_core.hpp>
#include <spindle/fibers/errors.hpp>

namespace spindle {
namespace {
thread_local Scheduler* tls_public_scheduler = nullptr;
}

Scheduler::Scheduler(SchedulerOptions options) : core_(std::make_unique<detail::SchedulerCore>(options)) {
  tls_public_scheduler = this;
}

Scheduler::~Scheduler() {
  core_.reset();
  tls_public_scheduler = nullptr;
}

Scheduler* Scheduler::current() noexcept { return tls_public_scheduler; }

void Scheduler::drive(detail::FiberBase* main, bool then_cancel_the_rest) {
  core_->run(main);
  if (then_cancel_the_rest) core_->cancel_all_and_drain();
}

void Scheduler::run_all() { core_->run(nullptr); }

void Scheduler::post(detail::UniqueFunction work) { core_->post(std::move(work)); }

Scheduler::ExpectPost::ExpectPost(Scheduler& scheduler) : core_(scheduler.core_.get()) { core_->add_expected_post(); }
Scheduler::ExpectPost::~ExpectPost() { core_->drop_expected_post(); }

TimePoint Scheduler::now() const noexcept { return core_->now(); }
std::size_t Scheduler::live_fibers() const noexcept { return core_->live_fibers(); }
std::size_t Scheduler::armed_timers() const noexcept { return core_->timers().size(); }
std::size_t Scheduler::watched_fds() const noexcept { return core_->reactor().registered(); }
std::uint64_t Scheduler::switches() const noexcept { return core_->switches(); }
void Scheduler::dump(std::ostream& out) const { core_->dump(out); }

TimePoint now() noexcept {
  detail::SchedulerCore* scheduler = detail::SchedulerCore::current();
  return scheduler != nullptr ? scheduler->now() : Clock::now();
}

namespace detail {

SchedulerCore& scheduler_for_spawn() {
  SchedulerCore* scheduler = SchedulerCore::current();
  if (scheduler == nullptr) {
    throw FiberError("spindle::spawn: this thread has no scheduler; create a spindle::Scheduler first");
  }
  return *scheduler;
}

void spawn_on(SchedulerCore& scheduler, FiberBase* fiber) {
  if (SchedulerCore::current() != &scheduler) {
    delete fiber;
    throw FiberError("spindle::spawn: a scheduler spawns only on its own thread; post() the spawn to it");
  }
  scheduler.spawn(fiber);
}

void wait_for_end(FiberBase* fiber) {
  if (fiber->state == FiberState::done) return;
  if (fiber == SchedulerCore::running_fiber()) throw FiberError("spindle: fiber '" + fiber->display_name() + "' cannot join itself");
  if (fiber->scheduler != SchedulerCore::current()) {
    throw FiberError("spindle: fiber '" + fiber->display_name() + "' belongs to another thread's scheduler; join it there");
  }
  while (fiber->state != FiberState::done) fiber->joiners.wait("join");
}

bool cancel_fiber(FiberBase* fiber, std::string message) noexcept {
  return fiber->scheduler->cancel(fiber, std::move(message));
}

bool withdraw_cancel(FiberBase* fiber, std::string_view message) noexcept {
  if (!fiber->cancel_pending || fiber->cancel_message != message) return false;
  fiber->cancel_pending = false;
  fiber->cancel_message.clear();
  return true;
}

}  // namespace detail
}  // namespace spindle
