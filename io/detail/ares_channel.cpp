#include <spindle/io/detail/ares_channel.hpp>

#include <spindle/fibers/errors.hpp>
#include <spindle/fibers/fd_wait.hpp>
#include <spindle/fibers/park.hpp>
#include <spindle/fibers/this_fiber.hpp>
#include <spindle/io/detail/address_order.hpp>
#include <spindle/io/detail/host_name.hpp>
#include <spindle/io/detail/hosts_file.hpp>
#include <spindle/io/dns_error.hpp>
#include <spindle/io/errors.hpp>

#include <ares.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace spindle::detail {

// A lookup's state. On the heap because c-ares's callback may come after the fiber has left
// (timed out, cancelled): the fiber then sets `abandoned` and the callback frees it.
struct PendingLookup {
  AresChannel* channel;
  Waker waiter;
  std::uint16_t port;
  int family;
  bool done = false;
  bool abandoned = false;
  int status = ARES_SUCCESS;
  int timeouts = 0;
  std::vector<SocketAddress> addresses{};
};

namespace {

int connect_socket(ares_socket_t fd, const sockaddr* address, ares_socklen_t size, void*) {
  return ::connect(fd, address, size);
}

ares_ssize_t receive_from(ares_socket_t fd, void* buffer, size_t size, int flags, sockaddr* from,
                          ares_socklen_t* from_size, void*) {
  return ::recvfrom(fd, buffer, size, flags, from, from_size);
}

// MSG_NOSIGNAL: a server that closed its end of a TCP connection must not kill the process.
ares_ssize_t send_vector(ares_socket_t fd, const iovec* parts, int count, void*) {
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(parts);
  message.msg_iovlen = static_cast<std::size_t>(count);
  return ::sendmsg(fd, &message, MSG_NOSIGNAL);
}

std::string seconds_text(Duration limit) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f s", std::chrono::duration<double>(limit).count());
  return text;
}

std::string family_name(int family) {
  return family == AF_INET ? "IPv4 " : family == AF_INET6 ? "IPv6 " : "";
}

void initialise_library_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (int status = ares_library_init(ARES_LIB_INIT_ALL); status != ARES_SUCCESS) {
      throw DnsError(DnsError::Code::other, "", "", std::string("c-ares library init: ") + ares_strerror(status));
    }
  });
}

void set_servers(ares_channel channel, const std::vector<SocketAddress>& servers) {
  std::vector<ares_addr_port_node> nodes(servers.size());
  for (std::size_t i = 0; i < servers.size(); ++i) {
    const SocketAddress& server = servers[i];
    ares_addr_port_node& node = nodes[i];
    node.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
    node.family = server.family();
    if (server.family() == AF_INET) {
      node.addr.addr4 = reinterpret_cast<const sockaddr_in*>(server.native())->sin_addr;
    } else if (server.family() == AF_INET6) {
      std::memcpy(&node.addr.addr6, &reinterpret_cast<const sockaddr_in6*>(server.native())->sin6_addr,
                  sizeof node.addr.addr6);
    } else {
      throw std::invalid_argument("DNS server must be an IP address, not " + server.to_string());
    }
    node.udp_port = node.tcp_port = server.port();
  }
  if (int status = ares_set_servers_ports(channel, nodes.empty() ? nullptr : nodes.data()); status != ARES_SUCCESS) {
    throw DnsError(DnsError::Code::other, "", "", std::string("c-ares set servers: ") + ares_strerror(status));
  }
}

// "127.0.0.1:5353, [::1]:53"; the number of servers through `count`.
std::string describe_servers(ares_channel channel, std::size_t& count) {
  ares_addr_port_node* servers = nullptr;
  count = 0;
  if (ares_get_servers_ports(channel, &servers) != ARES_SUCCESS) return "(unknown servers)";
  std::string text;
  for (ares_addr_port_node* node = servers; node != nullptr; node = node->next) {
    char address[INET6_ADDRSTRLEN] = "?";
    ::inet_ntop(node->family, &node->addr, address, sizeof address);
    auto port = static_cast<std::uint16_t>(node->udp_port != 0 ? node->udp_port : 53);
    if (!text.empty()) text += ", ";
    text += SocketAddress::ip(address, port).to_string();
    ++count;
  }
  ares_free_data(servers);
  return text.empty() ? "(no servers)" : text;
}

}  // namespace

