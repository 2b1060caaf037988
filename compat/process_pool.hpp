// ProcessPoolExecutor: run CPU-bound work in worker processes (concurrent.futures.ProcessPoolExecutor).
//
// Each job runs in a worker process, so it neither holds the loop's thread nor shares its memory:
// it is the way to use several cores for computation, and a job that crashes takes down only its
// worker. The job is a plain function (or a captureless lambda) called with arguments that cross
// by the codec (compat/codec.hpp); its value or exception comes back the same way. Workers are
// forked by the process zygote (start_process_zygote below; docs/design.md says why).
//
// Failures, each as its job's future sees it:
//   - the job throws: RemoteError with the exception's type name and message;
//   - its worker dies (a crash, abort(), SIGKILL from outside): BrokenProcessPool naming the pid and
//     the signal or exit status; the pool starts a new worker and later jobs run;
//   - the future is cancelled (by the caller, a wait_for timeout, a cancelled gather) while the job
//     runs: the worker is killed and replaced; while queued: the job is dropped;
//   - shutdown(cancel_futures) while it is queued: CancelledError.
//
// A manager thread per pool owns the workers: it hands each idle worker the next job, reads the
// replies and notices deaths, whichever thread or loop submitted. Waiting on a job's future parks a
// fiber (on any loop) or blocks a plain thread.
#pragma once

