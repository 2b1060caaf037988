#include <spindle/io/socket_address.hpp>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>
#include <stdexcept>

namespace spindle {

std::optional<SocketAddress> SocketAddress::parse_ip(std::string_view literal, std::uint16_t port) noexcept {
  if (literal.size() >= 2 && literal.front() == '[' && literal.back() == ']') {
    literal = literal.substr(1, literal.size() - 2);
  }
  if (literal.empty() || literal.size() >= INET6_ADDRSTRLEN + IF_NAMESIZE) return std::nullopt;
  char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
  std::memcpy(text, literal.data(), literal.size());
  text[literal.size()] = '\0';

  SocketAddress result;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&result.storage_);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    result.size_ = sizeof(sockaddr_in);
    return result;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&result.storage_);
  char* zone = std::strchr(text, '%');
  if (zone != nullptr) *zone++ = '\0';
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) != 1) return std::nullopt;
  if (zone != nullptr) {
    v6->sin6_scope_id = if_nametoindex(zone);
    if (v6->sin6_scope_id == 0) return std::nullopt;
  }
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons(port);
  result.size_ = sizeof(sockaddr_in6);
  return result;
}

SocketAddress SocketAddress::ip(std::string_view literal, std::uint16_t port) {
  if (auto address = parse_ip(literal, port)) return *address;
  throw std::invalid_argument("not a numeric IP address: '" + std::string(literal) + "'");
}

SocketAddress SocketAddress::parse(std::string_view host_and_port) {
  auto colon = host_and_port.rfind(':');
  auto bad = [&] {
    return std::invalid_argument("not a numeric host:port: '" + std::string(host_and_port) + "'");
  };
  if (colon == std::string_view::npos || colon + 1 == host_and_port.size()) throw bad();
  std::string_view host = host_and_port.substr(0, colon);
  if (host.find(':') != std::string_view::npos && host.front() != '[') throw bad();
  unsigned port = 0;
  for (char c : host_and_port.substr(colon + 1)) {
    if (c < '0' || c > '9' || (port = port * 10 + unsigned(c - '0')) > 65535) throw bad();
  }
  if (auto address = parse_ip(host, static_cast<std::uint16_t>(port))) return *address;
  throw bad();
}

SocketAddress SocketAddress::unix_path(std::string_view path) {
  SocketAddress result;
  auto* un = reinterpret_cast<sockaddr_un*>(&result.storage_);
  if (path.empty() || path.size() >= sizeof(un->sun_path)) {
    throw std::invalid_argument("Unix socket path must be 1 to " + std::to_string(sizeof(un->sun_path) - 1) +
                                " bytes, not " + std::to_string(path.size()) + ": '" + std::string(path) + "'");
  }
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, path.data(), path.size());
  // An abstract name is exactly its bytes; a filesystem path carries its terminating NUL.
  result.size_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path[0] == '\0' ? 0 : 1));
  return result;
}

SocketAddress SocketAddress::from_native(const sockaddr* address, socklen_t size) {
  if (size > sizeof(sockaddr_storage)) {
    throw std::invalid_argument("socket address of " + std::to_string(size) + " bytes is too large");
  }
  SocketAddress result;
  std::memcpy(&result.storage_, address, size);
  result.size_ = size;
  return result;
}

std::uint16_t SocketAddress::port() const noexcept {
  switch (family()) {
    case AF_INET: return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    case AF_INET6: return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    default: return 0;
  }
}

SocketAddress SocketAddress::with_port(std::uint16_t port) const noexcept {
  SocketAddress result = *this;
  switch (family()) {
    case AF_INET: reinterpret_cast<sockaddr_in*>(&result.storage_)->sin_port = htons(port); break;
    case AF_INET6: reinterpret_cast<sockaddr_in6*>(&result.storage_)->sin6_port = htons(port); break;
    default: break;
  }
  return result;
}

std::string SocketAddress::host() const {
  char text[INET6_ADDRSTRLEN];
  switch (family()) {
    case AF_INET:
      return inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, text, sizeof text);
    case AF_INET6:
      return inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, text, sizeof text);
    case AF_UNIX: {
      const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
      std::size_t length = size_ > offsetof(sockaddr_un, sun_path) ? size_ - offsetof(sockaddr_un, sun_path) : 0;
      if (length == 0) return "";  // an unnamed socket (socketpair, unbound client)
      if (un->sun_path[0] == '\0') return "@" + std::string(un->sun_path + 1, length - 1);
      return std::string(un->sun_path, strnlen(un->sun_path, length));
    }
    default: return "";
  }
}

std::string SocketAddress::to_string() const {
  switch (family()) {
    case AF_INET: return host() + ":" + std::to_string(port());
    case AF_INET6: return "[" + host() + "]:" + std::to_string(port());
    case AF_UNIX: return "unix:" + host();
    default: return "unspecified";
  }
}

bool operator==(const SocketAddress& a, const SocketAddress& b) noexcept {
  return a.size_ == b.size_ && std::memcmp(&a.storage_, &b.storage_, a.size_) == 0;
}

}  // namespace spindle
