// SocketAddress: one endpoint of a socket (IPv4, IPv6 or Unix-domain), as the kernel spells it.
//
// A value type over sockaddr_storage, so every io/ call (connect, bind, accept, send_to, resolve)
// takes and returns the same thing whatever the family. Parsing never resolves names: a host name
// goes through resolve() (io/dns.hpp); SocketAddress::ip() takes only numeric literals.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace spindle {

class SocketAddress {
 public:
  // An empty address (family AF_UNSPEC); only assignable and comparable.
  SocketAddress() = default;

  // A numeric IPv4 ("127.0.0.1") or IPv6 ("::1", "[::1]", "fe80::1%lo") literal and a port.
  // Throws std::invalid_argument naming the text when it is not one. Never blocks, never resolves.
  static SocketAddress ip(std::string_view literal, std::uint16_t port);
  // As ip(), but returns nullopt instead of throwing.
  static std::optional<SocketAddress> parse_ip(std::string_view literal, std::uint16_t port) noexcept;
  // "host:port" or "[v6]:port" with a numeric host. Throws std::invalid_argument naming the text.
  static SocketAddress parse(std::string_view host_and_port);

  static SocketAddress loopback_v4(std::uint16_t port) { return ip("127.0.0.1", port); }
  static SocketAddress loopback_v6(std::uint16_t port) { return ip("::1", port); }
  static SocketAddress any_v4(std::uint16_t port) { return ip("0.0.0.0", port); }
  static SocketAddress any_v6(std::uint16_t port) { return ip("::", port); }

  // A Unix-domain socket path. A path that starts with '\0' names the Linux abstract namespace.
  // Throws std::invalid_argument when the path is empty or longer than sun_path holds (107 bytes).
  static SocketAddress unix_path(std::string_view path);

  // Copies what the kernel wrote (accept, getsockname, recvfrom). Throws std::invalid_argument if
  // `size` exceeds sockaddr_storage.
  static SocketAddress from_native(const sockaddr* address, socklen_t size);

  // AF_INET, AF_INET6, AF_UNIX or AF_UNSPEC.
  int family() const noexcept { return storage_.ss_family; }
  bool is_ip() const noexcept { return family() == AF_INET || family() == AF_INET6; }
  // The port of an IP address; 0 for other families.
  std::uint16_t port() const noexcept;
  // The same address with another port (IP families only; others are returned unchanged).
  SocketAddress with_port(std::uint16_t port) const noexcept;
  // "127.0.0.1", "::1", or the Unix path ("@name" for an abstract one).
  std::string host() const;
  // "127.0.0.1:80", "[::1]:80", "unix:/run/x.sock", "unix:@name" or "unspecified". For messages.
  std::string to_string() const;

  const sockaddr* native() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t native_size() const noexcept { return size_; }

  friend bool operator==(const SocketAddress& a, const SocketAddress& b) noexcept;

 private:
  sockaddr_storage storage_{};
  socklen_t size_ = 0;
};

}  // namespace spindle
