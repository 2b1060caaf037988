// Happy Eyeballs (RFC 8305): connect to whichever of a host's addresses answers first.
//
// Why. A host with IPv6 and IPv4 addresses may be reachable on only one family, and a dead address
// can take a full SYN-retry timeout (minutes) to fail. Trying the addresses one after another makes
// every such host slow; trying all at once floods. RFC 8305's middle way: alternate the families
// (the resolver's first choice leads), start the next attempt 250 ms after the previous one (the
// "Connection Attempt Delay") or at once when an attempt fails, keep every attempt running, and
// take the first that completes. Each attempt is a fiber parked in connect(); the caller parks
// until one wins, then the others are cancelled and their sockets closed before this returns.
#pragma once

#include <spindle/io/deadline.hpp>
#include <spindle/io/socket.hpp>
#include <spindle/io/socket_address.hpp>

#include <chrono>
#include <span>
#include <vector>

namespace spindle {

// RFC 8305's recommended Connection Attempt Delay.
inline constexpr Duration default_attempt_delay = std::chrono::milliseconds(250);

// `addresses` reordered to alternate families, starting with the first one's, each family keeping
// its own order. Never blocks.
std::vector<SocketAddress> interleave_families(std::span<const SocketAddress> addresses);

// Connects a stream socket to the first of `addresses` (in interleave_families order) that accepts,
// racing them as described above. Parks the calling fiber; a cancellation point (cancelling it
// cancels every attempt). Throws std::invalid_argument for an empty list, TimeoutError when
// `deadline` passes first, and when every attempt failed: the IoError of the only attempt, or an
// IoError naming every address with the last failure's errno ("connect to [::1]:9, 127.0.0.1:9:
// Connection refused"). Every loser is closed before it returns or throws.
Socket connect_happy_eyeballs(std::span<const SocketAddress> addresses, Deadline deadline = {},
                              Duration attempt_delay = default_attempt_delay);

}  // namespace spindle
