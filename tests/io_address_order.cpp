// Destination ordering (RFC 6724 rules 1 and 6) of a lookup's addresses.
#include <spindle/io/detail/address_order.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using spindle::SocketAddress;

namespace {

std::vector<std::string> ordered(std::vector<std::string> hosts) {
  std::vector<SocketAddress> addresses;
  for (const std::string& host : hosts) addresses.push_back(SocketAddress::ip(host, 80));
  spindle::detail::order_for_connecting(addresses);
  std::vector<std::string> result;
  for (const SocketAddress& address : addresses) {
    CHECK(address.port() == 80);
    result.push_back(address.host());
  }
  return result;
}

}  // namespace

TEST_CASE("loopback IPv6 goes first, IPv4 before 6to4, Teredo and unique-local", "[io][dns]") {
  // Every outcome here holds whether or not the machine routes IPv6: an unreachable destination
  // only moves further back, behind the IPv4 loopback that is always reachable.
  CHECK(ordered({"127.0.0.1", "::1"}) == std::vector<std::string>{"::1", "127.0.0.1"});
  CHECK(ordered({"fd00::1", "2002:c000:204::1", "2001:0:5ef5:79fd::1", "127.0.0.1"}) ==
        std::vector<std::string>{"127.0.0.1", "2002:c000:204::1", "2001:0:5ef5:79fd::1", "fd00::1"});
}

TEST_CASE("ties keep the server's order; one address is left alone", "[io][dns]") {
  CHECK(ordered({"127.0.0.3", "127.0.0.1", "127.0.0.2"}) == std::vector<std::string>{"127.0.0.3", "127.0.0.1", "127.0.0.2"});
  CHECK(ordered({"fd00::1"}) == std::vector<std::string>{"fd00::1"});
  CHECK(ordered({}).empty());
}
