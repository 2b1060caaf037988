#include <spindle/io/happy_eyeballs.hpp>

#include <spindle/fibers/errors.hpp>
#include <spindle/fibers/park.hpp>
#include <spindle/fibers/spawn.hpp>
#include <spindle/io/errors.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace spindle {
namespace {

// What the attempts share with the caller. Held by shared pointer: an attempt that outlives the
// caller's frame (the caller cancelled twice while waiting for the losers) still finds it.
struct Race {
  Waker caller;  // cleared before the caller's frame goes
  Socket winner;
  std::size_t failed = 0;
  std::exception_ptr last_error;
  int last_errno = 0;
  bool all_io_errors = true;
};

void attempt(const std::shared_ptr<Race>& race, const SocketAddress& address, Deadline deadline) {
  try {
    Socket socket = Socket::open(address.family(), SOCK_STREAM);
    socket.connect(address, deadline);
    if (!race->winner) race->winner = std::move(socket);  // a later winner just closes
  } catch (const CancelledError&) {
    return;  // lost the race; the caller no longer listens
  } catch (const IoError& error) {
    ++race->failed;
    race->last_error = std::current_exception();
    race->last_errno = error.code().value();
  } catch (...) {
    ++race->failed;
    race->last_error = std::current_exception();
    race->all_io_errors = false;
  }
  if (race->caller) race->caller.unpark();
}

std::string list(std::span<const SocketAddress> addresses) {
  std::string text;
  for (const SocketAddress& address : addresses) text += (text.empty() ? "" : ", ") + address.to_string();
  return text;
}

}  // namespace

std::vector<SocketAddress> interleave_families(std::span<const SocketAddress> addresses) {
  std::vector<SocketAddress> first, other;
  for (const SocketAddress& address : addresses) {
    (address.family() == addresses.front().family() ? first : other).push_back(address);
  }
  std::vector<SocketAddress> order;
  order.reserve(addresses.size());
  for (std::size_t i = 0; i < first.size() || i < other.size(); ++i) {
    if (i < first.size()) order.push_back(first[i]);
    if (i < other.size()) order.push_back(other[i]);
  }
  return order;
}

Socket connect_happy_eyeballs(std::span<const SocketAddress> addresses, Deadline deadline, Duration attempt_delay) {
  if (addresses.empty()) throw std::invalid_argument("connect: no address to connect to");
  if (addresses.size() == 1) {
    Socket socket = Socket::open(addresses[0].family(), SOCK_STREAM);
    socket.connect(addresses[0], deadline);
    return socket;
  }
  std::vector<SocketAddress> order = interleave_families(addresses);
  auto race = std::make_shared<Race>();
  race->caller = Waker::current();
  std::vector<JoinHandle<void>> attempts;
  attempts.reserve(order.size());
  struct StopLosers {
    Race& race;
    std::vector<JoinHandle<void>>& attempts;
    ~StopLosers() {
      race.caller = Waker{};
      for (auto& each : attempts) each.cancel("happy eyeballs: another attempt won");
      for (auto& each : attempts) {
        try {
          each.wait();
        } catch (...) {  // cancelled again while waiting: the attempts still end on their own
          return;
        }
      }
    }
  } stop_losers{*race, attempts};

  std::size_t started = 0;
  std::size_t failures_seen = 0;
  TimePoint next_start = now();
  for (;;) {
    if (race->winner) return std::move(race->winner);
    bool fresh_failure = race->failed > failures_seen;
    failures_seen = race->failed;
    if (started < order.size() && (fresh_failure || now() >= next_start)) {
      const SocketAddress& address = order[started++];
      attempts.push_back(spawn([race, address, deadline] { attempt(race, address, deadline); },
                               SpawnOptions{.name = "connect to " + address.to_string()}));
      next_start = now() + attempt_delay;
      continue;
    }
    if (race->failed == order.size()) {
      if (!race->all_io_errors) std::rethrow_exception(race->last_error);
      throw_io_error(race->last_errno, "connect to", list(order));
    }
    std::optional<TimePoint> until = deadline.when();
    if (started < order.size()) until = until ? std::min(*until, next_start) : next_start;
    if (until) {
      park_until("connect: happy eyeballs", *until);
    } else {
      park("connect: happy eyeballs");
    }
    if (deadline && now() >= *deadline.when() && !race->winner) {
      throw TimeoutError("connect to " + list(order) + ": timed out");
    }
  }
}

}  // namespace spindle