namespace {

// Servers close a TCP connection after a number of queries (dnsmasq: 100), and c-ares 1.18 counts
// the close as a failed try for every query still on it. Measured with 1000 lookups over TCP
// against dnsmasq: no failure with up to 96 in flight, 441 failed with 99, 851 with 128.
constexpr std::size_t tcp_in_flight_cap = 64;

}  // namespace

AresChannel::AresChannel(const ResolverOptions& options)
    : max_in_flight_(options.use_tcp ? std::min(options.max_in_flight, tcp_in_flight_cap) : options.max_in_flight),
      socket_buffer_bytes_(options.socket_buffer_bytes) {
  if (options.max_in_flight == 0) throw std::invalid_argument("ResolverOptions::max_in_flight must be at least 1");
  initialise_library_once();

  ares_options settings{};
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_FLAGS | ARES_OPT_LOOKUPS;
  // DNS only: resolve() answers from the hosts file itself, from a cache (see hosts_file.cpp).
  settings.lookups = const_cast<char*>("b");
  settings.sock_state_cb = &on_socket_state;
  settings.sock_state_cb_data = this;
  // Without STAYOPEN c-ares closes its sockets whenever no query is in flight, which between two
  // bursts of answers on loopback is often: a new socket, connect, buffer sizes and registration
  // each time.
  settings.flags = ARES_FLAG_STAYOPEN | (options.use_tcp ? ARES_FLAG_USEVC : 0);
  if (options.attempt_timeout) {
    settings.timeout = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(*options.attempt_timeout).count());
    mask |= ARES_OPT_TIMEOUTMS;
  }
  if (options.tries) {
    settings.tries = *options.tries;
    mask |= ARES_OPT_TRIES;
  }
  if (options.ndots) {
    settings.ndots = *options.ndots;
    mask |= ARES_OPT_NDOTS;
  }
  std::vector<char*> domains;
  if (options.search) {
    for (const std::string& domain : *options.search) domains.push_back(const_cast<char*>(domain.c_str()));
    settings.domains = domains.data();
    settings.ndomains = static_cast<int>(domains.size());
    mask |= ARES_OPT_DOMAINS;
  }
  if (!options.resolv_conf.empty()) {
    settings.resolvconf_path = const_cast<char*>(options.resolv_conf.c_str());
    mask |= ARES_OPT_RESOLVCONF;
  }
  open_channel(settings, mask, options);
  std::size_t server_count = 0;
  servers_ = describe_servers(channel_, server_count);
  if (server_count == 1) {
    // c-ares 1.18 treats a REFUSED or SERVFAIL answer as a reason to try the next server and, once
    // none is left, reports ECONNREFUSED, so "refused" could not be told from "port closed". With
    // one server there is no next one to try: let the answer's own code through.
    ares_destroy(std::exchange(channel_, nullptr));
    settings.flags |= ARES_FLAG_NOCHECKRESP;
    open_channel(settings, mask, options);
  }
  ares_options saved{};
  int saved_mask = 0;
  int per_try_ms = 5000;
  int tries = 4;
  if (ares_save_options(channel_, &saved, &saved_mask) == ARES_SUCCESS) {
    per_try_ms = saved.timeout;
    tries = saved.tries;
    ares_destroy_options(&saved);
  }
  attempt_timeout_ = std::chrono::milliseconds(per_try_ms);
  // What c-ares spends before giving up: every try against every server, the time doubled after
  // each round over the servers.
  Duration total{};
  std::size_t rounds_of = std::max<std::size_t>(server_count, 1);
  for (std::size_t attempt = 0; attempt < static_cast<std::size_t>(tries) * rounds_of; ++attempt) {
    total += attempt_timeout_ * (1 << std::min<std::size_t>(attempt / rounds_of, 16));
  }
  lookup_timeout_ = options.timeout.value_or(total);
}

