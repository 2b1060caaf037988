// The load client every echo server is measured with (tests/bench/echo/run_echo.py starts it).
//
// Why one single-threaded raw-epoll client. On a 2-core machine the client shares the CPU with the
// server under test, so it must spend as little as possible per message and the same for every
// server: one epoll instance, each socket registered once, edge-triggered for both directions (no
// epoll_ctl per message), reads sized to what is still missing of the message (a complete message
// costs no extra read that would return EAGAIN: in ping-pong nothing more can arrive until the next
// send). What it measures about the server is its CPU time: utime+stime from /proc/<pid>/stat (all
// of the server's threads) read at the start and the end of the measured window, divided by the
// messages completed in it. msgs/s alone would mostly measure the client.
//
// A message is `size` bytes; it is complete when all of them came back. Each of the connections
// ping-pongs: send a message, wait for all of it, send the next. The round-trip time runs from the
// first write of a message to its last byte read.
#include "../bench_harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace {

using spindle::Clock;

struct Options {
  int port = 0;
  int server_pid = 0;
  std::string server = "unknown";
  std::size_t size = 1024;
  int connections = 100;
  long warmup_ms = 1000;
  long measure_ms = 3000;
  long max_messages = 1'000'000;
  bool verify = false;  // compare every byte echoed (the smoke runs); costs the client, not the server
};

