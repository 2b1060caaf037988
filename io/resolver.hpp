// Resolver: one c-ares channel (servers, search list, retry policy) driven by this thread's scheduler.
//
// resolve() in io/dns.hpp uses a per-thread default; make your own Resolver for other servers or
// policies (tests, a program with its own DNS settings). Lookups on one Resolver share its sockets
// (one UDP socket per server, however many lookups are in flight) and its bound on queries in flight.
#pragma once

#include <spindle/fibers/clock.hpp>
#include <spindle/io/dns_error.hpp>
#include <spindle/io/socket_address.hpp>

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spindle {

namespace detail {
class AresChannel;
}

struct ResolverOptions {
  // Nameservers to ask, in order; empty: those of the resolv.conf file.
  std::vector<SocketAddress> servers{};
  // The resolv.conf to read; empty: /etc/resolv.conf.
  std::string resolv_conf{};
  // Replace the file's search list and ndots.
  std::optional<std::vector<std::string>> search{};
  std::optional<int> ndots{};
  // Time for one try against one server, and tries per server; nullopt keeps the file's values
  // (c-ares doubles the time after every round over the servers).
  std::optional<Duration> attempt_timeout{};
  std::optional<int> tries{};
  // Limit for a whole lookup when resolve() is given none: nullopt means the sum of c-ares's tries.
  std::optional<Duration> timeout{};
  // Queries over TCP only (ARES_FLAG_USEVC).
  bool use_tcp = false;
  // Lookups sent and not answered yet; more wait their turn. Above about 250 in flight on
  // loopback, answers overflow a default UDP receive buffer and are dropped (then retried after a
  // whole attempt timeout), so the bound stays well below that.
  std::size_t max_in_flight = 128;
  // SO_RCVBUF and SO_SNDBUF of the channel's sockets (the kernel caps them at net.core.rmem_max /
  // wmem_max); 0 keeps the system default.
  int socket_buffer_bytes = 1 << 20;
};

// Create, use and destroy on one thread (lookups from any of its fibers). Holds no scheduler state
// while no lookup is in flight, so one may outlive the thread's schedulers. After its first query
// over the network it keeps its sockets (one per server, as c-ares's ARES_FLAG_STAYOPEN) and one
// epoll set open until it is destroyed: reopening them whenever the in-flight count touched zero
// cost a socket, a connect, buffer sizes and two registrations each time. Destroying it while
// lookups are in flight is allowed: they finish with the channel they started on.
class Resolver {
 public:
  // Reads resolv.conf and the environment through c-ares. Throws DnsError(other) if c-ares cannot
  // be set up (a missing resolv_conf, a server that is not an IP address), std::invalid_argument
  // for max_in_flight == 0.
  explicit Resolver(ResolverOptions options = {});
  ~Resolver();
  Resolver(Resolver&&) noexcept;
  Resolver& operator=(Resolver&&) noexcept;

  // As spindle::resolve(host, port, {.family = family, .timeout = timeout}) on this channel.
  std::vector<SocketAddress> resolve(std::string_view host, std::uint16_t port, int family = AF_UNSPEC,
                                     std::optional<Duration> timeout = std::nullopt);

  // "127.0.0.1:5353, [::1]:53": the servers this channel asks, for messages.
  const std::string& servers() const noexcept;
  // Lookups sent and not yet answered (abandoned ones included) and lookups waiting for a slot.
  std::size_t in_flight() const noexcept;
  std::size_t queued() const noexcept;

  // The calling thread's default, created on first use from /etc/resolv.conf. Never blocks.
  static Resolver& for_this_thread();

 private:
  std::shared_ptr<detail::AresChannel> channel_;
};

}  // namespace spindle
