// Scheduler: one per thread; runs that thread's fibers, timers and descriptor waits.
#pragma once

#include <spindle/fibers/clock.hpp>
#include <spindle/fibers/detail/unique_function.hpp>
#include <spindle/fibers/join_handle.hpp>
#include <spindle/fibers/options.hpp>
#include <spindle/fibers/spawn.hpp>

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <utility>

namespace spindle {

namespace detail {
class SchedulerCore;
}

// Owns the calling thread's fibers. Create it, spawn or run fibers on it, and destroy it on the same
// thread; a thread holds at most one (constructing a second throws FiberError). Destruction cancels
// every fiber still alive and runs them until they have unwound, so their destructors run and their
// descriptors close; a fiber that ignores three cancellations is reported and its stack leaked.
class Scheduler {
 public:
  explicit Scheduler(SchedulerOptions options = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // The calling thread's scheduler, or nullptr.
  static Scheduler* current() noexcept;

  // As spindle::spawn, on this scheduler. Call on its thread.
  template <class Fn>
    requires std::is_invocable_v<std::decay_t<Fn>&>
  auto spawn(Fn&& fn, SpawnOptions options = {}) {
    return detail::spawn_on(*core_, std::forward<Fn>(fn), std::move(options));
  }

  // Runs `main` in a fiber named "main" and drives every fiber until main ends; then, like
  // asyncio.run, cancels the fibers still alive and runs them until they unwind. Returns main's
  // value or rethrows its exception. Blocks the calling thread; call on the scheduler's thread, not
  // from a fiber. Throws DeadlockError under the virtual clock if everything parks for good.
  template <class Fn>
  auto run(Fn&& main) {
    auto handle = spawn(std::forward<Fn>(main), SpawnOptions{.name = "main"});
    drive(handle.fiber_, /*then_cancel_the_rest=*/true);
    return handle.join();
  }

  // As run(), but leaves other fibers alive (parked or ready) for a later run.
  template <class Fn>
  auto run_until_complete(Fn&& main) {
    auto handle = spawn(std::forward<Fn>(main), SpawnOptions{.name = "main"});
    drive(handle.fiber_, /*then_cancel_the_rest=*/false);
    return handle.join();
  }

  // Drives fibers until none is left.
  void run_all();

  // Queues `work` to run on this scheduler's thread at its next poll step. Thread-safe: the one
  // entry point from other threads. `work` must not park (spawn a fiber from it for that) and runs
  // in posting order; what it throws is reported, not propagated. The scheduler must outlive the call.
  void post(detail::UniqueFunction work);

  // Under the virtual clock, a scheduler whose fibers are all parked raises DeadlockError unless
  // another thread has announced a post. Hold an ExpectPost while such a post may still come, and
  // no longer: while one is held, the virtual clock runs at real speed (waits up to the next
  // deadline in real time for the post before jumping), because the other thread works in real
  // time. Construct and destroy it on any thread.
  class ExpectPost {
   public:
    explicit ExpectPost(Scheduler& scheduler);
    ~ExpectPost();
    ExpectPost(const ExpectPost&) = delete;
    ExpectPost& operator=(const ExpectPost&) = delete;

   private:
    detail::SchedulerCore* core_;
  };

  TimePoint now() const noexcept;
  std::size_t live_fibers() const noexcept;
  std::size_t armed_timers() const noexcept;
  std::size_t watched_fds() const noexcept;
  // Context switches so far.
  std::uint64_t switches() const noexcept;
  // One line per live fiber: id, name, state, what it is parked on, time in that state.
  void dump(std::ostream& out) const;

  detail::SchedulerCore& core() noexcept { return *core_; }

 private:
  void drive(detail::FiberBase* main, bool then_cancel_the_rest);

  std::unique_ptr<detail::SchedulerCore> core_;
};

}  // namespace spindle
