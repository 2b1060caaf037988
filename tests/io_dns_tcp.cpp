// DNS over TCP against dnsmasq, which closes a connection after 100 queries: c-ares 1.18 then
// writes to a closed socket, which must not raise SIGPIPE (the process keeps SIGPIPE's default,
// deadly disposition here), and every lookup still gets its answer.
#include "dnsmasq.hpp"
#include "real_clock.hpp"

#include <signal.h>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("more than 100 lookups over one TCP connection survive dnsmasq closing it", "[io][dns][tcp]") {
  struct sigaction current {};
  REQUIRE(::sigaction(SIGPIPE, nullptr, &current) == 0);
  REQUIRE(current.sa_handler == SIG_DFL);  // a SIGPIPE would kill this test binary
  test::Dnsmasq server({.wildcards = {"/tcp.test/10.4.4.4"}, .local_domains = {"test"}});
  test::run_real_clock([&] {
        Resolver resolver({.servers = {SocketAddress::loopback_v4(server.port())}, .use_tcp = true});
        constexpr int lookups = 450;
        int answered = 0;
        std::vector<JoinHandle<void>> fibers;
        for (int i = 0; i < lookups; ++i) {
          fibers.push_back(spawn([&, i] {
            auto found = resolver.resolve("n" + std::to_string(i) + ".tcp.test", 53, AF_INET, 30s);
            CHECK(found == std::vector<SocketAddress>{SocketAddress::ip("10.4.4.4", 53)});
            ++answered;
          }));
        }
        for (auto& fiber : fibers) fiber.join();
        CHECK(answered == lookups);
  });
}
