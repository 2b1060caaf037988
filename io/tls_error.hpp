// TlsError: a TLS handshake, read or write failed for a reason TLS itself reports.
//
//   std::runtime_error
//   └── spindle::TlsError   what() names the operation, the peer and OpenSSL's reason:
//                           "TLS handshake with 127.0.0.1:8443 (localhost): certificate verify
//                           failed: self-signed certificate in certificate chain"
//
// Failures of the connection underneath stay what the transport throws (IoError for a reset,
// TimeoutError at a deadline, CancelledError).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace spindle {

class TlsError : public std::runtime_error {
 public:
  // `what` is "OPERATION: REASON". `verify_result` is the X509_V_ERR_* code of a certificate
  // verification failure, 0 (X509_V_OK) for any other failure.
  TlsError(std::string_view operation, std::string reason, long verify_result = 0);

  // OpenSSL's reason alone: "certificate verify failed: hostname mismatch".
  const std::string& reason() const noexcept { return reason_; }
  // Whether the peer's certificate was rejected, and the X509_V_ERR_* code that said so.
  bool is_verification_failure() const noexcept { return verify_result_ != 0; }
  long verify_result() const noexcept { return verify_result_; }

 private:
  std::string reason_;
  long verify_result_;
};

}  // namespace spindle
