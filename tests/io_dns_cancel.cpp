// Cancelling lookups: the cancelled fiber unwinds at once, the others still get their answers
// (including when the cancelled one was watching the channel's sockets for everybody), and the
// abandoned query is cleaned up by the time the last lookup ends.
#include "fake_dns.hpp"
#include "real_clock.hpp"

using namespace spindle;
using namespace std::chrono_literals;

namespace {

auto hold_everything = [](const std::string&) { return test::FakeReply::hold; };

// Two lookups parked on a server that holds their queries: `first` leads (it parked first and
// watches the sockets for both), `second` follows.
struct TwoHeldLookups {
  test::FakeDns server{hold_everything};
  Resolver resolver{{.servers = {server.address()}}};
  JoinHandle<std::vector<SocketAddress>> first = spawn([this] { return resolver.resolve("first.test", 80, AF_INET, 10s); });
  JoinHandle<std::vector<SocketAddress>> second =
      spawn([this] { return resolver.resolve("second.test", 80, AF_INET, 10s); });
  TwoHeldLookups() { server.wait_for_queries(2); }
};

}  // namespace

TEST_CASE("cancelling the lookup that drives the channel hands the job to the next one", "[io][dns][cancel]") {
  test::run_real_clock([] {
    TwoHeldLookups held;
    auto& [server, resolver, first, second] = held;
    CHECK(first.cancel("stop it"));
    CHECK_THROWS_WITH(first.join(), "stop it");
    CHECK_FALSE(second.done());
    server.release("second.test", "10.2.2.2");
    CHECK(second.join() == std::vector<SocketAddress>{SocketAddress::ip("10.2.2.2", 80)});
    CHECK(resolver.in_flight() == 0);  // the abandoned query went when the last lookup ended
  });
}

TEST_CASE("cancelling a waiting lookup leaves the driving one alone", "[io][dns][cancel]") {
  test::run_real_clock([] {
    TwoHeldLookups held;
    auto& [server, resolver, first, second] = held;
    second.cancel();
    CHECK_THROWS_AS(second.join(), CancelledError);
    CHECK(resolver.in_flight() == 2);  // its query stays with c-ares while another lookup lives
    server.release("first.test", "10.1.1.1");
    CHECK(first.join() == std::vector<SocketAddress>{SocketAddress::ip("10.1.1.1", 80)});
    CHECK(resolver.in_flight() == 0);
  });
}

TEST_CASE("a lookup cancelled while it waits for a slot never sends its query", "[io][dns][cancel]") {
  test::run_real_clock([] {
    test::FakeDns server(hold_everything);
    Resolver resolver({.servers = {server.address()}, .max_in_flight = 1});
    auto holder = spawn([&] { return resolver.resolve("holder.test", 80, AF_INET, 10s); });
    auto queued = spawn([&] { return resolver.resolve("queued.test", 80, AF_INET, 10s); });
    auto next = spawn([&] { return resolver.resolve("next.test", 80, AF_INET, 10s); });
    server.wait_for_queries(1);
    this_fiber::yield();  // the other two reach the slot queue
    CHECK(resolver.queued() == 2);
    queued.cancel();
    CHECK_THROWS_AS(queued.join(), CancelledError);
    CHECK(resolver.queued() == 1);
    server.release("holder.test", "10.0.0.1");
    CHECK(holder.join().front().host() == "10.0.0.1");
    server.wait_for_queries(2);  // the slot went to `next`, not to the cancelled one
    server.release("next.test", "10.0.0.3");
    CHECK(next.join().front().host() == "10.0.0.3");
    CHECK(server.queries() == 2);
  });
}

TEST_CASE("a scheduler shut down with lookups in flight unwinds them and leaks nothing", "[io][dns][cancel]") {
  test::SilentDns silent;
  Resolver resolver({.servers = {silent.address()}});
  {
    Scheduler scheduler;
    bool unwound = false;
    scheduler.run([&] {
      spawn([&] {
        test::SetOnDestroy flag{unwound};
        resolver.resolve("never.test", 80, AF_INET, 1h);
      });
      spawn([&] { resolver.resolve("never2.test", 80, AF_INET, 1h); });
      this_fiber::yield();
      this_fiber::yield();
    });
    CHECK(unwound);
  }
  CHECK(resolver.in_flight() == 0);
}
