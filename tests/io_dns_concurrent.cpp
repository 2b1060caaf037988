// 10,000 lookups at once against dnsmasq: all answered correctly, with the in-flight bound held,
// a handful of descriptors and no thread per lookup.
#include "dnsmasq.hpp"
#include "real_clock.hpp"

#include <dirent.h>

#include <algorithm>

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
  const std::size_t fds_before = test::open_fd_count();
  const std::size_t threads_before = thread_count();
  test::run_real_clock([&] {
        Resolver resolver({.servers = {SocketAddress::loopback_v4(server.port())}, .max_in_flight = 128});
        std::size_t most_in_flight = 0;
        std::size_t most_queued = 0;
        std::size_t most_fds = 0;
        std::size_t most_threads = 0;
        int answered = 0;
        std::vector<JoinHandle<void>> fibers;
        fibers.reserve(lookups);
        for (int i = 0; i < lookups; ++i) {
          fibers.push_back(spawn([&, i] {
            most_in_flight = std::max(most_in_flight, resolver.in_flight());
            most_queued = std::max(most_queued, resolver.queued());
            auto found = resolver.resolve("host" + std::to_string(i) + ".bulk.test", 443, AF_INET, 30s);
            REQUIRE(found == std::vector<SocketAddress>{SocketAddress::ip("10.7.7.7", 443)});
            ++answered;
            if (answered % 500 == 0) {
              most_fds = std::max(most_fds, test::open_fd_count());
              most_threads = std::max(most_threads, thread_count());
            }
          }));
        }
        for (auto& fiber : fibers) fiber.join();
        CHECK(answered == lookups);
        CHECK(most_in_flight <= 128);
        CHECK(most_in_flight > 64);  // they really were concurrent
        CHECK(most_queued > 0);      // and the bound held the rest back
        // The channel's one UDP socket and its epoll set (and the scheduler's own descriptors).
        CHECK(most_fds <= fds_before + 8);
        CHECK(most_threads == threads_before);
        CHECK(resolver.in_flight() == 0);
  });
}
