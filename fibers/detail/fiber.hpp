// The fiber control block, shared by the scheduler, JoinHandles and Wakers.
//
// One allocation per spawn holds the callable, the result slot and all scheduling state; the stack
// is attached only when the fiber first runs, so a million spawned-but-not-started fibers cost no
// stack memory and a spawn+complete loop keeps reusing one warm stack. The control block is
// reference counted without atomics: it belongs to one scheduler's thread (the scheduler holds one
// reference until the fiber ends, each JoinHandle one more).
#pragma once

#include <spindle/fibers/clock.hpp>
#include <spindle/fibers/errors.hpp>
#include <spindle/fibers/detail/stack_pool.hpp>
#include <spindle/fibers/detail/timer_heap.hpp>
#include <spindle/fibers/wait_list.hpp>

#include <boost/context/fiber.hpp>

#include <cstdint>
#include <exception>
#include <optional>
#include <source_location>
#include <string>
#include <utility>

namespace spindle::detail {

class SchedulerCore;

enum class FiberState : std::uint8_t { ready, running, parked, done };
enum class WakeReason : std::uint8_t { none, unparked, timed_out, failed, cancelled };

// The per-thread exception-handling state of the C++ ABI (Itanium ABI __cxa_eh_globals). Every
// fiber keeps its own: without this, a fiber parked inside a catch block would see another fiber's
// exception on `throw;`.
struct ExceptionGlobals {
  void* caught_exceptions = nullptr;
  unsigned int uncaught_exceptions = 0;
};

struct FiberBase {
  FiberBase(std::string name, std::size_t stack_size, std::source_location spawned_at);
  virtual ~FiberBase();
  FiberBase(const FiberBase&) = delete;
  FiberBase& operator=(const FiberBase&) = delete;

  // Control blocks come from a per-thread free list: with thousands of fibers alive, glibc's
  // malloc leaves its fast path and costs a third of a spawn (measured with callgrind).
  static void* operator new(std::size_t size);
  static void operator delete(void* block, std::size_t size) noexcept;

  // Runs the callable and stores its value, or its exception in `failure`. Destroys the callable
  // before returning, so captured resources are released when the fiber ends, not when the last
  // handle goes away.
  virtual void run() noexcept = 0;

  // Name for messages: the given name, or "fiber#<id>".
  std::string display_name() const;

  // Scheduling links.
  FiberBase* next_ready = nullptr;
  FiberBase* prev_live = nullptr;
  FiberBase* next_live = nullptr;

  boost::context::fiber context;  // where to resume it; empty while running or before first run
  SchedulerCore* scheduler = nullptr;
  std::uint64_t id = 0;
  std::uint32_t refs = 1;
  FiberState state = FiberState::ready;
  WakeReason wake = WakeReason::none;
  bool cancel_pending = false;
  bool outcome_observed = false;

  std::size_t stack_size;  // requested usable bytes, 0 = scheduler default
  StackSlot stack;         // set when the fiber first runs
  std::string name;
  std::source_location spawned_at;
  std::string cancel_message;
  const char* park_reason = nullptr;
  TimePoint state_since{};
  TimerNode park_timer;
  std::exception_ptr wake_error;  // from unpark_with_error, rethrown by park()
  std::exception_ptr failure;     // the exception that ended the fiber
  WaitList joiners;
};

// Drops one reference; the last one reports an exception nobody retrieved, then frees the block.
void release(FiberBase* fiber) noexcept;
// Whether `error` holds a CancelledError.
bool is_cancellation(const std::exception_ptr& error);
// "TypeName: message" for an exception, for reports.
std::string describe_exception(const std::exception_ptr& error);
// Control blocks alive in this process (spawned and not yet freed), for leak checks.
std::size_t live_fiber_blocks() noexcept;

template <class T>
struct FiberWithResult : FiberBase {
  using FiberBase::FiberBase;
  std::optional<T> value;
};

template <>
struct FiberWithResult<void> : FiberBase {
  using FiberBase::FiberBase;
};

template <class Fn, class T>
struct FiberImpl final : FiberWithResult<T> {
  FiberImpl(Fn&& fn, std::string name, std::size_t stack_size, std::source_location at)
      : FiberWithResult<T>(std::move(name), stack_size, at), callable(std::move(fn)) {}
  FiberImpl(const Fn& fn, std::string name, std::size_t stack_size, std::source_location at)
      : FiberWithResult<T>(std::move(name), stack_size, at), callable(fn) {}

  void run() noexcept override {
    if (this->cancel_pending) {  // cancelled before it ever ran: like asyncio, the body never starts
      this->cancel_pending = false;
      this->failure = std::make_exception_ptr(CancelledError(std::move(this->cancel_message)));
      callable.reset();
      return;
    }
    try {
      if constexpr (std::is_void_v<T>) {
        (*callable)();
      } else {
        this->value.emplace((*callable)());
      }
    } catch (...) {
      this->failure = std::current_exception();
    }
    callable.reset();
  }

  std::optional<Fn> callable;
};

}  // namespace spindle::detail
