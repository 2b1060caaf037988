// The exceptions the fibers runtime throws.
//
// CancelledError deliberately does NOT derive from std::exception, for the reason Python 3.8 moved
// asyncio.CancelledError under BaseException: a routine `catch (const std::exception&)` must not
// swallow a cancellation. `catch (...)` still sees it, and code that must clean up does so in
// destructors, which run as the exception unwinds the fiber's stack.
#pragma once

#include <stdexcept>
#include <string>

namespace spindle {

// Thrown at a fiber's blocking point when the fiber was cancelled. Delivered once per cancel():
// blocking calls made afterwards (for instance during cleanup) work normally unless the fiber is
// cancelled again.
class CancelledError {
 public:
  CancelledError() = default;
  explicit CancelledError(std::string message) : message_(std::move(message)) {}

  // The message given to cancel(), or "" when none was given.
  const std::string& message() const noexcept { return message_; }
  const char* what() const noexcept { return message_.empty() ? "cancelled" : message_.c_str(); }

 private:
  std::string message_;
};

// A runtime function was used where it cannot work: park() outside a fiber, two fibers waiting to
// read the same descriptor, a fiber joining itself. The message says which.
class FiberError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Every fiber is parked, no timer is armed, no descriptor is awaited and no other thread has
// announced work: nothing can ever wake them. Raised only under the virtual clock, where waiting
// would hang a test; the message lists the parked fibers and what each waits for.
class DeadlockError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A deadline passed before the operation finished: wait_for, timeout scopes, and every io/ call
// given a timeout. Here rather than in compat/ so that io/ can throw the same type asyncio users
// catch. The message names the operation that timed out.
class TimeoutError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace spindle
