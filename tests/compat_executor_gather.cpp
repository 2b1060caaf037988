// Executor futures among tasks: the seed 001 program that gathers create_task tasks, ensure_future
// tasks and run_in_executor futures (with run_coroutine_threadsafe futures beside them) works as
// written and takes the longest job's time, not the sum; wait(FIRST_COMPLETED) and as_completed
// take thread and process jobs.
//
// The real clock, scaled down (the seed's 1 s is 10 ms): the blocking jobs sleep on pool threads.
#include "leak_check.hpp"

#include <spindle/compat/loop.hpp>
#include <spindle/compat/process_pool.hpp>
#include <spindle/compat/thread_pool.hpp>
#include <spindle/compat/wait.hpp>

#include <unistd.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

const bool zygote_started = (start_process_zygote(), true);

constexpr auto unit = 10ms;  // the seed's second

// When each blocking ping ran, to show they overlapped whatever the machine's load.
struct Interval {
  std::chrono::steady_clock::time_point begin, end;
};
std::mutex ping_intervals_mutex;
std::vector<Interval> ping_intervals;

std::string ping(std::string url) {
  auto begin = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(4 * unit);  // blocking, as time.sleep(4)
  std::lock_guard lock(ping_intervals_mutex);
  ping_intervals.push_back({begin, std::chrono::steady_clock::now()});
  return url;
}
std::string asyncfunc(std::string name, int seconds) {
  sleep(seconds * unit);
  return name;
}
int nap_then(int milliseconds) {
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
  return milliseconds;
}

}  // namespace

TEST_CASE("seed 001: gather over tasks and run_in_executor futures takes the longest job's time", "[compat][executor][gather]") {
  REQUIRE(zygote_started);
  Loop loop;
  std::vector<std::string> callbacks;
  auto record = [&](const auto& done) { callbacks.push_back(done.result()); };
  auto started = std::chrono::steady_clock::now();
  auto result = loop.run_until_complete([&] {
    auto task1 = create_task([] { return asyncfunc("func1", 1); });
    auto task2 = create_task([] { return asyncfunc("func2", 2); });
    auto task3 = run_coroutine_threadsafe([] { return asyncfunc("func1", 1); }, loop);
    auto task4 = run_coroutine_threadsafe([] { return asyncfunc("func2", 2); }, loop);
    auto task5 = loop.run_in_executor(nullptr, ping, std::string("www.baidu.com"));
    auto task6 = loop.run_in_executor(nullptr, ping, std::string("www.yangyanxing.com"));
    auto task7 = create_task([] { return asyncfunc("func1", 1); });  // ensure_future
    auto task8 = create_task([] { return asyncfunc("func2", 2); });
    for (auto* task : {&task1, &task2, &task7, &task8}) task->add_done_callback(record);
    task5.add_done_callback(record);
    task6.add_done_callback(record);
    auto gathered = gather(task1, task2, task5, task6, task7, task8);
    CHECK(task3.result() == "func1");
    CHECK(task4.result() == "func2");
    return gathered;
  });
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(result == std::make_tuple(std::string("func1"), std::string("func2"), std::string("www.baidu.com"),
                                  std::string("www.yangyanxing.com"), std::string("func1"), std::string("func2")));
  CHECK(callbacks.size() == 6);
  CHECK(took >= 4 * unit);
  // Nothing ran one after another: the two blocking pings were on pool threads at the same time
  // (a wall-clock bound would fail on a loaded machine, an overlap cannot).
  std::lock_guard lock(ping_intervals_mutex);
  REQUIRE(ping_intervals.size() == 2);
  CHECK(ping_intervals[0].begin < ping_intervals[1].end);
  CHECK(ping_intervals[1].begin < ping_intervals[0].end);
}

TEST_CASE("wait(FIRST_COMPLETED) and as_completed take executor futures", "[compat][executor][gather]") {
  ThreadPoolExecutor threads(2);
  ProcessPoolExecutor processes(2);
  Loop loop;
  loop.run_until_complete([&] {
    std::vector<ConcurrentFuture<int>> jobs{threads.submit(nap_then, 200), processes.submit(nap_then, 1)};
    auto [done, pending] = wait(jobs, std::nullopt, ReturnWhen::first_completed);
    REQUIRE(done.size() == 1);
    CHECK(done[0] == jobs[1]);
    CHECK(pending.size() == 1);
    std::vector<ConcurrentFuture<int>> more{processes.submit(nap_then, 150), threads.submit(nap_then, 1)};
    auto in_order = as_completed(more);
    CHECK(in_order.next().result() == 1);
    CHECK(in_order.next().result() == 150);
    CHECK(gather(jobs) == std::vector<int>{200, 1});
  });
}
