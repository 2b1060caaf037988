// resolve: look up many names at once, through spindle's c-ares resolver, one fiber per lookup.
//
//   resolve localhost example.com                 system servers (resolv.conf), both families
//   resolve --server 127.0.0.1:5353 --concurrency 200 --family 4 $(cat names.txt)
//
// Prints one line per name, in the order given: the addresses, or the error. The summary (how
// many, how long) goes to stderr. Exits 1 if any name failed.
#include <spindle/spindle.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "command_line.hpp"

using namespace spindle;

int main(int argc, char** argv) {
  CommandLine command_line{"Resolve many host names concurrently with spindle's c-ares resolver"};
  std::vector<std::string> names;
  std::vector<std::string> servers;
  std::size_t concurrency = 100;
  std::string family_text = "any";
  double timeout_seconds = 5.0;
  bool tcp = false;
  command_line.add_option("names", names, "Host names (or literals) to resolve").required();
  command_line.add_option("--server", servers, "DNS server as IP:PORT, repeatable (default: resolv.conf's)");
  command_line.add_option("--concurrency", concurrency, "Lookups in flight at once").positive();
  command_line.add_option("--family", family_text, "4, 6 or any").one_of({"4", "6", "any"});
  command_line.add_option("--timeout", timeout_seconds, "Seconds per lookup").positive();
  command_line.add_flag("--tcp", tcp, "Query over TCP");
  if (auto status = command_line.parse(argc, argv)) return *status;

  ResolverOptions options{.use_tcp = tcp, .max_in_flight = concurrency};
  for (const std::string& server : servers) options.servers.push_back(SocketAddress::parse(server));
  const int family = family_text == "4" ? AF_INET : family_text == "6" ? AF_INET6 : AF_UNSPEC;
  const auto timeout = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(timeout_seconds));

  std::vector<std::string> lines(names.size());
  std::size_t failures = 0;
  auto started = std::chrono::steady_clock::now();
  Scheduler scheduler;
  scheduler.run([&] {
    Resolver resolver(options);
    std::vector<JoinHandle<void>> lookups;
    lookups.reserve(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) {
      lookups.push_back(spawn([&, i] {
        std::string& line = lines[i];
        line = names[i] + ":";
        try {
          for (const SocketAddress& address : resolver.resolve(names[i], 0, family, timeout)) line += " " + address.host();
        } catch (const std::exception& error) {  // DnsError, TimeoutError
          line += std::string(" error: ") + error.what();
          ++failures;
        }
      }));
    }
    for (auto& lookup : lookups) lookup.join();
  });
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (const std::string& line : lines) std::printf("%s\n", line.c_str());
  std::fprintf(stderr, "resolved %zu names (%zu failed) in %.3f s, up to %zu in flight\n", names.size(), failures,
               seconds, concurrency);
  return failures == 0 ? 0 : 1;
}
