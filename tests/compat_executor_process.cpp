// ProcessPoolExecutor: jobs run in other processes and their values come back; the worker limit and
// default count; map; a pool made while threads and fibers run; and the clear error for a process
// that already has threads but no zygote.
#include "leak_check.hpp"

#include <spindle/compat/detail/zygote.hpp>
#include <spindle/compat/loop.hpp>
#include <spindle/compat/process_pool.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// Before main, while the test binary has one thread: the workers of every test fork from here.
const bool zygote_started = (start_process_zygote(), true);

long square(long x) { return x * x; }
std::string greet(const std::string& name, int times) {
  std::string text;
  for (int i = 0; i < times; ++i) text += "hello " + name + "; ";
  return text;
}
std::vector<double> scaled(std::vector<double> values, double factor) {
  for (double& value : values) value *= factor;
  return values;
}
int worker_pid() { return static_cast<int>(::getpid()); }
int slow_pid(int milliseconds) {
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
  return static_cast<int>(::getpid());
}

}  // namespace

TEST_CASE("a process job's value comes back from another process", "[compat][executor][process]") {
  REQUIRE(zygote_started);
  ProcessPoolExecutor pool(2);
  CHECK(pool.submit(square, 12).result() == 144);
  CHECK(pool.submit(greet, "spindle", 2).result() == "hello spindle; hello spindle; ");
  CHECK(pool.submit(scaled, std::vector<double>{1.5, -2, 4}, 2.0).result() == std::vector<double>{3, -4, 8});
  CHECK(pool.submit([](int a, int b) { return a - b; }, 10, 3).result() == 7);  // a captureless lambda
  int pid = pool.submit(worker_pid).result();
  CHECK(pid != ::getpid());
  CHECK(pid != detail::zygote_pid());
  auto pids = pool.worker_pids();
  CHECK(std::find(pids.begin(), pids.end(), pid) != pids.end());
}

TEST_CASE("a fiber waiting on a process job parks and gets the value", "[compat][executor][process]") {
  ProcessPoolExecutor pool(1);
  Loop loop({.virtual_clock = true});
  int ticks = 0;
  long value = loop.run_until_complete([&] {
    auto ticker = create_task([&] {
      while (ticks < 3) {
        ++ticks;
        this_fiber::yield();
      }
    });
    long got = pool.submit(square, 9).result();
    ticker.result();
    return got;
  });
  CHECK(value == 81);
  CHECK(ticks == 3);
}

TEST_CASE("the pool uses at most max_workers processes, and available_cpus() by default", "[compat][executor][process]") {
  {
    ProcessPoolExecutor pool(2);
    std::vector<ConcurrentFuture<int>> jobs;
    for (int i = 0; i < 8; ++i) jobs.push_back(pool.submit(slow_pid, 5));
    std::set<int> pids;
    for (auto& job : jobs) pids.insert(job.result());
    CHECK(pids.size() <= 2);
    CHECK(pool.max_workers() == 2);
  }
  ProcessPoolExecutor defaults;
  CHECK(defaults.max_workers() == available_cpus());
  CHECK_THROWS_AS(ProcessPoolExecutor(0), std::invalid_argument);
}

TEST_CASE("map keeps the order of its inputs", "[compat][executor][process]") {
  ProcessPoolExecutor pool(2);
  std::vector<long> inputs{1, 2, 3, 4, 5, 6, 7};
  CHECK(pool.map(square, inputs) == std::vector<long>{1, 4, 9, 16, 25, 36, 49});
}

TEST_CASE("a pool made while other threads and fibers run works", "[compat][executor][process]") {
  std::atomic<bool> stop{false};
  std::vector<std::thread> busy;
  for (int i = 0; i < 3; ++i) {
    busy.emplace_back([&] {
      while (!stop) {
        std::string churn(256, 'x');  // malloc and free all the time, as real threads do
        std::this_thread::yield();
      }
    });
  }
  Loop loop;
  long total = loop.run_until_complete([&] {
    std::vector<Task<void>> sleepers;
    for (int i = 0; i < 10; ++i) sleepers.push_back(create_task([] { sleep(1ms); }));
    ProcessPoolExecutor pool(2);  // forked by the zygote, not from this threaded process
    std::vector<ConcurrentFuture<long>> jobs;
    for (long i = 1; i <= 20; ++i) jobs.push_back(pool.submit(square, i));
    long sum = 0;
    for (long value : gather(jobs)) sum += value;
    gather(sleepers);
    return sum;
  });
  stop = true;
  for (auto& thread : busy) thread.join();
  CHECK(total == 2870);
}

namespace {
void make_pool_in_threaded_child() {
  // A forked child does not share its parent's zygote; with a second thread it cannot start one.
  std::atomic<bool> stop{false};
  std::thread other([&] {
    while (!stop) std::this_thread::sleep_for(1ms);
  });
  try {
    ProcessPoolExecutor pool(1);
    std::fprintf(stderr, "no error\n");
  } catch (const InvalidStateError& error) {
    std::fprintf(stderr, "%s\n", error.what());
  }
  stop = true;
  other.join();
}
}  // namespace

TEST_CASE("without a zygote, a threaded process gets an error that says what to do", "[compat][executor][process]") {
  auto [status, text] = test::run_in_child(make_pool_in_threaded_child);
  CHECK(status == 0);
  CHECK_THAT(text, Catch::Contains("has 2 now") && Catch::Contains("call spindle::start_process_zygote() at the top of main"));
}
