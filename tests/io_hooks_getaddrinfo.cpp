// getaddrinfo and gethostbyname called by plain C code in fibers are answered by spindle's c-ares
// resolver, here against a real dnsmasq on loopback, and the lookups overlap.
#include "dnsmasq.hpp"
#include "hooks_support.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <string>
#include <vector>

extern "C" int probe_resolve(const char* host, char* text, unsigned size);  // libhooks_probe_linked.so

using namespace spindle;

namespace {

test::DnsmasqConfig zone() {
  std::vector<std::string> hosts;
  for (int i = 0; i < 20; ++i) hosts.push_back("10.0.1." + std::to_string(i) + " host" + std::to_string(i) + ".test");
  return {.hosts = hosts, .local_domains = {"test"}};
}

struct HooksResolver {
  explicit HooksResolver(std::uint16_t port) {
    set_hooks_resolver({.servers = {SocketAddress::loopback_v4(port)}, .search = std::vector<std::string>{},
                        .timeout = std::chrono::seconds(5)});
  }
  ~HooksResolver() { set_hooks_resolver({}); }
};

// A UDP relay in front of dnsmasq that holds every query until `hold` of them have arrived, then
// forwards them and relays the answers. Lookups that blocked the thread one after another could
// never fill it: the first would time out waiting. Runs as a fiber on the lookups' scheduler.
class HoldingRelay {
 public:
  explicit HoldingRelay(std::uint16_t upstream_port) {
    clients_ = bound_udp();
    upstream_ = bound_udp();
    sockaddr_in upstream{};
    upstream.sin_family = AF_INET;
    upstream.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    upstream.sin_port = htons(upstream_port);
    REQUIRE(::connect(upstream_, reinterpret_cast<sockaddr*>(&upstream), sizeof upstream) == 0);
  }
  ~HoldingRelay() {
    ::close(clients_);
    ::close(upstream_);
  }
  std::uint16_t port() const {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    ::getsockname(clients_, reinterpret_cast<sockaddr*>(&address), &length);
    return ntohs(address.sin_port);
  }
  void serve(int hold) {
    std::vector<std::string> queries;
    sockaddr_in client{};
    while (static_cast<int>(queries.size()) < hold) queries.push_back(receive(clients_, &client));
    for (const std::string& query : queries) REQUIRE(::send(upstream_, query.data(), query.size(), 0) > 0);
    for (int i = 0; i < hold; ++i) {
      std::string answer = receive(upstream_, nullptr);
      REQUIRE(::sendto(clients_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&client), sizeof client) > 0);
    }
  }

 private:
  static int bound_udp() {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    return fd;
  }
  static std::string receive(int fd, sockaddr_in* from) {
    char buffer[1500];
    for (;;) {
      socklen_t length = sizeof(sockaddr_in);
      ssize_t got = ::recvfrom(fd, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(from), from ? &length : nullptr);
      if (got >= 0) return std::string(buffer, static_cast<std::size_t>(got));
      REQUIRE(errno == EAGAIN);
      wait_readable(fd);
    }
  }
  int clients_ = -1;
  int upstream_ = -1;
};

}  // namespace

TEST_CASE("getaddrinfo from C code in 20 fibers resolves through c-ares, concurrently") {
  test::Dnsmasq server(zone());
  std::vector<std::string> answers(20);
  int inside = 0;
  int most_inside = 0;
  test::run_virtual(
      [&] {
        HoldingRelay relay(server.port());
        HooksResolver via(relay.port());
        auto relaying = spawn([&] { relay.serve(20); });
        std::vector<JoinHandle<void>> lookups;
        for (int i = 0; i < 20; ++i) {
          lookups.push_back(spawn([&, i] {
            ++inside;
            most_inside = std::max(most_inside, inside);
            char text[INET_ADDRSTRLEN] = {};
            std::string name = "host" + std::to_string(i) + ".test";
            CHECK(probe_resolve(name.c_str(), text, sizeof text) == 0);
            answers[static_cast<std::size_t>(i)] = text;
            --inside;
          }));
        }
        for (auto& lookup : lookups) lookup.join();
        relaying.join();
      },
      SchedulerOptions{});  // real clock: the answers travel through real sockets
  for (int i = 0; i < 20; ++i) CHECK(answers[static_cast<std::size_t>(i)] == "10.0.1." + std::to_string(i));
  CHECK(most_inside == 20);  // the relay answers none before all twenty have asked
}

TEST_CASE("hooked lookups report failures as glibc does, and give glibc-freeable results") {
  test::Dnsmasq server(zone());
  HooksResolver via(server.port());
  test::run_virtual(
      [&] {
        addrinfo* found = nullptr;
        CHECK(::getaddrinfo("nosuch.test", "80", nullptr, &found) == EAI_NONAME);
        addrinfo hints{};
        hints.ai_flags = AI_CANONNAME;
        REQUIRE(::getaddrinfo("host3.test", "http", &hints, &found) == 0);
        int entries = 0;
        for (addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
          ++entries;
          const auto* address = reinterpret_cast<const sockaddr_in*>(entry->ai_addr);
          CHECK(ntohs(address->sin_port) == 80);
        }
        CHECK(entries == 3);  // socket type 0: stream, datagram and raw, as glibc answers
        CHECK(std::string(found->ai_canonname) == "host3.test");
        ::freeaddrinfo(found);  // glibc's own freeaddrinfo

        hostent* host = ::gethostbyname("host7.test");
        REQUIRE(host != nullptr);
        CHECK(std::string(::inet_ntoa(*reinterpret_cast<in_addr*>(host->h_addr_list[0]))) == "10.0.1.7");
        CHECK(::gethostbyname("missing.test") == nullptr);
        CHECK(h_errno == HOST_NOT_FOUND);
        hostent entry{};
        char small[8];
        int herror = 0;
        CHECK(::gethostbyname_r("host1.test", &entry, small, sizeof small, &host, &herror) == ERANGE);
      },
      SchedulerOptions{});
}

TEST_CASE("numeric hosts and lookups outside a fiber stay with glibc") {
  char text[INET_ADDRSTRLEN] = {};
  CHECK(probe_resolve("127.0.0.1", text, sizeof text) == 0);
  CHECK(std::string(text) == "127.0.0.1");
  CHECK(probe_resolve("localhost", text, sizeof text) == 0);  // glibc reads /etc/hosts
  CHECK(std::string(text) == "127.0.0.1");
}
