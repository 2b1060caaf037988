// Peer for the DNS benchmark: glibc's getaddrinfo on a pool of 50 threads, the usual way to make a
// blocking resolver concurrent. The same 10k distinct names (AF_INET) against DNS_SERVER after 100
// untimed warm-up lookups; every answer is checked.
//
// glibc reads its servers from /etc/resolv.conf only, on port 53. Each thread therefore points its
// own resolver state at DNS_SERVER after res_init(): glibc documents that changes an application
// makes to _res (per thread) are honoured, and then uses them instead of the file. The hosts file
// is still read first for every name ("hosts: files dns"), as any program's getaddrinfo does.
//
//   dns_getaddrinfo_peer [--scale F] [--workload resolve]
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int threads = 50;

sockaddr_in server{};

void point_resolver_at_server() {
  res_init();
  _res.nscount = 1;
  _res.nsaddr_list[0] = server;
}

void resolve_all(const char* prefix, long count) {
  std::atomic<long> next{0};
  std::atomic<bool> wrong{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      point_resolver_at_server();
      addrinfo hints{};
      hints.ai_family = AF_INET;
      hints.ai_socktype = SOCK_STREAM;
      for (long i; (i = next.fetch_add(1)) < count;) {
        std::string name = prefix + std::to_string(i) + ".bench.test";
        addrinfo* result = nullptr;
        int status = ::getaddrinfo(name.c_str(), "80", &hints, &result);
        char text[INET_ADDRSTRLEN] = "";
        if (status == 0 && result->ai_next == nullptr) {
          ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(result->ai_addr)->sin_addr, text, sizeof text);
        }
        if (std::strcmp(text, "10.1.2.3") != 0) {
          std::fprintf(stderr, "wrong answer for %s: %s\n", name.c_str(), status ? gai_strerror(status) : text);
          wrong = true;
        }
        if (result != nullptr) ::freeaddrinfo(result);
      }
    });
  }
  for (auto& thread : pool) thread.join();
  if (wrong) std::exit(1);
}

// User + system CPU of the whole process (every thread), in seconds.
double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  double scale = 1.0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
      scale = std::atof(argv[++i]);
    } else if (std::strcmp(argv[i], "--workload") == 0 && i + 1 < argc && std::strcmp(argv[i + 1], "resolve") == 0) {
      ++i;
    } else {
      std::fprintf(stderr, "usage: %s [--scale F] [--workload resolve]\n", argv[0]);
      return 2;
    }
  }
  const char* port = std::getenv("DNS_SERVER_PORT");
  if (port == nullptr) {
    std::fprintf(stderr, "DNS_SERVER_PORT is not set: run under with_dnsmasq\n");
    return 2;
  }
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<std::uint16_t>(std::atoi(port)));
  server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  long count = std::max(1L, static_cast<long>(10'000 * scale));
  resolve_all("warm", 100);
  auto start = std::chrono::steady_clock::now();
  double cpu_start = cpu_seconds();
  resolve_all("n", count);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpu = cpu_seconds() - cpu_start;
  std::printf("metric=resolve_total value=%.3f unit=ms\n", seconds * 1e3);
  std::printf("metric=resolve_per_lookup value=%.3f unit=us\n", seconds * 1e6 / static_cast<double>(count));
  std::printf("metric=resolve_cpu_per_lookup value=%.3f unit=us\n", cpu * 1e6 / static_cast<double>(count));
  return 0;
}
