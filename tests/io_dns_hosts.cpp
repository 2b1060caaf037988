// The hosts file answers before any server is asked: every IPv4 entry of /etc/hosts resolves to
// its address at once, even when the only server configured never answers.
#include "fake_dns.hpp"
#include "leak_check.hpp"

#include <arpa/inet.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// name -> IPv4 addresses, as the file lists them (names are case-insensitive; kept as written).
std::map<std::string, std::set<std::string>> ipv4_entries(const char* path) {
  std::map<std::string, std::set<std::string>> entries;
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) {
    line = line.substr(0, line.find('#'));
    std::istringstream fields(line);
    std::string address;
    in_addr parsed{};
    if (!(fields >> address) || ::inet_pton(AF_INET, address.c_str(), &parsed) != 1) continue;
    for (std::string name; fields >> name;) entries[name].insert(address);
  }
  return entries;
}

std::set<std::string> hosts_of(const std::vector<SocketAddress>& addresses) {
  std::set<std::string> hosts;
  for (const SocketAddress& address : addresses) hosts.insert(address.host());
  return hosts;
}

}  // namespace

TEST_CASE("names in /etc/hosts resolve from the file without asking the server", "[io][dns]") {
  auto entries = ipv4_entries("/etc/hosts");
  REQUIRE(entries.count("localhost") == 1);  // every Debian system lists it
  test::SilentDns silent;
  test::run_virtual([&] {
    Resolver resolver({.servers = {silent.address()}});
    TimePoint start = now();
    for (const auto& [name, addresses] : entries) {
      INFO(name);
      auto found = resolver.resolve(name, 631, AF_INET, 5s);
      CHECK(hosts_of(found) == addresses);
      for (const SocketAddress& address : found) CHECK(address.port() == 631);
    }
    CHECK(now() == start);      // no wait at all
    CHECK(silent.drain() == 0);  // and nothing sent
  });
}

TEST_CASE("the per-thread resolver also reads /etc/hosts and answers localhost at once", "[io][dns]") {
  test::run_virtual([] {
    TimePoint start = now();
    auto found = resolve("localhost", 8080, {.family = AF_INET});
    CHECK(hosts_of(found) == std::set<std::string>{"127.0.0.1"});
    CHECK(found.front().port() == 8080);
    CHECK(now() == start);
  });
  // Outside a fiber a name cannot wait for anything, not even a hosts-file lookup.
  Scheduler scheduler({.virtual_clock = true});
  CHECK_THROWS_AS(resolve("localhost", 80), FiberError);
}
