// DnsError: a name lookup that got an answer, and the answer was "no".
//
// Every failure of resolve() is one of three types, so callers can tell them apart without parsing
// messages:
//   spindle::DnsError         the name is malformed, does not exist, has no address of the asked
//                             family, or the server refused or failed; code() says which
//   spindle::TimeoutError     (fibers/errors.hpp) no answer within the lookup's time, whether our
//                             deadline or c-ares's last retry ran out first: the same type every
//                             other io/ timeout throws, so one `catch (const TimeoutError&)` covers
//                             resolve-then-connect
//   spindle::CancelledError   the fiber was cancelled while it waited
// Every message names the host and the servers asked: "resolve 'nosuch.test' via 127.0.0.1:5353:
// no such domain (NXDOMAIN)".
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace spindle {

class DnsError : public std::runtime_error {
 public:
  enum class Code {
    bad_name,        // not a host name: too long, an empty label, a character DNS names cannot hold
    not_found,       // NXDOMAIN: the name does not exist (after the search list)
    no_address,      // NODATA: the name exists but has no address of the family asked for
    refused,         // the server answered REFUSED
    server_failure,  // the server answered SERVFAIL (or NOTIMP)
    unreachable,     // the server's port is closed (ICMP port unreachable) or the connection failed
    bad_response,    // the answer could not be parsed
    other,           // anything else c-ares reports; the message carries its text
  };

  // `servers` is the comma-separated list of servers asked ("" when none were: bad names, literals).
  DnsError(Code code, std::string_view host, std::string_view servers, std::string_view detail);

  Code code() const noexcept { return code_; }
  const std::string& host() const noexcept { return host_; }
  const std::string& servers() const noexcept { return servers_; }

 private:
  Code code_;
  std::string host_;
  std::string servers_;
};

// "bad_name", "not_found", ... for messages and test output.
const char* to_string(DnsError::Code code) noexcept;

}  // namespace spindle
