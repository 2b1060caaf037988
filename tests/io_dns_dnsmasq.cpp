// resolve() against a real dnsmasq on loopback: families, order, ports, search domains and ndots
// from a resolv.conf, and the answers that say no (NXDOMAIN, NODATA, REFUSED).
#include "dnsmasq.hpp"
#include "real_clock.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

test::DnsmasqConfig zone() {
  return {.hosts = {"10.0.0.5 web.test", "fd00::5 web.test", "10.0.0.6 only4.test", "fd00::7 only6.test",
                    "10.0.0.8 db.corp.internal", "10.0.0.9 a.b.internal"},
          .wildcards = {"/wild.test/10.9.9.9"},
          .local_domains = {"test", "internal"}};
}

std::vector<std::string> hosts_of(const std::vector<SocketAddress>& addresses) {
  std::vector<std::string> hosts;
  for (const SocketAddress& address : addresses) hosts.push_back(address.host());
  return hosts;
}

DnsError::Code failure_code(Resolver& resolver, std::string_view host, int family = AF_UNSPEC) {
  try {
    resolver.resolve(host, 80, family);
  } catch (const DnsError& error) {
    CHECK(std::string(error.what()).find(std::string(host)) != std::string::npos);
    CHECK(std::string(error.what()).find(resolver.servers()) != std::string::npos);
    return error.code();
  }
  FAIL("resolving " << host << " did not fail");
  return DnsError::Code::other;
}

}  // namespace

TEST_CASE("a name from dnsmasq resolves to its addresses with the port filled in", "[io][dns]") {
  test::Dnsmasq server(zone());
  test::run_real_clock([&] {
    auto server_address = SocketAddress::loopback_v4(server.port());
    auto v4 = resolve("web.test", 8080, {.family = AF_INET, .servers = {server_address}});
    REQUIRE(v4.size() == 1);
    CHECK(v4[0] == SocketAddress::ip("10.0.0.5", 8080));

    auto v6 = resolve("web.test", 443, {.family = AF_INET6, .servers = {server_address}});
    REQUIRE(v6.size() == 1);
    CHECK(v6[0] == SocketAddress::ip("fd00::5", 443));

    auto both = resolve("web.test", 22, {.servers = {server_address}});
    auto hosts = hosts_of(both);
    std::sort(hosts.begin(), hosts.end());
    CHECK(hosts == std::vector<std::string>{"10.0.0.5", "fd00::5"});
    for (const SocketAddress& address : both) CHECK(address.port() == 22);

    auto wild = resolve("anything.at.all.wild.test", 1, {.family = AF_INET, .servers = {server_address}});
    REQUIRE(wild.size() == 1);
    CHECK(wild[0].host() == "10.9.9.9");
  });
}

TEST_CASE("one Resolver serves many lookups and its servers appear in its description", "[io][dns]") {
  test::Dnsmasq server(zone());
  test::run_real_clock([&] {
    Resolver resolver({.servers = {SocketAddress::loopback_v4(server.port())}});
    CHECK(resolver.servers() == "127.0.0.1:" + std::to_string(server.port()));
    for (int round = 0; round < 3; ++round) {
      CHECK(hosts_of(resolver.resolve("only4.test", 80, AF_INET)) == std::vector<std::string>{"10.0.0.6"});
      CHECK(hosts_of(resolver.resolve("only6.test", 80, AF_INET6)) == std::vector<std::string>{"fd00::7"});
    }
    CHECK(resolver.in_flight() == 0);
  });
}

TEST_CASE("an unknown name is not_found, a missing family no_address, a foreign domain refused", "[io][dns]") {
  test::Dnsmasq server(zone());
  test::run_real_clock([&] {
    Resolver resolver({.servers = {SocketAddress::loopback_v4(server.port())}, .tries = 1});
    CHECK(failure_code(resolver, "nosuch.test") == DnsError::Code::not_found);
    CHECK(failure_code(resolver, "only4.test", AF_INET6) == DnsError::Code::no_address);
    CHECK(failure_code(resolver, "only6.test", AF_INET) == DnsError::Code::no_address);
    // dnsmasq has no upstream to forward example.org to, so it answers REFUSED.
    CHECK(failure_code(resolver, "example.org") == DnsError::Code::refused);
    try {
      resolver.resolve("nosuch.test", 80);
    } catch (const DnsError& error) {
      CHECK(std::string(error.what()) == "resolve 'nosuch.test' via 127.0.0.1:" + std::to_string(server.port()) +
                                             ": no such domain (NXDOMAIN)");
    }
  });
}

TEST_CASE("search domains and ndots come from resolv.conf", "[io][dns]") {
  test::Dnsmasq server(zone());
  char path[] = "/tmp/spindle-resolv-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  {
    std::ofstream file(path);
    file << "nameserver 127.0.0.1\nsearch corp.internal internal\noptions ndots:2 timeout:1 attempts:1\n";
  }
  test::run_real_clock([&] {
    ResolverOptions options{.servers = {SocketAddress::loopback_v4(server.port())}, .resolv_conf = path};
    Resolver resolver(options);
    // "db" has fewer than 2 dots: the search list is tried first, db.corp.internal answers.
    CHECK(hosts_of(resolver.resolve("db", 80, AF_INET)) == std::vector<std::string>{"10.0.0.8"});
    // "a.b" also has fewer dots than ndots: corp.internal fails, then a.b.internal answers.
    CHECK(hosts_of(resolver.resolve("a.b", 80, AF_INET)) == std::vector<std::string>{"10.0.0.9"});
    // A trailing dot makes the name absolute: no search list.
    CHECK(failure_code(resolver, "db.", AF_INET) != DnsError::Code::bad_name);

    // The same file with the search list replaced in code.
    options.search = std::vector<std::string>{"test"};
    Resolver replaced(options);
    CHECK(hosts_of(replaced.resolve("web", 80, AF_INET)) == std::vector<std::string>{"10.0.0.5"});
    // db.test does not exist and dnsmasq refuses the bare "db" (outside its local domains), which
    // is the last name tried.
    CHECK(failure_code(replaced, "db", AF_INET) == DnsError::Code::refused);
  });
  std::remove(path);
}
