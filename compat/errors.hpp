// The asyncio-style exception hierarchy.
//
//   spindle::CancelledError            (not a std::exception: a catch-all for errors must not
//                                       swallow cancellation; see fibers/errors.hpp)
//   spindle::Interrupted               SIGINT/SIGTERM stopped Runner::run (KeyboardInterrupt);
//                                       not a std::exception either, for the same reason
//   std::exception
//   ├── std::logic_error
//   │   ├── spindle::FiberError        runtime misuse (fibers/errors.hpp)
//   │   └── spindle::InvalidStateError a Future/Task used in the wrong state
//   └── std::runtime_error
//       ├── spindle::DeadlockError     (fibers/errors.hpp)
//       ├── spindle::TimeoutError      a deadline passed (fibers/errors.hpp; wait_for, timeout scopes, io)
//       ├── spindle::QueueEmpty        get_nowait on an empty queue
//       ├── spindle::QueueFull         put_nowait on a full queue
//       ├── spindle::QueueShutDown     put/get on a queue that was shut down
//       ├── spindle::BrokenBarrierError a Barrier was aborted or reset while waited on
//       └── spindle::ExceptionGroup    several failures at once (TaskGroup)
//
// Releasing a BoundedSemaphore too often throws std::invalid_argument, as asyncio raises ValueError.
#pragma once

#include <spindle/fibers/errors.hpp>

#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace spindle {

// Runner::run's main task was cancelled because the process received SIGINT or SIGTERM (asyncio's
// KeyboardInterrupt). run() turns it into the exit status 128 + signal after cleaning up.
class Interrupted {
 public:
  explicit Interrupted(int signal_number) : signal_(signal_number) {}
  int signal_number() const noexcept { return signal_; }
  // 130 for SIGINT, 143 for SIGTERM: what a shell reports for a program those signals stopped.
  int exit_status() const noexcept { return 128 + signal_; }
  const char* what() const noexcept;

 private:
  int signal_;
};

class InvalidStateError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class QueueEmpty : public std::runtime_error {
 public:
  QueueEmpty() : std::runtime_error("queue is empty") {}
};

class QueueFull : public std::runtime_error {
 public:
  QueueFull() : std::runtime_error("queue is full") {}
};

class QueueShutDown : public std::runtime_error {
 public:
  QueueShutDown() : std::runtime_error("queue was shut down") {}
};

class BrokenBarrierError : public std::runtime_error {
 public:
  BrokenBarrierError() : std::runtime_error("barrier is broken (aborted or reset while waited on)") {}
};

// Several exceptions raised together, in the order they happened. what() lists each one.
class ExceptionGroup : public std::runtime_error {
 public:
  ExceptionGroup(std::string message, std::vector<std::exception_ptr> exceptions);
  const std::vector<std::exception_ptr>& exceptions() const noexcept { return exceptions_; }

 private:
  std::vector<std::exception_ptr> exceptions_;
};

}  // namespace spindle
