#include <spindle/io/detail/host_name.hpp>

#include <spindle/io/dns_error.hpp>

#include <sys/socket.h>

#include <cstdio>
#include <stdexcept>

namespace spindle::detail {
namespace {

constexpr std::size_t max_name_length = 253;
constexpr std::size_t max_label_length = 63;
constexpr std::size_t longest_quoted = 80;

bool allowed(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

std::string escaped(char c) {
  if (c >= ' ' && c < 0x7f) return std::string("'") + c + "'";
  char text[16];
  std::snprintf(text, sizeof text, "byte 0x%02x", static_cast<unsigned char>(c));
  return text;
}

}  // namespace

std::optional<std::string> host_name_problem(std::string_view host) {
  if (host.empty()) return "it is empty";
  std::string_view name = host.back() == '.' && host.size() > 1 ? host.substr(0, host.size() - 1) : host;
  if (name.size() > max_name_length) {
    return "it is " + std::to_string(name.size()) + " characters long; a DNS name holds at most " +
           std::to_string(max_name_length);
  }
  std::size_t label_start = 0;
  for (std::size_t i = 0; i <= name.size(); ++i) {
    if (i == name.size() || name[i] == '.') {
      std::size_t length = i - label_start;
      if (length == 0) return "it has an empty label at offset " + std::to_string(i) + " (two dots, or a leading dot)";
      if (length > max_label_length) {
        return "its label at offset " + std::to_string(label_start) + " is " + std::to_string(length) +
               " characters long; a label holds at most " + std::to_string(max_label_length);
      }
      label_start = i + 1;
    } else if (!allowed(name[i])) {
      return escaped(name[i]) + " at offset " + std::to_string(i) +
             " cannot be in a host name (letters, digits, '-', '_' and dots; internationalised names in "
             "their xn-- form)";
    }
  }
  return std::nullopt;
}

std::string quoted_host(std::string_view host) {
  std::string text = "'";
  std::size_t shown = host.size() > longest_quoted ? longest_quoted : host.size();
  for (char c : host.substr(0, shown)) {
    if (c >= ' ' && c < 0x7f) {
      text += c;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      text += hex;
    }
  }
  text += "'";
  if (shown < host.size()) text += "... (" + std::to_string(host.size()) + " characters)";
  return text;
}

std::optional<std::vector<SocketAddress>> answer_without_dns(std::string_view host, std::uint16_t port, int family) {
  if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6) {
    throw std::invalid_argument("resolve " + quoted_host(host) + ": family must be AF_UNSPEC, AF_INET or AF_INET6, not " +
                                std::to_string(family));
  }
  if (std::optional<SocketAddress> literal = SocketAddress::parse_ip(host, port)) {
    if (family != AF_UNSPEC && literal->family() != family) {
      throw DnsError(DnsError::Code::no_address, host, "",
                     std::string("is an ") + (literal->family() == AF_INET ? "IPv4" : "IPv6") +
                         " literal, and only " + (family == AF_INET ? "IPv4" : "IPv6") + " addresses were asked for");
    }
    return std::vector<SocketAddress>{*literal};
  }
  if (std::optional<std::string> problem = host_name_problem(host)) {
    throw DnsError(DnsError::Code::bad_name, host, "", "not a host name: " + *problem);
  }
  return std::nullopt;
}

}  // namespace spindle::detail