void AresChannel::open_channel(ares_options& settings, int mask, const ResolverOptions& options) {
  if (int status = ares_init_options(&channel_, &settings, mask); status != ARES_SUCCESS) {
    channel_ = nullptr;
    throw DnsError(DnsError::Code::other, "", "",
                   std::string("c-ares channel setup") +
                       (options.resolv_conf.empty() ? "" : " from " + options.resolv_conf) + ": " + ares_strerror(status));
  }
  static const ares_socket_functions functions{&open_socket, &close_socket, &connect_socket, &receive_from,
                                               &send_vector};
  ares_set_socket_functions(channel_, &functions, this);
  try {
    if (!options.servers.empty()) set_servers(channel_, options.servers);
  } catch (...) {
    ares_destroy(std::exchange(channel_, nullptr));
    throw;
  }
}

AresChannel::~AresChannel() {
  // Runs only when no lookup is live (each holds a reference); abandoned queries get
  // ARES_EDESTRUCTION here and their callbacks free them.
  if (channel_ != nullptr) ares_destroy(channel_);
}

struct AresChannel::ExitGuard {
  AresChannel& channel;
  PendingLookup& lookup;
  ~ExitGuard() {
    if (channel.leader_ == &lookup) channel.leader_ = nullptr;
    if (lookup.done) {
      delete &lookup;
    } else {
      lookup.abandoned = true;  // the callback frees it now
      --channel.live_;
    }
    channel.settle();
  }
};

std::vector<SocketAddress> AresChannel::resolve(std::string_view host, std::uint16_t port, int family,
                                                std::optional<Duration> timeout) {
  Waker self = Waker::current();  // FiberError outside a fiber, before anything is sent
  std::shared_ptr<AresChannel> keep_alive = shared_from_this();
  Duration limit = timeout.value_or(lookup_timeout_);
  TimePoint deadline = now() + limit;
  char name[256];  // a checked name is at most 254 characters (host_name_problem)
  if (host.size() >= sizeof name) throw DnsError(DnsError::Code::bad_name, host, "", "the name is too long");
  std::memcpy(name, host.data(), host.size());
  name[host.size()] = '\0';
  if (std::vector<SocketAddress> listed = system_hosts_file().addresses(host, family); !listed.empty()) {
    for (SocketAddress& address : listed) address = address.with_port(port);
    order_for_connecting(listed);
    return listed;
  }
  auto owned = std::make_unique<PendingLookup>(PendingLookup{this, self, port, family});
  acquire_slot(host, deadline, limit);

  PendingLookup* lookup = owned.release();  // from here the guard below, or c-ares's callback, frees it
  ++submitted_;
  ++live_;
  ares_addrinfo_hints hints{};
  hints.ai_family = family;
  hints.ai_flags = ARES_AI_NOSORT;  // order_for_connecting sorts, and only when there is a choice
  ares_getaddrinfo(channel_, name, nullptr, &hints, &on_answer, lookup);

  int status;
  int timeouts;
  std::vector<SocketAddress> addresses;
  {
    ExitGuard guard{*this, *lookup};
    while (!lookup->done) {
      if (leader_ == nullptr) {
        if (!lead(*lookup, deadline)) throw_timeout(host, limit);
      } else {
        wake_leader_if_late();
        WaitList::Node node;
        if (followers_.wait(node, "dns answer", deadline) == WakeStatus::timed_out && !lookup->done) {
          throw_timeout(host, limit);
        }
      }
    }
    status = lookup->status;
    timeouts = lookup->timeouts;
    addresses = std::move(lookup->addresses);
  }
  if (status == ARES_ETIMEOUT) {
    throw TimeoutError("resolve " + quoted_host(host) + " via " + servers_ + ": no answer after " +
                       std::to_string(timeouts) + " tries");
  }
  if (status != ARES_SUCCESS) throw_failure(host, status, family);
  return addresses;
}

