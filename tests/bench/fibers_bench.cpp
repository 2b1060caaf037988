// The runtime-core benchmarks, one workload per run, printing `metric=NAME value=NUMBER unit=UNIT`.
// The same workloads, with the same metric names, are in peers/fibers_peer.go (Go) and
// peers/boostfiber_peer.cpp (Boost.Fiber); scripts/bench_report.py pairs them up.
//
//   yield       two fibers ping-pong through this_fiber::yield()       yield_pingpong (ns per yield)
//   spawn       spawn + complete 1M fibers, cold then warm              spawn_complete_{cold,warm} (ns)
//   parked      1M fibers parked at once                                parked_rss_per_fiber (bytes)
//   timerstorm  100k fibers each sleep a random 0-100 ms                timer_storm_{wall,p50_late,p99_late,max_late}
//   timerload   10k fibers sleep random 0-100 ms while 100 busy fibers  timer_load_{p50,p99,max}_late (ms)
//               compute 20 us between yields
//   post        cross-thread round trip between two schedulers          cross_thread_roundtrip (ns)
#include "bench_harness.hpp"

#include <spindle/spindle.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;
using namespace spindle::bench;

namespace {

long resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) * 1024;
  }
  return 0;
}

void yield_pingpong() {
  const long rounds = scaled(10'000'000);
  Scheduler scheduler;
  auto start = Clock::now();
  scheduler.run([&] {
    auto player = [&] {
      for (long i = 0; i < rounds; ++i) this_fiber::yield();
    };
    auto a = spawn(player);
    auto b = spawn(player);
    a.join();
    b.join();
  });
  metric("yield_pingpong", nanoseconds_since(start) / (2.0 * static_cast<double>(rounds)), "ns");
}

// Like Go's `go f()` + WaitGroup: the spawner waits once for a countdown, not on each fiber.
// The join-each variant is the JoinHandle way; the woken-first queue then runs the joiner between
// fibers, two extra switches each.
void spawn_complete() {
  const long count = scaled(1'000'000);
  Scheduler scheduler;
  scheduler.run([&] {
    for (const char* phase : {"spawn_complete_cold", "spawn_complete_warm"}) {
      long remaining = count;
      WaitList all_done;
      auto start = Clock::now();
      for (long i = 0; i < count; ++i) {
        spawn([&] {
          if (--remaining == 0) all_done.wake_one();
        });
      }
      while (remaining > 0) all_done.wait("countdown");
      metric(phase, nanoseconds_since(start) / static_cast<double>(count), "ns");
    }
    std::vector<JoinHandle<void>> fibers;
    fibers.reserve(static_cast<std::size_t>(count));
    auto start = Clock::now();
    for (long i = 0; i < count; ++i) fibers.push_back(spawn([] {}));
    for (auto& fiber : fibers) fiber.join();
    metric("spawn_join_each_warm", nanoseconds_since(start) / static_cast<double>(count), "ns");
  });
}

void parked_rss() {
  const long count = scaled(1'000'000);
  Scheduler scheduler;
  scheduler.run([&] {
    std::vector<JoinHandle<void>> fibers;
    fibers.reserve(static_cast<std::size_t>(count));
    WaitList gate;
    long started = 0;
    long before = resident_bytes();
    for (long i = 0; i < count; ++i) {
      fibers.push_back(spawn([&] {
        ++started;
        gate.wait("gate");
      }));
    }
    while (started < count) this_fiber::yield();
    long after = resident_bytes();
    metric("parked_rss_per_fiber", static_cast<double>(after - before) / static_cast<double>(count), "bytes");
    gate.wake_all();
    for (auto& fiber : fibers) fiber.join();
  });
}

