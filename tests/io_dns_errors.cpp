// Servers that say no: REFUSED, SERVFAIL, a closed port, and several servers that all refuse, each
// a distinct DnsError code with a message naming host and servers.
#include "fake_dns.hpp"
#include "real_clock.hpp"

using namespace spindle;
using namespace std::chrono_literals;

namespace {

DnsError failure(Resolver& resolver, std::string_view host) {
  try {
    resolver.resolve(host, 80, AF_INET, 10s);
  } catch (const DnsError& error) {
    return error;
  }
  FAIL("no DnsError for " << host);
  throw std::logic_error("unreachable");
}

// A loopback UDP port that nothing listens on: queries to it draw ICMP port unreachable.
SocketAddress closed_port() {
  test::SilentDns probe;
  return probe.address();  // the socket closes here, and the port with it
}

}  // namespace

TEST_CASE("REFUSED and SERVFAIL answers are refused and server_failure", "[io][dns][errors]") {
  test::run_real_clock([] {
    test::FakeDns server([](const std::string& name) {
      return name.starts_with("refuse") ? test::FakeReply::refused : test::FakeReply::server_failure;
    });
    Resolver resolver({.servers = {server.address()}, .tries = 3});
    DnsError refused = failure(resolver, "refuse.test");
    CHECK(refused.code() == DnsError::Code::refused);
    CHECK(std::string(refused.what()) ==
          "resolve 'refuse.test' via " + server.address().to_string() + ": the server refused the query (REFUSED)");
    CHECK(refused.servers() == server.address().to_string());
    DnsError failed = failure(resolver, "broken.test");
    CHECK(failed.code() == DnsError::Code::server_failure);
    CHECK(std::string(failed.what()).find("server failure (SERVFAIL)") != std::string::npos);
    CHECK(server.queries() == 2);  // one answer is final: no retries of a REFUSED or SERVFAIL
  });
}

TEST_CASE("a closed server port is unreachable", "[io][dns][errors]") {
  test::run_real_clock([] {
    auto nobody = closed_port();
    Resolver resolver({.servers = {nobody}, .tries = 2});
    DnsError error = failure(resolver, "any.test");
    CHECK(error.code() == DnsError::Code::unreachable);
    CHECK(std::string(error.what()) ==
          "resolve 'any.test' via " + nobody.to_string() + ": the server's port is closed (connection refused)");
  });
}

TEST_CASE("with several servers that all refuse, the error names them all", "[io][dns][errors]") {
  test::run_real_clock([] {
    auto refuse = [](const std::string&) { return test::FakeReply::refused; };
    test::FakeDns first(refuse);
    test::FakeDns second(refuse);
    Resolver resolver({.servers = {first.address(), second.address()}, .tries = 1});
    CHECK(resolver.servers() == first.address().to_string() + ", " + second.address().to_string());
    DnsError error = failure(resolver, "nobody.test");
    CHECK(error.code() == DnsError::Code::unreachable);
    CHECK(std::string(error.what()).find(resolver.servers() + ": no server gave an answer") != std::string::npos);
    CHECK(first.queries() == 1);
    CHECK(second.queries() == 1);  // c-ares moved on to the second server after the first refused
  });
}
