// The errors an executor job can end with, besides the job's own exception and CancelledError.
//
//   std::runtime_error
//   ├── spindle::BrokenExecutor        an executor can no longer run a job it accepted
//   │   └── spindle::BrokenProcessPool the worker process running the job died (crash, kill)
//   └── spindle::RemoteError           the job threw in a worker process; carries the exception's
//                                      type name and message (the object itself cannot cross)
//
// Submitting to an executor that was shut down throws InvalidStateError (Python's RuntimeError).
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace spindle {

class BrokenExecutor : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// concurrent.futures.process.BrokenProcessPool: says which worker died and how ("worker 4242 was
// killed by SIGSEGV while running the job").
class BrokenProcessPool : public BrokenExecutor {
 public:
  using BrokenExecutor::BrokenExecutor;
};

// An exception thrown by a job in a worker process. what() is "TYPE: MESSAGE", e.g.
// "std::invalid_argument: negative input"; type_name() is demangled.
class RemoteError : public std::runtime_error {
 public:
  RemoteError(std::string type_name, std::string message)
      : std::runtime_error(type_name + ": " + message), type_name_(std::move(type_name)), message_(std::move(message)) {}
  const std::string& type_name() const noexcept { return type_name_; }
  const std::string& message() const noexcept { return message_; }

 private:
  std::string type_name_;
  std::string message_;
};

}  // namespace spindle