void AresChannel::acquire_slot(std::string_view host, TimePoint deadline, Duration limit) {
  if (slots_in_use_ < max_in_flight_ && slot_waiters_.empty()) {
    ++slots_in_use_;
    return;
  }
  // Only release_slot() wakes a waiter here, and it hands its slot over when it does.
  if (slot_waiters_.wait("dns slot in flight", deadline) == WakeStatus::timed_out) throw_timeout(host, limit);
}

void AresChannel::release_slot() noexcept {
  if (slot_waiters_.wake_one() == nullptr) --slots_in_use_;
}

bool AresChannel::lead(PendingLookup& lookup, TimePoint deadline) {
  leader_ = &lookup;
  const int set = socket_set();
  while (!lookup.done) {
    if (process_ready_sockets()) {
      // Let the followers just answered send their next queries before looking again: their
      // answers then come in the same batch as the ones still on the wire.
      if (!lookup.done) this_fiber::yield();
      continue;
    }
    TimePoint wake_at = deadline;
    timeval until_retry{};
    if (ares_timeout(channel_, nullptr, &until_retry) != nullptr) {
      auto retry_in = std::chrono::seconds(until_retry.tv_sec) + std::chrono::microseconds(until_retry.tv_usec);
      wake_at = std::min(deadline, now() + std::chrono::duration_cast<Duration>(retry_in));
    }
    leader_wakes_at_ = wake_at;
    if (!wait_readable(set, wake_at)) {
      ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // retries and c-ares's timeouts
      if (!lookup.done && now() >= deadline) return false;
    }
  }
  return true;
}

bool AresChannel::process_ready_sockets() {
  epoll_event events[64];
  int count = ::epoll_wait(socket_set_.get(), events, 64, 0);
  for (int i = 0; i < count; ++i) {
    int fd = events[i].data.fd;
    std::uint32_t ready = events[i].events;
    ares_process_fd(channel_, (ready & (EPOLLIN | EPOLLERR | EPOLLHUP)) ? fd : ARES_SOCKET_BAD,
                    (ready & EPOLLOUT) ? fd : ARES_SOCKET_BAD);
  }
  return count > 0;
}

void AresChannel::wake_leader_if_late() noexcept {
  // A query sent now retries after attempt_timeout_; a leader asleep past that must recompute.
  if (leader_ != nullptr && leader_wakes_at_ > now() + attempt_timeout_) leader_->waiter.unpark();
}

void AresChannel::settle() noexcept {
  if (leader_ != nullptr) return;
  if (live_ > 0) {
    followers_.wake_one();  // the next in line takes the lead
    return;
  }
  if (submitted_ > 0) ares_cancel(channel_);  // only abandoned queries are left, and nobody to drive them
  // The sockets and the set stay open (ARES_FLAG_STAYOPEN); only the scheduler lets go of the set.
  if (socket_set_) forget_fd(socket_set_.get());
}

int AresChannel::socket_set() {
  if (!socket_set_) {
    int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) throw_io_error(errno, "epoll_create1 for", "the DNS resolver's sockets");
    socket_set_.reset(fd);
  }
  return socket_set_.get();
}

void AresChannel::throw_timeout(std::string_view host, Duration limit) const {
  throw TimeoutError("resolve " + quoted_host(host) + " via " + servers_ + ": no answer within " + seconds_text(limit));
}

