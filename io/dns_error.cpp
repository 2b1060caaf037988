#include <spindle/io/dns_error.hpp>

#include <spindle/io/detail/host_name.hpp>

namespace spindle {
namespace {

std::string describe(std::string_view host, std::string_view servers, std::string_view detail) {
  std::string text = "resolve " + detail::quoted_host(host);
  if (!servers.empty()) {
    text += " via ";
    text += servers;
  }
  text += ": ";
  text += detail;
  return text;
}

}  // namespace

DnsError::DnsError(Code code, std::string_view host, std::string_view servers, std::string_view detail)
    : std::runtime_error(describe(host, servers, detail)), code_(code), host_(host), servers_(servers) {}

const char* to_string(DnsError::Code code) noexcept {
  switch (code) {
    case DnsError::Code::bad_name: return "bad_name";
    case DnsError::Code::not_found: return "not_found";
    case DnsError::Code::no_address: return "no_address";
    case DnsError::Code::refused: return "refused";
    case DnsError::Code::server_failure: return "server_failure";
    case DnsError::Code::unreachable: return "unreachable";
    case DnsError::Code::bad_response: return "bad_response";
    case DnsError::Code::other: return "other";
  }
  return "unknown";
}

}  // namespace spindle
