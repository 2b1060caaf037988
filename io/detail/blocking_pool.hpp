// The blocking-call pool: where io/ runs syscalls that have no non-blocking form (file reads and
// writes, open, fsync) without stalling the loop.
//
// Why a private pool and owned state. io/ may not use compat's executors, and the calls are tiny, so
// a handful of threads (libuv's default of 4) with one queue is enough. The fiber that asks parks
// on a shared `BlockingCallState`; the pool thread runs the work and hands completion back with a
// PendingPost, which also tells a virtual-clock scheduler to wait for it rather than call it a
// deadlock. A cancelled fiber returns at once and the work finishes unobserved, so the work must
// own everything it touches: its buffers live in the state (never in the fiber's frame) and the
// descriptor it uses is kept open by a shared reference. Nothing the pool thread writes can then be
// a dead fiber's memory.
//
// Pool threads block every signal, so signals meant for a SignalSet never land on them.
#pragma once

#include <spindle/fibers/detail/unique_function.hpp>
#include <spindle/fibers/park.hpp>
#include <spindle/fibers/remote_scheduler.hpp>

#include <memory>
#include <optional>
#include <utility>

namespace spindle::detail {

// Queues `job` for a pool thread (starting one if all are busy and there are fewer than four).
// Thread-safe, never blocks for long.
void submit_blocking(UniqueFunction job);
// Blocks the calling thread until no job is queued or running. For tests that must see a cancelled
// call's resources released.
void wait_for_blocking_pool_idle();

template <class Result>
struct BlockingCallState {
  explicit BlockingCallState(RemoteScheduler scheduler) : completion(std::move(scheduler)) {}
  std::optional<Result> result;  // written by the pool thread, read after `done`
  PendingPost completion;
  Waker waiter;  // cleared by the fiber when it stops waiting
  bool done = false;
};

// Runs `work()` (returning Result, owning all it uses) on the pool and parks the calling fiber until
// it has run; returns its result. A cancellation point: on CancelledError the work still runs to
// the end, and its result is dropped. Throws FiberError outside a fiber (or without a scheduler).
template <class Result, class Work>
Result run_blocking(const char* reason, Work work) {
  Waker waiter = Waker::current();  // FiberError outside a fiber, before anything is queued
  auto state = std::make_shared<BlockingCallState<Result>>(RemoteScheduler::current());
  state->waiter = waiter;
  submit_blocking([state, work = std::move(work)]() mutable {
    {
      // What the work holds (a descriptor reference) is released before the fiber can resume.
      Work running = std::move(work);
      state->result.emplace(running());
    }
    auto* raw = state.get();
    raw->completion.send([state = std::move(state)] {
      state->done = true;
      if (state->waiter) state->waiter.unpark();
    });
  });
  struct StopWaiting {
    BlockingCallState<Result>& state;
    ~StopWaiting() { state.waiter = {}; }
  } stop_waiting{*state};
  while (!state->done) park(reason);
  return std::move(*state->result);
}

}  // namespace spindle::detail
