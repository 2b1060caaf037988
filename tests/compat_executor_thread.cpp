// ThreadPoolExecutor and to_thread: results and exceptions reach plain threads and fibers, the
// worker limit holds, a fiber waiting on a job leaves its loop running, queued jobs can be
// cancelled, map keeps order, and the default pool is made lazily and shut down with the loop.
#include "leak_check.hpp"

#include <spindle/compat/loop.hpp>
#include <spindle/compat/runner.hpp>
#include <spindle/compat/thread_pool.hpp>
#include <spindle/compat/to_thread.hpp>

#include <algorithm>
#include <atomic>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("submit from a plain thread returns the value or the exception", "[compat][executor]") {
  ThreadPoolExecutor pool(2);
  auto sum = pool.submit([](int a, int b) { return a + b; }, 2, 3);
  auto text = pool.submit([](std::string s) { return s + "!"; }, std::string("hi"));
  auto failing = pool.submit([]() -> int { throw std::invalid_argument("bad input"); });
  CHECK(sum.result() == 5);
  CHECK(text.result() == "hi!");
  CHECK_THROWS_WITH(failing.result(), "bad input");
  CHECK_THROWS_AS(failing.result(), std::invalid_argument);
}

TEST_CASE("the pool never runs more jobs at once than max_workers", "[compat][executor]") {
  ThreadPoolExecutor pool(2);
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  std::vector<ConcurrentFuture<void>> jobs;
  for (int i = 0; i < 8; ++i) {
    jobs.push_back(pool.submit([&] {
      int now_running = ++running;
      int seen = most.load();
      while (now_running > seen && !most.compare_exchange_weak(seen, now_running)) {
      }
      std::this_thread::sleep_for(2ms);
      --running;
    }));
  }
  for (auto& job : jobs) job.result();
  CHECK(most.load() == 2);
  CHECK(pool.threads() == 2);
  CHECK(pool.max_workers() == 2);
}

TEST_CASE("the default worker count is asyncio's min(32, cpus + 4)", "[compat][executor]") {
  CHECK(default_thread_workers() == std::min<std::size_t>(32, available_cpus() + 4));
  CHECK(ThreadPoolExecutor().max_workers() == default_thread_workers());
  CHECK_THROWS_AS(ThreadPoolExecutor(0), std::invalid_argument);
}

TEST_CASE("a fiber waiting on a job parks; the loop keeps running other fibers", "[compat][executor]") {
  ThreadPoolExecutor pool(1);
  std::promise<void> released;
  std::shared_future<void> release = released.get_future().share();
  Loop loop({.virtual_clock = true});
  std::vector<std::string> order;
  loop.run_until_complete([&] {
    // The job blocks its thread until the second task releases it: that task can only run if the
    // first one's wait did not block the loop.
    auto waiter = create_task([&] {
      auto future = pool.submit([release] {
        release.wait();
        return 7;
      });
      order.push_back("waiting");
      int value = future.result();
      order.push_back("got " + std::to_string(value));
    });
    auto releaser = create_task([&] {
      order.push_back("releasing");
      released.set_value();
    });
    gather(waiter, releaser);
  });
  CHECK(order == std::vector<std::string>{"waiting", "releasing", "got 7"});
}

TEST_CASE("run_in_executor returns a Future that gather, wait and wait_for take", "[compat][executor]") {
  ThreadPoolExecutor pool(2);
  // The virtual clock: while a job is on its thread, the loop waits for the result in real time
  // instead of jumping to wait_for's deadline.
  Loop loop({.virtual_clock = true});
  loop.run_until_complete([&] {
    auto square = [](int x) { return x * x; };
    auto [a, b] = gather(loop.run_in_executor(pool, square, 3), pool.submit(square, 4));
    CHECK(a == 9);
    CHECK(b == 16);
    std::vector<ConcurrentFuture<int>> jobs{pool.submit(square, 5), pool.submit(square, 6)};
    CHECK(gather(jobs) == std::vector<int>{25, 36});
    auto [done, pending] = wait(jobs);
    CHECK(done.size() == 2);
    CHECK(pending.empty());
    CHECK(wait_for(pool.submit(square, 7), 10s) == 49);
  });
}

TEST_CASE("map returns the values in order and rethrows the first failure", "[compat][executor]") {
  ThreadPoolExecutor pool(3);
  std::vector<int> inputs{5, 1, 4, 2, 3};
  auto doubled = pool.map([](int x) {
    std::this_thread::sleep_for(std::chrono::milliseconds(x));
    return 2 * x;
  }, inputs);
  CHECK(doubled == std::vector<int>{10, 2, 8, 4, 6});
  CHECK_THROWS_WITH(pool.map([](int x) -> int {
    if (x == 4) throw std::runtime_error("four");
    return x;
  }, inputs), "four");
}

TEST_CASE("a job cancelled while queued never runs; a running one runs to completion", "[compat][executor]") {
  ThreadPoolExecutor pool(1);
  std::promise<void> released;
  std::shared_future<void> release = released.get_future().share();
  std::atomic<bool> first_finished{false};
  std::atomic<bool> second_ran{false};
  std::promise<void> started;
  auto first = pool.submit([&, release] {
    started.set_value();
    release.wait();
    first_finished = true;
  });
  auto second = pool.submit([&] { second_ran = true; });
  started.get_future().wait();
  CHECK(second.cancel());
  CHECK(first.cancel());  // the future is cancelled, the running job is not stopped
  released.set_value();
  pool.shutdown();
  CHECK(first_finished);
  CHECK_FALSE(second_ran);
  CHECK_THROWS_AS(second.result(), CancelledError);
}

TEST_CASE("submit after shutdown throws InvalidStateError", "[compat][executor]") {
  ThreadPoolExecutor pool(1);
  pool.shutdown();
  CHECK_THROWS_AS(pool.submit([] {}), InvalidStateError);
  pool.shutdown();  // idempotent
}

TEST_CASE("to_thread uses the loop's default pool, made lazily and shut down by the Runner", "[compat][executor]") {
  std::thread::id job_thread;
  std::thread::id loop_thread;
  Runner runner({.virtual_clock = true});
  runner.run([&] {
    loop_thread = std::this_thread::get_id();
    std::string text = to_thread([&](std::string s) {
      job_thread = std::this_thread::get_id();
      return s + " from a pool thread";
    }, std::string("hello"));
    CHECK(text == "hello from a pool thread");
    CHECK(Loop::current().default_executor().threads() == 1);
    CHECK_THROWS_AS(to_thread([] { throw std::out_of_range("off the end"); }), std::out_of_range);
    auto [x] = gather(Loop::current().run_in_executor(nullptr, [] { return 42; }));
    CHECK(x == 42);
  });
  CHECK(job_thread != loop_thread);
  runner.close();  // the pool's threads are joined here; the leak check sees no thread fds
}
