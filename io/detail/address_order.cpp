// Destination ordering, the part of RFC 6724 that decides where a connection is tried first.
//
// c-ares sorts every answer itself, with a UDP socket and a connect() per address even when there
// is only one: four syscalls a lookup, about a fifth of a loopback lookup's CPU in the DNS
// benchmark. The resolver turns that off (ARES_AI_NOSORT) and sorts here, only when there is a
// choice to make, with the two rules that change the outcome off link-local networks: reachable
// destinations first, then the policy table's precedence. The rules on source addresses (2, 3,
// 5, 7, 8) and the longest-prefix tie-break (9) are left out; ties keep the server's order.
#include <spindle/io/detail/address_order.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace spindle::detail {
namespace {

bool reachable(const SocketAddress& address) noexcept {
  int probe = ::socket(address.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (probe < 0) return true;  // cannot tell: do not demote it
  // Connecting a UDP socket only looks up the route; the port just has to be non-zero.
  SocketAddress target = address.port() == 0 ? address.with_port(9) : address;
  bool routed = ::connect(probe, target.native(), target.native_size()) == 0;
  ::close(probe);
  return routed;
}

bool has_prefix(const in6_addr& address, const unsigned char* prefix, int bits) noexcept {
  int bytes = bits / 8;
  if (std::memcmp(address.s6_addr, prefix, static_cast<std::size_t>(bytes)) != 0) return false;
  int rest = bits % 8;
  if (rest == 0) return true;
  unsigned mask = 0xFFu << (8 - rest) & 0xFFu;
  return (address.s6_addr[bytes] & mask) == (prefix[bytes] & mask);
}

// RFC 6724 section 2.1, the default policy table.
int precedence(const SocketAddress& address) noexcept {
  if (address.family() == AF_INET) return 35;  // ::ffff:0:0/96
  if (address.family() != AF_INET6) return 0;
  const in6_addr& ip = reinterpret_cast<const sockaddr_in6*>(address.native())->sin6_addr;
  static const unsigned char loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  static const unsigned char six_to_four[2] = {0x20, 0x02};
  static const unsigned char teredo[4] = {0x20, 0x01, 0, 0};
  static const unsigned char unique_local[1] = {0xFC};
  static const unsigned char compatible[12] = {};
  static const unsigned char site_local[2] = {0xFE, 0xC0};
  static const unsigned char six_bone[2] = {0x3F, 0xFE};
  if (has_prefix(ip, loopback, 128)) return 50;
  if (has_prefix(ip, mapped, 96)) return 35;
  if (has_prefix(ip, six_to_four, 16)) return 30;
  if (has_prefix(ip, teredo, 32)) return 5;
  if (has_prefix(ip, unique_local, 7)) return 3;
  if (has_prefix(ip, compatible, 96) || has_prefix(ip, site_local, 10) || has_prefix(ip, six_bone, 16)) return 1;
  return 40;  // ::/0
}

}  // namespace

void order_for_connecting(std::vector<SocketAddress>& addresses) noexcept {
  if (addresses.size() < 2) return;
  struct Ranked {
    bool unreachable;
    int precedence;
    std::size_t index;
  };
  std::vector<Ranked> ranks;
  std::vector<SocketAddress> ordered;
  try {
    ranks.reserve(addresses.size());
    ordered.reserve(addresses.size());
  } catch (...) {
    return;  // out of memory: the server's order is still a valid answer
  }
  for (std::size_t i = 0; i < addresses.size(); ++i) ranks.push_back({!reachable(addresses[i]), precedence(addresses[i]), i});
  std::stable_sort(ranks.begin(), ranks.end(), [](const Ranked& a, const Ranked& b) {
    if (a.unreachable != b.unreachable) return b.unreachable;
    return a.precedence > b.precedence;
  });
  for (const Ranked& rank : ranks) ordered.push_back(addresses[rank.index]);
  addresses.swap(ordered);
}

}  // namespace spindle::detail
