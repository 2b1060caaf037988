// resolve(): host name to socket addresses, through c-ares, without a thread per lookup.
//
// The lookup honours /etc/hosts, /etc/resolv.conf (nameservers, search domains, ndots, timeout,
// attempts) and the LOCALDOMAIN / RES_OPTIONS environment variables, as c-ares reads them. Numeric
// literals ("127.0.0.1", "::1") are answered at once without c-ares. The c-ares channel's sockets
// wait in this thread's scheduler and its retry deadlines on the scheduler's clock, so a lookup
// parks only its own fiber; see io/resolver.hpp for the machinery and docs/design.md for why.
#pragma once

#include <spindle/fibers/clock.hpp>
#include <spindle/io/dns_error.hpp>
#include <spindle/io/socket_address.hpp>

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace spindle {

struct ResolveOptions {
  // AF_UNSPEC (IPv6 and IPv4), AF_INET or AF_INET6.
  int family = AF_UNSPEC;
  // The whole lookup, retries included. nullopt: the resolver's own limit, which by default is what
  // c-ares would spend on all its tries (resolv.conf's timeout and attempts).
  std::optional<Duration> timeout{};
  // Ask these servers instead of resolv.conf's (tests point this at a DNS server on loopback).
  // Non-empty servers or tries make the call use a Resolver of its own for this one lookup; many
  // lookups against the same servers should share a Resolver (io/resolver.hpp) instead.
  std::vector<SocketAddress> servers{};
  // Tries per server; 0 keeps resolv.conf's.
  int tries = 0;
};

// Resolves `host` and returns its addresses with `port` filled in, in the order c-ares gives them
// (RFC 6724 destination-address selection); never empty. Happy Eyeballs callers interleave the
// families themselves. Uses this thread's Resolver::for_this_thread() unless `options` asks for
// servers or tries of its own.
//
// Parks the calling fiber until the answer comes (a hosts-file entry needs no wait). A
// cancellation point. Call from a fiber; only a numeric literal is answered outside one. Throws DnsError (bad_name before anything is sent,
// not_found, no_address, refused, server_failure, ...), TimeoutError after `options.timeout`,
// CancelledError, FiberError outside a fiber, std::invalid_argument for a family other than the
// three above. A cancelled or timed-out lookup leaves nothing behind: its query is forgotten by
// c-ares no later than the last lookup of the resolver ends.
std::vector<SocketAddress> resolve(std::string_view host, std::uint16_t port, ResolveOptions options = {});

}  // namespace spindle
