// 10,000 lookups at once against dnsmasq: all answered correctly, with the in-flight bound held,
// a handful of descriptors and no thread per lookup.
#include "dnsmasq.hpp"
#include "real_clock.hpp"

#include <dirent.h>
#include <signal.h>

#include <algorithm>
#include <optional>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

std::size_t thread_count() {
  std::size_t count = 0;
  if (DIR* dir = ::opendir("/proc/self/task")) {
    while (dirent* entry = ::readdir(dir)) count += entry->d_name[0] != '.';
    ::closedir(dir);
  }
  return count;
}

}  // namespace

TEST_CASE("10k concurrent lookups all succeed within the in-flight bound", "[io][dns][load]") {
  test::Dnsmasq server({.wildcards = {"/bulk.test/10.7.7.7"}, .local_domains = {"test"}});
  constexpr int lookups = 10'000;
  constexpr std::size_t bound = 128;
  const std::size_t fds_before = test::open_fd_count();
  const std::size_t threads_before = thread_count();
  test::run_real_clock([&] {
        Resolver resolver({.servers = {SocketAddress::loopback_v4(server.port())}, .max_in_flight = bound});
        // dnsmasq is stopped while the lookups start, so none is answered before all have started:
        // how many are in flight and how many wait then depends on the bound alone, not on how
        // fast the server answers (it does so from its socket buffer once it is continued).
        struct Paused {
          pid_t pid;
          explicit Paused(pid_t pid) : pid(pid) { ::kill(pid, SIGSTOP); }
          ~Paused() { ::kill(pid, SIGCONT); }
        };
        std::optional<Paused> paused(std::in_place, server.pid());
        std::size_t most_fds = 0;
        std::size_t most_threads = 0;
        int answered = 0;
        std::vector<JoinHandle<void>> fibers;
        fibers.reserve(lookups);
        for (int i = 0; i < lookups; ++i) {
          fibers.push_back(spawn([&, i] {
            auto found = resolver.resolve("host" + std::to_string(i) + ".bulk.test", 443, AF_INET, 30s);
            REQUIRE(found == std::vector<SocketAddress>{SocketAddress::ip("10.7.7.7", 443)});
            ++answered;
            if (answered % 500 == 0) {
              most_fds = std::max(most_fds, test::open_fd_count());
              most_threads = std::max(most_threads, thread_count());
            }
          }));
        }
        this_fiber::yield();  // every lookup fiber runs to its first wait before this one resumes
        CHECK(resolver.in_flight() == bound);           // they really were concurrent
        CHECK(resolver.queued() == lookups - bound);    // and the bound held the rest back
        paused.reset();
        for (auto& fiber : fibers) fiber.join();
        CHECK(answered == lookups);
        // The channel's one UDP socket and its epoll set (and the scheduler's own descriptors).
        CHECK(most_fds <= fds_before + 8);
        CHECK(most_threads == threads_before);
        CHECK(resolver.in_flight() == 0);
  });
}
