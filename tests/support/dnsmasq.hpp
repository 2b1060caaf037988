// A real dnsmasq on 127.0.0.1, on a free port, for the DNS tests and benchmarks.
//
// The configuration is generated: no resolv.conf, no /etc/hosts, no upstream servers; the names
// given in `hosts` (hosts-file lines) and `wildcards` (--address=/domain/ip) are the only ones it
// knows, and the domains in `local_domains` answer NXDOMAIN for every other name under them. Names
// outside those domains are REFUSED (dnsmasq has nowhere to forward them). The server dies with
// the object, and with the process that made it (PR_SET_PDEATHSIG), so no test leaves one running.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace spindle::test {

struct DnsmasqConfig {
  std::vector<std::string> hosts{};          // "10.0.0.5 web.test"
  std::vector<std::string> wildcards{};      // "/bench.test/10.1.2.3"
  std::vector<std::string> local_domains{};  // "test"
  std::vector<std::string> extra_arguments{};
};

class Dnsmasq {
 public:
  explicit Dnsmasq(const DnsmasqConfig& config) {
    char directory[] = "/tmp/spindle-dnsmasq-XXXXXX";
    if (::mkdtemp(directory) == nullptr) throw std::runtime_error("dnsmasq: mkdtemp failed");
    directory_ = directory;
    {
      std::ofstream hosts(directory_ + "/hosts");
      for (const std::string& line : config.hosts) hosts << line << "\n";
    }
    // The port is free when chosen, but another process may take it before dnsmasq binds it
    // (parallel tests, other servers): then dnsmasq exits at once and we try another.
    for (int attempt = 1;; ++attempt) {
      port_ = free_port();
      if (start(arguments(config)) || attempt == 5) break;
    }
    if (pid_ < 0) throw std::runtime_error("dnsmasq exited at startup 5 times; see " + directory_ + "/log");
  }

  std::vector<std::string> arguments(const DnsmasqConfig& config) const {
    std::vector<std::string> arguments = {
        "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
        "--addn-hosts=" + directory_ + "/hosts", "--listen-address=127.0.0.1", "--bind-interfaces",
        "--port=" + std::to_string(port_), "--pid-file=" + directory_ + "/pid", "--user=root", "--group=root",
        "--cache-size=0", "--log-facility=" + directory_ + "/log"};
    for (const std::string& wildcard : config.wildcards) arguments.push_back("--address=" + wildcard);
    for (const std::string& domain : config.local_domains) arguments.push_back("--local=/" + domain + "/");
    for (const std::string& argument : config.extra_arguments) arguments.push_back(argument);
    return arguments;
  }
  ~Dnsmasq() {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    std::remove((directory_ + "/hosts").c_str());
    std::remove((directory_ + "/pid").c_str());
    std::remove((directory_ + "/log").c_str());
    ::rmdir(directory_.c_str());
  }
  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;

  pid_t pid() const noexcept { return pid_; }
  std::uint16_t port() const { return port_; }

 private:
  // A port on 127.0.0.1 free for both UDP and TCP (dnsmasq serves both).
  static std::uint16_t free_port() {
    for (int attempt = 0; attempt < 100; ++attempt) {
      int udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      int tcp = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t size = sizeof address;
      bool free = ::bind(udp, reinterpret_cast<sockaddr*>(&address), size) == 0 &&
                  ::getsockname(udp, reinterpret_cast<sockaddr*>(&address), &size) == 0 &&
                  ::bind(tcp, reinterpret_cast<sockaddr*>(&address), size) == 0;
      ::close(udp);
      ::close(tcp);
      if (free) return ntohs(address.sin_port);
    }
    throw std::runtime_error("dnsmasq: no port free for UDP and TCP on 127.0.0.1");
  }

  // True once something holds the UDP port: dnsmasq binds it just before it starts answering.
  bool port_taken() const {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port_);
    bool taken = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 && errno == EADDRINUSE;
    ::close(fd);
    return taken;
  }

  // Starts dnsmasq and waits until it serves; false (pid_ = -1) if it exited at startup.
  bool start(const std::vector<std::string>& arguments) {
    std::vector<char*> argv;
    for (const std::string& argument : arguments) argv.push_back(const_cast<char*>(argument.c_str()));
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("dnsmasq: fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, STDIN_FILENO);
      ::dup2(null, STDOUT_FILENO);
      ::execvp("dnsmasq", argv.data());
      ::execv("/usr/sbin/dnsmasq", argv.data());  // for a PATH without the sbin directories
      std::fprintf(stderr, "dnsmasq: cannot run dnsmasq (install the dnsmasq package: scripts/setup.sh)\n");
      ::_exit(127);
    }
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!port_taken()) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      if (std::chrono::steady_clock::now() > give_up) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        throw std::runtime_error("dnsmasq did not start within 10 s");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling for readiness, bounded
    }
    return true;
  }

  std::string directory_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace spindle::test