[[noreturn]] void fail(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

// utime + stime of every thread of `pid`, in seconds.
double process_cpu_seconds(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  auto close_paren = text.rfind(')');  // the command name may hold spaces and parentheses
  if (!file.is_open() || close_paren == std::string::npos) {
    throw std::runtime_error("cannot read /proc/" + std::to_string(pid) + "/stat: is the server running?");
  }
  std::istringstream fields(text.substr(close_paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int index = 3; fields >> field; ++index) {  // field 3 is the state, 14 utime, 15 stime
    if (index == 14) utime = std::stoull(field);
    if (index == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](timeval t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

class EchoLoad {
 public:
  explicit EchoLoad(const Options& options)
      : options_(options), message_(options.size), scratch_(options.size), epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (epoll_fd_ < 0) fail("epoll_create1");
    for (std::size_t i = 0; i < message_.size(); ++i) message_[i] = static_cast<char>('a' + i % 23);
    connections_.resize(static_cast<std::size_t>(options.connections));
    for (Connection& connection : connections_) connect_one(connection);
  }

  ~EchoLoad() {
    for (Connection& connection : connections_) {
      if (connection.fd >= 0) ::close(connection.fd);
    }
    ::close(epoll_fd_);
  }

  void run() {
    for (Connection& connection : connections_) start_message(connection);
    run_until(Clock::now() + std::chrono::milliseconds(options_.warmup_ms), -1);

    measuring_ = true;
    latencies_us_.reserve(static_cast<std::size_t>(std::min<long>(options_.max_messages, 4'000'000)));
    const double server_cpu_start = process_cpu_seconds(options_.server_pid);
    const double client_cpu_start = own_cpu_seconds();
    const auto start = Clock::now();
    run_until(start + std::chrono::milliseconds(options_.measure_ms), options_.max_messages);
    const auto end = Clock::now();
    const double server_cpu = process_cpu_seconds(options_.server_pid) - server_cpu_start;
    const double client_cpu = own_cpu_seconds() - client_cpu_start;

    const double messages = static_cast<double>(latencies_us_.size());
    if (messages == 0) throw std::runtime_error("no message completed in the measured window");
    const double seconds = std::chrono::duration<double>(end - start).count();
    auto p99 = latencies_us_.begin() + static_cast<long>(messages * 0.99);
    std::nth_element(latencies_us_.begin(), p99, latencies_us_.end());
    report("cpu_per_msg", server_cpu * 1e6 / messages, "us");
    report("msgs_per_s", messages / seconds, "msgs/s");
    report("p99_latency", *p99, "us");
    report("client_cpu_per_msg", client_cpu * 1e6 / messages, "us");
  }

 private:
  struct Connection {
    int fd = -1;
    std::size_t sent = 0;
    std::size_t received = 0;
    Clock::time_point started;
  };

  void connect_one(Connection& connection) {
    connection.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connection.fd < 0) fail("socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(options_.port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(connection.fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      fail("connect to 127.0.0.1:" + std::to_string(options_.port));
    }
    int one = 1;
    ::setsockopt(connection.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::fcntl(connection.fd, F_SETFL, ::fcntl(connection.fd, F_GETFL) | O_NONBLOCK);
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    event.data.ptr = &connection;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, connection.fd, &event) != 0) fail("epoll_ctl");
  }

  void start_message(Connection& connection) {
    connection.sent = 0;
    connection.received = 0;
    connection.started = Clock::now();
    send_more(connection);
  }

  void send_more(Connection& connection) {
    while (connection.sent < options_.size) {
      ssize_t n = ::write(connection.fd, message_.data() + connection.sent, options_.size - connection.sent);
      if (n < 0) {
        if (errno == EAGAIN) return;  // the EPOLLOUT edge brings us back
        fail("write");
      }
      connection.sent += static_cast<std::size_t>(n);
    }
  }

  // Reads what is missing of the message; returns true when it is complete.
  bool receive(Connection& connection) {
    while (connection.received < options_.size) {
      ssize_t n = ::read(connection.fd, scratch_.data(), options_.size - connection.received);
      if (n < 0) {
        if (errno == EAGAIN) return false;
        fail("read");
      }
      if (n == 0) throw std::runtime_error("the server closed a connection in the middle of a message");
      if (options_.verify && std::memcmp(scratch_.data(), message_.data() + connection.received, static_cast<std::size_t>(n)) != 0) {
        throw std::runtime_error("the server echoed different bytes than it was sent");
      }
      connection.received += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Drives the connections until `deadline`, or until `max_messages` completed (-1: no bound).
  void run_until(Clock::time_point deadline, long max_messages) {
    epoll_event events[128];
    for (;;) {
      const auto now = Clock::now();
      if (now >= deadline) return;
      if (max_messages >= 0 && static_cast<long>(latencies_us_.size()) >= max_messages) return;
      int timeout_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(deadline - now).count());
      int count = ::epoll_wait(epoll_fd_, events, 128, std::min(timeout_ms, 100));
      if (count < 0) {
        if (errno == EINTR) continue;
        fail("epoll_wait");
      }
      for (int i = 0; i < count; ++i) {
        auto& connection = *static_cast<Connection*>(events[i].data.ptr);
        if (events[i].events & EPOLLOUT) send_more(connection);
        if ((events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && receive(connection)) {
          if (measuring_) {
            latencies_us_.push_back(std::chrono::duration<double, std::micro>(Clock::now() - connection.started).count());
          }
          start_message(connection);
        }
      }
    }
  }

  void report(const char* figure, double value, const char* unit) const {
    std::string size = options_.size % 1024 == 0 ? std::to_string(options_.size / 1024) + "k" : std::to_string(options_.size);
    spindle::bench::metric(("echo_" + options_.server + "_" + size + "_" + figure).c_str(), value, unit);
  }

  Options options_;
  std::vector<char> message_;
  std::vector<char> scratch_;
  int epoll_fd_;
  std::vector<Connection> connections_;  // sized once: epoll holds pointers into it
  bool measuring_ = false;
  std::vector<double> latencies_us_;
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--port") options.port = std::stoi(value());
    else if (flag == "--server-pid") options.server_pid = std::stoi(value());
    else if (flag == "--server") options.server = value();
    else if (flag == "--size") options.size = std::stoul(value());
    else if (flag == "--connections") options.connections = std::stoi(value());
    else if (flag == "--warmup-ms") options.warmup_ms = std::stol(value());
    else if (flag == "--measure-ms") options.measure_ms = std::stol(value());
    else if (flag == "--max-messages") options.max_messages = std::stol(value());
    else if (flag == "--verify") options.verify = true;
    else throw std::invalid_argument("unknown option " + flag);
  }
  if (options.port <= 0 || options.server_pid <= 0 || options.size == 0 || options.connections <= 0) {
    throw std::invalid_argument("--port, --server-pid, a positive --size and --connections are required");
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Options options = parse(argc, argv);
    EchoLoad load(options);
    load.run();
    return 0;
  } catch (const std::invalid_argument& error) {
    std::fprintf(stderr,
                 "echo_client: %s\nusage: echo_client --port P --server-pid PID [--server NAME] [--size BYTES] "
                 "[--connections N] [--warmup-ms MS] [--measure-ms MS] [--max-messages N] [--verify]\n",
                 error.what());
    return 2;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "echo_client: %s\n", error.what());
    return 1;
  }
}
