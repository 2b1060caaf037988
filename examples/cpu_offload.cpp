// A fiber server stays responsive while a process pool computes.
//
// The main loop runs a line-based TCP server on 127.0.0.1 (each connection answers every "ping" line
// with "pong"). A second thread, with its own loop, runs 10 client fibers that each send a ping
// every 5 ms and time the answer: they measure the server from outside. Meanwhile the main loop has
// 8 CPU-bound jobs to do (a multiply-xorshift chain each, ~0.3 s at --scale 1).
//
//   offload: the jobs run in a ProcessPoolExecutor of 2 workers; the loop only waits for them, so
//            the server keeps answering within a fraction of a millisecond.
//   inline:  the same jobs called on the loop itself: every job holds the thread, and every ping
//            that arrives meanwhile waits for it (the p99 becomes the length of a job).
//
// Prints, per mode, the number of pings answered and their latency (p50, p99, max), and the
// jobs' combined checksum (the same in both modes).
#include <spindle/spindle.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "command_line.hpp"

using namespace spindle;
using namespace std::chrono_literals;

namespace {

std::uint64_t churn(std::uint64_t steps) {
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (std::uint64_t i = 0; i < steps; ++i) {
    x = x * 6364136223846793005ull + i;
    x ^= x >> 29;
  }
  return x;
}

void serve(TcpStream connection) {
  try {
    for (;;) {
      std::string line = connection.readline();
      if (line.empty()) return;  // the client closed
      connection.write_all("pong\n");
    }
  } catch (const std::exception&) {
    // A client that goes away mid-line ends only its own connection.
  }
}

// The server: one task per connection, all cancelled when the accept loop is.
void accept_forever(Listener& listener) {
  std::vector<Task<void>> connections;
  try {
    for (;;) connections.push_back(create_task([stream = listener.accept()]() mutable { serve(std::move(stream)); }));
  } catch (const CancelledError&) {
    for (auto& connection : connections) connection.cancel();
    if (!connections.empty()) wait(connections);  // until they have unwound; never throws
    throw;
  }
}

// A client: pings every 5 ms until `done`, recording each round trip in milliseconds.
void ping_until(const SocketAddress& server, const std::atomic<bool>& done, std::vector<double>& latencies) {
  TcpStream stream = tcp_connect(server);
  while (!done) {
    auto sent = Clock::now();
    stream.write_all("ping\n");
    if (stream.readline() != "pong\n") throw std::runtime_error("the server answered something else");
    latencies.push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
    sleep(5ms);
  }
}

double percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto index = static_cast<std::size_t>(fraction * static_cast<double>(values.size() - 1));
  return values[index];
}

void run_mode(const std::string& mode, std::uint64_t steps, ProcessPoolExecutor& pool) {
  Listener listener = tcp_listen(SocketAddress::loopback_v4(0));
  auto server = create_task([&] { accept_forever(listener); });
  std::atomic<bool> done{false};
  std::atomic<int> connected{0};
  std::vector<double> latencies;
  SocketAddress address = listener.local_address();
  std::thread client_thread([&] {
    Loop clients_loop;
    clients_loop.run_until_complete([&] {
      std::vector<Task<void>> clients;
      for (int i = 0; i < 10; ++i) {
        clients.push_back(create_task([&] {
          ++connected;
          ping_until(address, done, latencies);
          --connected;
        }));
      }
      gather(clients);
    });
  });
  while (connected < 10) sleep(1ms);
  sleep(20ms);  // the clients are pinging before the work starts
  std::vector<std::uint64_t> inputs(8, steps);
  std::vector<std::uint64_t> results;
  if (mode == "offload") {
    std::vector<ConcurrentFuture<std::uint64_t>> jobs;
    for (std::uint64_t input : inputs) jobs.push_back(pool.submit(churn, input));
    results = gather(jobs);
  } else {
    for (std::uint64_t input : inputs) {
      results.push_back(churn(input));  // holds the loop's thread: nothing else runs meanwhile
      this_fiber::yield();
    }
  }
  done = true;
  while (client_thread.joinable()) {  // the clients' last pings still need the server
    sleep(1ms);
    if (connected == 0) client_thread.join();
  }
  server.cancel();
  wait(std::vector<Task<void>>{server});
  std::uint64_t checksum = 0;
  for (std::uint64_t result : results) checksum += result;  // wraps; the same in both modes
  std::printf("%s: %zu jobs done, checksum %016llx\n", mode.c_str(), results.size(),
              static_cast<unsigned long long>(checksum));
  std::printf("%s: %zu pings answered; latency p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", mode.c_str(),
              latencies.size(), percentile(latencies, 0.5), percentile(latencies, 0.99),
              percentile(latencies, 1.0));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"A TCP ping server on one loop while 8 CPU-bound jobs run: in a process pool (the server "
                           "stays responsive) and inline on the loop (it stalls); prints the ping latency of each."};
  std::string mode = "both";
  double scale = 1.0;
  command_line.add_option("--mode", mode, "offload, inline, or both").one_of({"offload", "inline", "both"});
  command_line.add_option("--scale", scale, "multiply the work per job by this factor").positive();
  if (auto status = command_line.parse(argc, argv)) return *status;
  start_process_zygote();

  auto steps = static_cast<std::uint64_t>(100'000'000 * scale);  // about 0.3 s per job here
  return spindle::run([&] {
    ProcessPoolExecutor pool(2);
    if (mode != "inline") run_mode("offload", steps, pool);
    if (mode != "offload") run_mode("inline", steps, pool);
    return 0;
  });
}
