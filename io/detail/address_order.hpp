// Orders a lookup's addresses for connecting, as getaddrinfo does (RFC 6724 destination rules).
#pragma once

#include <spindle/io/socket_address.hpp>

#include <vector>

namespace spindle::detail {

// Stable-sorts `addresses`: destinations this host has no route to last (rule 1), then by the
// default policy table's precedence (rule 6: ::1, then global IPv6, then IPv4, then 6to4, Teredo
// and ULAs). One address, the common case, costs nothing. Each of several costs one UDP socket
// and a connect() (which sends nothing) to ask the kernel for a route. Never throws.
void order_for_connecting(std::vector<SocketAddress>& addresses) noexcept;

}  // namespace spindle::detail
