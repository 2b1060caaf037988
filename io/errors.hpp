// The errors io/ throws.
//
//   std::system_error
//   └── spindle::IoError      an OS call failed; code() is the errno (std::generic_category), so
//                             `e.code() == std::errc::connection_refused` works, and what() names
//                             the operation and the peer or path: "connect to 127.0.0.1:9:
//                             Connection refused"
//   spindle::TimeoutError     (fibers/errors.hpp) an io/ call given a timeout ran out of time
//   spindle::CancelledError   (fibers/errors.hpp) the fiber was cancelled at a blocking io/ call
//
// Subsystems add their own under these (DNS, TLS, streams), each naming what failed.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace spindle {

class IoError : public std::system_error {
 public:
  // "OPERATION SUBJECT: strerror" (", SUBJECT" left out when empty).
  IoError(int error_number, std::string_view operation, std::string_view subject = {});

  const std::string& operation() const noexcept { return operation_; }
  const std::string& subject() const noexcept { return subject_; }

 private:
  std::string operation_;
  std::string subject_;
};

// Throws IoError(error_number, operation, subject). For the common `if (r < 0) throw_io_error(errno,
// "connect to", address)` shape.
[[noreturn]] void throw_io_error(int error_number, std::string_view operation, std::string_view subject = {});

}  // namespace spindle
