// AresChannel: one c-ares channel driven by the calling thread's scheduler. Resolver's insides.
//
// Why the lookups drive the channel themselves (leader and followers) rather than a driver fiber.
// c-ares wants someone to watch its sockets and call ares_process_fd() when they are ready or when
// its next retry is due (ares_timeout()). A lookup fiber has nothing else to do while it waits, so
// one of them, the leader, does that watching; the others park until their own answer's callback
// unparks them. When the leader's own answer arrives (or it times out, or is cancelled) it hands the
// role to the longest-waiting follower. So nothing outlives the lookups: when the last one returns
// there is no fiber, timer or watched descriptor left, which a detached driver fiber could not
// promise to the caller who just got a TimeoutError.
//
// The leader waits on one descriptor whatever the number of c-ares sockets: an epoll set of its
// own (level-triggered, fed by c-ares's socket-state callback), which the scheduler's reactor sees
// as one readable fd. It drains the set without blocking before parking, so a socket that stays
// readable is never missed. The socket functions are ours so that TCP writes use MSG_NOSIGNAL:
// dnsmasq closes a TCP connection after 100 queries and c-ares 1.18's plain writev would then
// raise SIGPIPE.
//
// Each lookup's state is on the heap, not the fiber's stack: a lookup that times out or is
// cancelled marks it abandoned and leaves, and c-ares's callback frees it whenever it comes. When
// the last live lookup leaves, any abandoned queries are cancelled in c-ares (ares_cancel), so no
// query waits for a driver that no longer exists.
#pragma once

#include <spindle/fibers/clock.hpp>
#include <spindle/fibers/wait_list.hpp>
#include <spindle/io/file_descriptor.hpp>
#include <spindle/io/resolver.hpp>
#include <spindle/io/socket_address.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct ares_channeldata;
struct ares_options;
struct ares_addrinfo;

namespace spindle::detail {

struct PendingLookup;

class AresChannel : public std::enable_shared_from_this<AresChannel> {
 public:
  explicit AresChannel(const ResolverOptions& options);
  ~AresChannel();
  AresChannel(const AresChannel&) = delete;
  AresChannel& operator=(const AresChannel&) = delete;

  // `host` is a valid name (host_name_problem said nothing); literals are answered by the caller.
  std::vector<SocketAddress> resolve(std::string_view host, std::uint16_t port, int family,
                                     std::optional<Duration> timeout);

  const std::string& servers() const noexcept { return servers_; }
  std::size_t in_flight() const noexcept { return submitted_; }
  std::size_t queued() const noexcept { return slot_waiters_.size(); }

 private:
  struct ExitGuard;

  void open_channel(ares_options& settings, int mask, const ResolverOptions& options);
  void acquire_slot(std::string_view host, TimePoint deadline, Duration limit);
  void release_slot() noexcept;
  // Leads until `lookup` is answered (true) or `deadline` passes (false).
  bool lead(PendingLookup& lookup, TimePoint deadline);
  bool process_ready_sockets();
  void wake_leader_if_late() noexcept;
  // After a lookup left: hand the lead on, or, if it was the last, clean the channel up.
  void settle() noexcept;
  int socket_set();
  [[noreturn]] void throw_timeout(std::string_view host, Duration limit) const;
  [[noreturn]] void throw_failure(std::string_view host, int status, int family) const;

  static void on_answer(void* arg, int status, int timeouts, ares_addrinfo* result) noexcept;
  static void on_socket_state(void* data, int fd, int readable, int writable) noexcept;
  static int open_socket(int domain, int type, int protocol, void* data) noexcept;
  static int close_socket(int fd, void* data) noexcept;

  ares_channeldata* channel_ = nullptr;
  std::string servers_;
  Duration attempt_timeout_{};
  Duration lookup_timeout_{};
  std::size_t max_in_flight_;
  int socket_buffer_bytes_;

  FileDescriptor socket_set_;       // epoll set of c-ares's sockets, made at the first query
  std::size_t slots_in_use_ = 0;    // queries in c-ares, plus slots handed to waiters not yet sent
  std::size_t submitted_ = 0;       // queries in c-ares whose callback has not run
  std::size_t live_ = 0;            // lookups still waiting for their answer in resolve()
  WaitList slot_waiters_;
  WaitList followers_;
  PendingLookup* leader_ = nullptr;
  TimePoint leader_wakes_at_{};
};

}  // namespace spindle::detail
