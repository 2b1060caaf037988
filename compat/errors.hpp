// The asyncio-style exception hierarchy.
//
//   spindle::CancelledError            (not a std::exception: a catch-all for errors must not
//                                       swallow cancellation; see fibers/errors.hpp)
//   std::exception
//   ├── std::logic_error
//   │   ├── spindle::FiberError        runtime misuse (fibers/errors.hpp)
//   │   └── spindle::InvalidStateError a Future/Task used in the wrong state
//   └── std::runtime_error
//       ├── spindle::DeadlockError     (fibers/errors.hpp)
//       ├── spindle::TimeoutError      a deadline passed (wait_for, timeout scopes)
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

class InvalidStateError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class TimeoutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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