#include <spindle/compat/codec.hpp>
#include <spindle/compat/concurrent_future.hpp>
#include <spindle/compat/detail/worker_protocol.hpp>
#include <spindle/compat/executor.hpp>
#include <spindle/compat/executor_errors.hpp>
#include <spindle/fibers/clock.hpp>

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace spindle {

// Starts the process zygote now, if this process has none. Call it at the top of main in a program
// that starts threads (a thread pool, a second loop, a library's threads) before its first
// ProcessPoolExecutor; otherwise the first pool starts the zygote itself, which needs the process
// to have one thread at that moment. The workers are forks of the program as it was at this call:
// they see globals as they were then (pass what a job needs as arguments). Throws
// InvalidStateError when the process already has several threads. Thread-safe; idempotent.
void start_process_zygote();

namespace detail {

// What a process job can call: a function (pointer), or a captureless lambda, which converts to one.
template <class Fn>
concept PlainFunction = requires(Fn fn) {
  { +fn };
  requires std::is_function_v<std::remove_pointer_t<decltype(+fn)>>;
};

template <class Signature>
struct ProcessCall;
template <class R, class... P>
struct ProcessCall<R (*)(P...)> {
  using Result = R;
  static constexpr Trampoline trampoline = &process_trampoline<R, P...>;
  // Encodes `args` as the parameters P..., converted first as a call would convert them.
  template <class... A>
  static void encode(CodecWriter& writer, A&&... args) {
    (writer.write(static_cast<std::remove_cvref_t<P>>(std::forward<A>(args))), ...);
  }
  static constexpr bool by_mutable_reference = ((std::is_lvalue_reference_v<P> && !std::is_const_v<std::remove_reference_t<P>>) || ...);
  static constexpr bool params_encodable = (is_encodable<P> && ...);
};

// One submitted job: its encoded request and its future, type-erased for the manager thread.
struct ProcessJob {
  virtual ~ProcessJob() = default;
  virtual bool done() const = 0;
  virtual void finish(CodecReader& value) = 0;  // decodes the value and completes the future
  virtual void fail(std::exception_ptr error) = 0;
  virtual void cancel(const char* why) = 0;
  std::string request;
};

template <class R>
struct ProcessJobModel final : ProcessJob {
  bool done() const override { return future.done(); }
  void finish(CodecReader& value) override {
    if constexpr (std::is_void_v<R>) {
      future.try_set_result();
    } else {
      future.try_set_result(value.read<R>());
    }
  }
  void fail(std::exception_ptr error) override { future.try_set_exception(std::move(error)); }
  void cancel(const char* why) override { future.cancel(why); }
  ConcurrentFuture<R> future;
};

class ProcessPoolCore;

}  // namespace detail

class ProcessPoolExecutor {
 public:
  // A pool of `max_workers` worker processes (default: available_cpus()), started as jobs arrive.
  // Starts the process zygote if there is none (see start_process_zygote). Throws
  // std::invalid_argument for 0, InvalidStateError as start_process_zygote does.
  explicit ProcessPoolExecutor(std::optional<std::size_t> max_workers = std::nullopt);
  // shutdown(wait = true) unless shutdown was called already; then waits for the manager thread.
  ~ProcessPoolExecutor();
  ProcessPoolExecutor(const ProcessPoolExecutor&) = delete;
  ProcessPoolExecutor& operator=(const ProcessPoolExecutor&) = delete;

  // Queues fn(args...) to run in a worker and returns its future (any thread, any loop's fiber may
  // wait on it). `fn` must be a plain function or a captureless, non-generic lambda, its parameters
  // and result types the codec carries; the arguments are converted to the parameter types and
  // encoded now, in the calling thread. Never blocks beyond a mutex; callable from any thread.
  // Throws InvalidStateError after shutdown.
  template <class Fn, class... Args>
  auto submit(Fn&& fn, Args&&... args) {
    static_assert(detail::PlainFunction<std::remove_cvref_t<Fn>>,
                  "ProcessPoolExecutor::submit: only a plain function or a captureless, non-generic lambda can run in "
                  "a worker process (a capturing lambda's captures live in this process's memory): pass the captured "
                  "values as arguments instead");
    if constexpr (detail::PlainFunction<std::remove_cvref_t<Fn>>) return submit_function(+fn, std::forward<Args>(args)...);
  }

  // Executor.map: submits fn(item) for every item, then returns the values in order, waiting for
  // each (parks a fiber, blocks a thread). Rethrows the first failure in order, after cancelling the
  // jobs not yet done; TimeoutError once `timeout` passes for the whole batch.
  template <class Fn, class Range>
  auto map(Fn fn, const Range& items, std::optional<Duration> timeout = std::nullopt) {
    return detail::map_items(*this, fn, items, timeout);
  }

  // Stops accepting jobs. With `cancel_futures`, queued jobs are cancelled (CancelledError);
  // otherwise they still run. Jobs already running get until `limit` to finish; then their workers
  // are killed, their futures fail with BrokenProcessPool saying so, and a diagnostic names what
  // was waited for. Every worker is then stopped and reaped. With `wait`, returns once all that is
  // done (parks a fiber, blocks a thread): never later than `limit` plus the time to reap. Without,
  // returns at once and the destructor waits. Idempotent; callable from any thread.
  void shutdown(bool wait = true, bool cancel_futures = false, Duration limit = std::chrono::seconds(30));

  std::size_t max_workers() const noexcept;
  // The pids of the worker processes alive now, for diagnostics and tests.
  std::vector<pid_t> worker_pids() const;

 private:
  // submit, once the callable is known to be a function pointer. Each static_assert stops the
  // compilation before code that would bury its message under template errors.
  template <class R, class... P, class... Args>
  ConcurrentFuture<R> submit_function(R (*fn)(P...), Args&&... args) {
    using Call = detail::ProcessCall<R (*)(P...)>;
    constexpr bool arguments_match = sizeof...(P) == sizeof...(Args) && std::is_invocable_v<R (*)(P...), Args&&...>;
    static_assert(!Call::by_mutable_reference,
                  "ProcessPoolExecutor::submit: a parameter taken by non-const reference cannot hand changes back from "
                  "a worker process; return the new value instead");
    static_assert(Call::params_encodable,
                  "ProcessPoolExecutor::submit: a parameter type cannot cross the process boundary: use trivially "
                  "copyable types (not pointers), std::string, std::vector of those, or give the type "
                  "serialize/deserialize (see compat/codec.hpp)");
    static_assert(std::is_void_v<R> || is_encodable<R>,
                  "ProcessPoolExecutor::submit: the result type cannot cross the process boundary: use a trivially "
                  "copyable type (not a pointer), std::string, std::vector of those, or give the type "
                  "serialize/deserialize (see compat/codec.hpp)");
    static_assert(arguments_match, "ProcessPoolExecutor::submit: the arguments do not match the function's parameters");
    if constexpr (!Call::by_mutable_reference && Call::params_encodable && (std::is_void_v<R> || is_encodable<R>) &&
                  arguments_match) {
      auto job = std::make_unique<detail::ProcessJobModel<R>>();
      detail::begin_request(job->request, Call::trampoline, reinterpret_cast<std::uintptr_t>(fn));
      CodecWriter writer(job->request);
      Call::encode(writer, std::forward<Args>(args)...);
      detail::seal_frame(job->request);
      ConcurrentFuture<R> future = job->future;
      enqueue(std::move(job), [&](std::function<void()> hook) { return future.set_cancel_hook(std::move(hook)); });
      return future;
    } else {
      return {};
    }
  }

  void enqueue(std::unique_ptr<detail::ProcessJob> job, const std::function<bool(std::function<void()>)>& install_hook);
  std::shared_ptr<detail::ProcessPoolCore> core_;
  bool shut_down_ = false;
};

}  // namespace spindle
