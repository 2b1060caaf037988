// DNS benchmark: 10k lookups of distinct names against dnsmasq on loopback (run under
// with_dnsmasq, which sets DNS_SERVER), 100 in flight, family AF_INET; every answer is checked.
// The peers in peers/dns_* run the very same workload: a plain C c-ares program, 50 glibc
// getaddrinfo threads, and Python's loop.getaddrinfo.
//
//   resolve      100 worker fibers, each resolving names one after another from a shared counter
//   resolve_all  one fiber per name, all 10k spawned at once; the Resolver's bound keeps 100 in flight
//
// Both first resolve 100 names untimed (warm-up), then time 10k others: wall time, and the process's
// CPU time per lookup (dnsmasq's own is not counted, for any program).
#include <spindle/spindle.hpp>

#include "bench_harness.hpp"

#include <sys/resource.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

using namespace spindle;
using spindle::bench::metric;
using spindle::bench::scaled;

namespace {

constexpr std::size_t in_flight = 100;

SocketAddress server_from_environment() {
  const char* server = std::getenv("DNS_SERVER");
  if (server == nullptr) throw std::runtime_error("DNS_SERVER is not set: run under with_dnsmasq");
  return SocketAddress::parse(server);
}

void check(const std::vector<SocketAddress>& found) {
  if (found.size() != 1 || found[0].host() != "10.1.2.3") throw std::runtime_error("wrong answer from dnsmasq");
}

std::string name(const char* prefix, long index) { return prefix + std::to_string(index) + ".bench.test"; }

// Process CPU time (user + system, all threads), in seconds. On a shared machine the wall time
// swings with the neighbours' load; the CPU each program spends per lookup much less so.
double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Timing {
  Clock::time_point wall = Clock::now();
  double cpu = cpu_seconds();
};

void report(const char* what, const Timing& start, long count) {
  double wall = bench::nanoseconds_since(start.wall) / 1e9;
  double cpu = cpu_seconds() - start.cpu;
  metric((std::string(what) + "_total").c_str(), wall * 1e3, "ms");
  metric((std::string(what) + "_per_lookup").c_str(), wall * 1e6 / static_cast<double>(count), "us");
  metric((std::string(what) + "_cpu_per_lookup").c_str(), cpu * 1e6 / static_cast<double>(count), "us");
}

// Runs `lookups(resolver, prefix, count)` for the 100 warm-up names, then times it for the real ones.
template <class Lookups>
void measure(const char* what, Lookups lookups) {
  long count = scaled(10'000);
  Scheduler scheduler;
  scheduler.run([&] {
    Resolver resolver({.servers = {server_from_environment()}, .max_in_flight = in_flight});
    lookups(resolver, "warm", 100);
    Timing start;
    lookups(resolver, "n", count);
    report(what, start, count);
  });
}

void workers() {
  measure("resolve", [](Resolver& resolver, const char* prefix, long total) {
    long next = 0;
    std::vector<JoinHandle<void>> fibers;
    for (std::size_t i = 0; i < in_flight; ++i) {
      fibers.push_back(spawn([&] {
        while (next < total) check(resolver.resolve(name(prefix, next++), 80, AF_INET));
      }));
    }
    for (auto& fiber : fibers) fiber.join();
  });
}

void all_at_once() {
  measure("resolve_all", [](Resolver& resolver, const char* prefix, long total) {
    std::vector<JoinHandle<void>> fibers;
    fibers.reserve(static_cast<std::size_t>(total));
    for (long i = 0; i < total; ++i) fibers.push_back(spawn([&, i] { check(resolver.resolve(name(prefix, i), 80, AF_INET)); }));
    for (auto& fiber : fibers) fiber.join();
  });
}

constexpr std::array<bench::Workload, 2> workloads{{{"resolve", workers}, {"resolve_all", all_at_once}}};

}  // namespace

int main(int argc, char** argv) { return bench::run_workloads(argc, argv, "dns", workloads); }