void timer_storm() {
  const long count = scaled(100'000);
  std::mt19937 random(42);
  std::uniform_int_distribution<int> delay_us(0, 99'999);
  std::vector<Duration> delays(static_cast<std::size_t>(count));
  for (Duration& delay : delays) delay = std::chrono::microseconds(delay_us(random));
  std::vector<double> lateness_ms(static_cast<std::size_t>(count));
  Scheduler scheduler;
  auto start = Clock::now();
  scheduler.run([&] {
    std::vector<JoinHandle<void>> fibers;
    fibers.reserve(static_cast<std::size_t>(count));
    for (long i = 0; i < count; ++i) {
      fibers.push_back(spawn([&, i] {
        auto index = static_cast<std::size_t>(i);
        auto began = Clock::now();
        this_fiber::sleep_for(delays[index]);
        lateness_ms[index] = std::chrono::duration<double, std::milli>(Clock::now() - began - delays[index]).count();
      }));
    }
    for (auto& fiber : fibers) fiber.join();
  });
  double wall_ms = nanoseconds_since(start) / 1e6;
  std::sort(lateness_ms.begin(), lateness_ms.end());
  auto at = [&](double fraction) { return lateness_ms[static_cast<std::size_t>(fraction * static_cast<double>(count - 1))]; };
  metric("timer_storm_wall", wall_ms, "ms");
  metric("timer_storm_p50_late", at(0.50), "ms");
  metric("timer_storm_p99_late", at(0.99), "ms");
  metric("timer_storm_max_late", lateness_ms.back(), "ms");
}

void timer_load() {
  const long count = scaled(10'000);
  constexpr int busy = 100;
  std::mt19937 random(7);
  std::uniform_int_distribution<int> delay_us(0, 99'999);
  std::vector<Duration> delays(static_cast<std::size_t>(count));
  for (Duration& delay : delays) delay = std::chrono::microseconds(delay_us(random));
  std::vector<double> lateness_ms(static_cast<std::size_t>(count));
  Scheduler scheduler;
  scheduler.run([&] {
    bool stop = false;
    std::vector<JoinHandle<void>> workers;
    for (int i = 0; i < busy; ++i) {
      workers.push_back(spawn([&] {
        while (!stop) {
          auto began = Clock::now();
          while (Clock::now() - began < 20us) {
          }
          this_fiber::yield();
        }
      }));
    }
    std::vector<JoinHandle<void>> sleepers;
    for (long i = 0; i < count; ++i) {
      sleepers.push_back(spawn([&, i] {
        auto index = static_cast<std::size_t>(i);
        auto began = Clock::now();
        this_fiber::sleep_for(delays[index]);
        lateness_ms[index] = std::chrono::duration<double, std::milli>(Clock::now() - began - delays[index]).count();
      }));
    }
    for (auto& sleeper : sleepers) sleeper.join();
    stop = true;
    for (auto& worker : workers) worker.join();
  });
  std::sort(lateness_ms.begin(), lateness_ms.end());
  auto at = [&](double fraction) { return lateness_ms[static_cast<std::size_t>(fraction * static_cast<double>(count - 1))]; };
  metric("timer_load_p50_late", at(0.50), "ms");
  metric("timer_load_p99_late", at(0.99), "ms");
  metric("timer_load_max_late", lateness_ms.back(), "ms");
}

void cross_thread_post() {
  const long rounds = scaled(200'000);
  // The echo thread runs its own scheduler; its main fiber just parks until told to stop, while
  // posted work bounces each ping straight back to the home scheduler.
  Scheduler* echo_scheduler = nullptr;
  Waker echo_main;
  std::atomic<bool> echo_ready{false};
  std::thread echo_thread([&] {
    Scheduler echo;
    echo.run([&] {
      echo_scheduler = &echo;
      echo_main = Waker::current();
      echo_ready.store(true, std::memory_order_release);
      echo_ready.notify_one();
      park("until the benchmark ends");
    });
  });
  echo_ready.wait(false, std::memory_order_acquire);
  double per_round = 0;
  Scheduler scheduler;
  scheduler.run([&] {
    Scheduler& home = *Scheduler::current();
    Waker self = Waker::current();
    auto start = Clock::now();
    for (long i = 0; i < rounds; ++i) {
      echo_scheduler->post([&home, self] { home.post([self] { self.unpark(); }); });
      park("round trip");
    }
    per_round = nanoseconds_since(start) / static_cast<double>(rounds);
  });
  echo_scheduler->post([waker = echo_main] { waker.unpark(); });
  echo_thread.join();
  metric("cross_thread_roundtrip", per_round, "ns");
}

}  // namespace

int main(int argc, char** argv) {
  static constexpr Workload workloads[] = {{"yield", yield_pingpong},  {"spawn", spawn_complete}, {"parked", parked_rss},
                                {"timerstorm", timer_storm}, {"timerload", timer_load}, {"post", cross_thread_post}};
  return run_workloads(argc, argv, "fibers", workloads);
}
