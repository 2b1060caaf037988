// A DNS server that never answers: the lookup ends in TimeoutError at its deadline, on the virtual
// clock, whether the caller gave the time or the resolver's retry policy did; nothing is left behind.
#include "fake_dns.hpp"
#include "leak_check.hpp"

using namespace spindle;
using namespace std::chrono_literals;

namespace {

std::string timeout_message(Resolver& resolver, std::string_view host, std::optional<Duration> timeout) {
  try {
    resolver.resolve(host, 80, AF_INET, timeout);
  } catch (const TimeoutError& error) {
    return error.what();
  }
  FAIL("no TimeoutError");
  return "";
}

}  // namespace

TEST_CASE("a silent server gives TimeoutError at exactly the lookup's timeout, naming host and server",
          "[io][dns][timeout]") {
  test::SilentDns silent;
  test::run_virtual([&] {
    Resolver resolver({.servers = {silent.address()}});
    TimePoint start = now();
    std::string message = timeout_message(resolver, "quiet.test", 2s);
    CHECK(now() - start == 2s);
    CHECK(message == "resolve 'quiet.test' via " + silent.address().to_string() + ": no answer within 2.000 s");
    CHECK(resolver.in_flight() == 0);
  });
}

TEST_CASE("without a timeout the lookup ends when the resolver's tries would have", "[io][dns][timeout]") {
  test::SilentDns silent;
  test::run_virtual([&] {
    // Two tries of 300 ms, the second doubled as c-ares does after each round: 900 ms in all.
    Resolver resolver({.servers = {silent.address()}, .attempt_timeout = 300ms, .tries = 2});
    TimePoint start = now();
    CHECK_THROWS_AS(resolver.resolve("quiet.test", 80), TimeoutError);
    CHECK(now() - start == 900ms);

    Resolver bounded({.servers = {silent.address()}, .timeout = 1500ms});
    start = now();
    CHECK_THROWS_AS(bounded.resolve("quiet.test", 80), TimeoutError);
    CHECK(now() - start == 1500ms);

    // resolve() with tries: a resolver of its own for the call, with resolv.conf's attempt time.
    start = now();
    CHECK_THROWS_AS(resolve("quiet.test", 80, {.timeout = 700ms, .servers = {silent.address()}, .tries = 1}),
                    TimeoutError);
    CHECK(now() - start == 700ms);
  });
}

TEST_CASE("many lookups against a silent server all time out at their own deadlines", "[io][dns][timeout]") {
  test::SilentDns silent;
  test::run_virtual([&] {
    Resolver resolver({.servers = {silent.address()}, .max_in_flight = 8});
    TimePoint start = now();
    std::vector<JoinHandle<Duration>> lookups;
    for (int i = 0; i < 40; ++i) {
      lookups.push_back(spawn([&, i] {
        Duration timeout = 1s + 100ms * (i % 4);
        CHECK_THROWS_AS(resolver.resolve("n" + std::to_string(i) + ".quiet.test", 80, AF_INET, timeout), TimeoutError);
        return now() - start;
      }));
    }
    for (int i = 0; i < 40; ++i) CHECK(lookups[static_cast<std::size_t>(i)].join() == 1s + 100ms * (i % 4));
    CHECK(resolver.in_flight() == 0);
    CHECK(resolver.queued() == 0);
  });
}

TEST_CASE("a lookup waiting for a slot in flight times out at its own deadline", "[io][dns][timeout]") {
  test::SilentDns silent;
  test::run_virtual([&] {
    Resolver resolver({.servers = {silent.address()}, .max_in_flight = 1});
    TimePoint start = now();
    auto holder = spawn([&] { CHECK_THROWS_AS(resolver.resolve("first.quiet.test", 80, AF_INET, 3s), TimeoutError); });
    auto queued = spawn([&] {
      CHECK_THROWS_AS(resolver.resolve("second.quiet.test", 80, AF_INET, 500ms), TimeoutError);
      return now() - start;
    });
    CHECK(queued.join() == 500ms);
    holder.join();
    CHECK(now() - start == 3s);
    CHECK(resolver.in_flight() == 0);
  });
}