void AresChannel::throw_failure(std::string_view host, int status, int family) const {
  using Code = DnsError::Code;
  switch (status) {
    case ARES_ENOTFOUND: throw DnsError(Code::not_found, host, servers_, "no such domain (NXDOMAIN)");
    case ARES_ENODATA:
      throw DnsError(Code::no_address, host, servers_, "the name has no " + family_name(family) + "address (NODATA)");
    case ARES_EREFUSED: throw DnsError(Code::refused, host, servers_, "the server refused the query (REFUSED)");
    case ARES_ESERVFAIL: throw DnsError(Code::server_failure, host, servers_, "server failure (SERVFAIL)");
    case ARES_ENOTIMP: throw DnsError(Code::server_failure, host, servers_, "the server cannot do this query (NOTIMP)");
    case ARES_ECONNREFUSED:
      // With several servers, c-ares 1.18 ends here also when every one answered REFUSED or
      // SERVFAIL (see the constructor).
      throw DnsError(Code::unreachable, host, servers_,
                     servers_.find(',') == std::string::npos
                         ? "the server's port is closed (connection refused)"
                         : "no server gave an answer: each refused, failed or has its port closed");
    case ARES_EBADNAME: throw DnsError(Code::bad_name, host, servers_, "c-ares cannot encode the name");
    case ARES_EBADRESP:
    case ARES_EFORMERR: throw DnsError(Code::bad_response, host, servers_, ares_strerror(status));
    default: throw DnsError(Code::other, host, servers_, ares_strerror(status));
  }
}

void AresChannel::on_answer(void* arg, int status, int timeouts, ares_addrinfo* result) noexcept {
  auto* lookup = static_cast<PendingLookup*>(arg);
  AresChannel& self = *lookup->channel;
  struct FreeResult {
    ares_addrinfo* result;
    ~FreeResult() {
      if (result != nullptr) ares_freeaddrinfo(result);
    }
  } free_result{result};
  --self.submitted_;
  self.release_slot();
  if (lookup->abandoned) {
    delete lookup;
    return;
  }
  --self.live_;
  lookup->status = status;
  lookup->timeouts = timeouts;
  if (status == ARES_SUCCESS) {
    try {
      for (ares_addrinfo_node* node = result->nodes; node != nullptr; node = node->ai_next) {
        lookup->addresses.push_back(SocketAddress::from_native(node->ai_addr, node->ai_addrlen).with_port(lookup->port));
      }
      if (lookup->addresses.empty()) lookup->status = ARES_ENODATA;
      order_for_connecting(lookup->addresses);
    } catch (...) {
      lookup->status = ARES_ENOMEM;
    }
  }
  lookup->done = true;
  lookup->waiter.unpark();
}

void AresChannel::on_socket_state(void* data, ares_socket_t fd, int readable, int writable) noexcept {
  auto& self = *static_cast<AresChannel*>(data);
  int set;
  try {
    set = self.socket_set();
  } catch (...) {
    return;  // no set, no watching: the lookups run into their deadline and say so
  }
  if (!readable && !writable) {
    ::epoll_ctl(set, EPOLL_CTL_DEL, fd, nullptr);
    return;
  }
  epoll_event interest{};
  interest.events = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
  interest.data.fd = fd;
  if (::epoll_ctl(set, EPOLL_CTL_MOD, fd, &interest) != 0 && errno == ENOENT) {
    // A new query socket (the short-lived ones c-ares opens to sort addresses never get here).
    if (int bytes = self.socket_buffer_bytes_; bytes > 0) {
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
    }
    ::epoll_ctl(set, EPOLL_CTL_ADD, fd, &interest);
  }
}

ares_socket_t AresChannel::open_socket(int domain, int type, int protocol, void*) noexcept {
  // c-ares leaves sockets made by user socket functions alone: no O_NONBLOCK, no options.
  int fd = ::socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd >= 0 && type == SOCK_STREAM) {
    int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }
  return fd < 0 ? ARES_SOCKET_BAD : fd;
}

// c-ares has already dropped a watched socket from the set through on_socket_state(fd, 0, 0).
int AresChannel::close_socket(ares_socket_t fd, void*) noexcept { return ::close(fd); }

}  // namespace spindle::detail
