// SignalSet: a fiber waits for signals through a signalfd.
//
// Why signalfd, and the mask contract that comes with it. A signalfd is an ordinary readable
// descriptor, so a waiting fiber parks in the reactor like any socket reader and a signal costs no
// handler, no async-signal-safety rules and no self-pipe. The price is the kernel's rule: a
// signalfd only receives signals that are *blocked*; an unblocked signal is delivered the old way
// (its disposition, or the default action) to some thread that does not block it.
//
//   * Single-threaded programs just work: a SignalSet blocks its signals in the calling thread for
//     its lifetime, so both raise() and kill(getpid(), ...) reach it.
//   * In a multi-threaded program a process-directed signal (kill, Ctrl-C) goes to any thread that
//     does not block it. Call block_signals() on the main thread *before* starting other threads
//     (new threads inherit the mask), or block the signals in every thread yourself; otherwise
//     another thread may take the signal with its default action. spindle's own helper threads
//     (the file I/O pool) block every signal.
//
// Destruction reads and discards the set's signals still pending (they arrived while it owned
// them) and then restores the calling thread's mask for the signals it blocked, so a SIGTERM that
// nobody waited for does not kill the process the moment the set goes away. Sets nest: a signal
// stays blocked until the last set in the thread that blocked it is gone. Two live sets for the
// same signal compete: each signal goes to whichever reads first.
#pragma once

#include <spindle/fibers/clock.hpp>
#include <spindle/io/file_descriptor.hpp>

#include <sys/types.h>

#include <initializer_list>
#include <optional>
#include <signal.h>

namespace spindle {

// What the kernel tells about one delivered signal (from signalfd_siginfo).
struct SignalInfo {
  int signal = 0;          // SIGINT, SIGTERM, SIGRTMIN + 1 ...
  pid_t sender_pid = 0;    // the sender for kill()/sigqueue(); 0 from the kernel
  uid_t sender_uid = 0;
  int code = 0;            // si_code: SI_USER, SI_QUEUE, SI_TKILL, ...
  int value = 0;           // sigqueue()'s sival_int
};

class SignalSet {
 public:
  // Blocks `signals` in the calling thread and opens a non-blocking signalfd for them. Construct,
  // wait on and destroy it on one scheduler thread. Throws std::invalid_argument naming a signal
  // that cannot be caught (SIGKILL, SIGSTOP) or is out of range, IoError if signalfd fails.
  explicit SignalSet(std::initializer_list<int> signals);
  // Discards the set's pending signals, restores the mask (see above) and closes the signalfd.
  ~SignalSet();
  SignalSet(const SignalSet&) = delete;
  SignalSet& operator=(const SignalSet&) = delete;

  // Parks the calling fiber until one of the set's signals arrives and returns it; a signal already
  // pending returns at once. Signals queue as the kernel queues them: a standard signal raised
  // twice before the wait is seen once, real-time signals once per sigqueue(). One fiber at a time
  // may wait. A cancellation point. Throws TimeoutError ("wait for SIGUSR2 timed out") when `timeout` passes,
  // FiberError outside a fiber, IoError if reading the signalfd fails.
  SignalInfo wait(std::optional<Duration> timeout = std::nullopt);
  // A pending signal of the set, without waiting; nullopt when none is. Never blocks.
  std::optional<SignalInfo> poll();

  int native_handle() const noexcept { return fd_.get(); }

 private:
  // Gives this set's hold on its signals back (see ThreadSignalOwners in signals.cpp).
  void release_signals() noexcept;

  sigset_t signals_;
  FileDescriptor fd_;
};

// One-shot form: SignalSet{signal}.wait(timeout). The signal is blocked only during the call, so
// one sent before it is not seen (unless already blocked and pending).
SignalInfo wait_signal(int signal, std::optional<Duration> timeout = std::nullopt);

// Blocks `signals` in the calling thread (pthread_sigmask), for programs that start threads: call it
// on the main thread before the first thread starts so that every thread inherits the mask and
// process-directed signals wait for a SignalSet. Never unblocks. Throws std::invalid_argument for a
// bad signal number.
void block_signals(std::initializer_list<int> signals);

}  // namespace spindle
