// Shutting executors down: queued jobs are dropped with CancelledError under cancel_futures (and
// still run without it); every worker process is reaped, no zombie is left; the wait is bounded,
// and when the bound passes the report names what it waited for.
#include "leak_check.hpp"
#include "processes.hpp"

#include <spindle/compat/detail/zygote.hpp>
#include <spindle/compat/loop.hpp>
#include <spindle/compat/process_pool.hpp>
#include <spindle/compat/thread_pool.hpp>

#include <unistd.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

const bool zygote_started = (start_process_zygote(), true);

int sleep_then_pid(int milliseconds) {
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
  return static_cast<int>(::getpid());
}
int wait_forever() {
  for (;;) ::pause();
}

bool no_children_left() { return test::children_of(detail::zygote_pid()).empty(); }

}  // namespace

TEST_CASE("process pool shutdown(cancel_futures) drops queued jobs; the running one finishes", "[compat][executor][shutdown]") {
  REQUIRE(zygote_started);
  ProcessPoolExecutor pool(1);
  std::vector<ConcurrentFuture<int>> jobs;
  for (int i = 0; i < 4; ++i) jobs.push_back(pool.submit(sleep_then_pid, 50));
  while (pool.worker_pids().empty()) std::this_thread::yield();  // the first job has its worker
  std::vector<pid_t> workers = pool.worker_pids();
  pool.shutdown(true, true);
  CHECK(jobs[0].result() == workers[0]);
  for (int i = 1; i < 4; ++i) CHECK_THROWS_WITH(jobs[i].result(), Catch::Contains("dropped the job before it started"));
  CHECK(pool.worker_pids().empty());
  CHECK_FALSE(test::process_exists(workers[0]));
  CHECK(no_children_left());
  CHECK_THROWS_AS(pool.submit(sleep_then_pid, 0), InvalidStateError);
}

TEST_CASE("process pool shutdown without cancel_futures runs the queue first", "[compat][executor][shutdown]") {
  std::vector<ConcurrentFuture<int>> jobs;
  {
    ProcessPoolExecutor pool(2);
    for (int i = 0; i < 6; ++i) jobs.push_back(pool.submit(sleep_then_pid, 5));
  }  // the destructor is shutdown(wait = true)
  for (auto& job : jobs) CHECK(job.result() > 0);
  CHECK(no_children_left());
}

TEST_CASE("process pool shutdown is bounded: a job past the limit is killed and the report says so", "[compat][executor][shutdown]") {
  test::CapturedDiagnostics diagnostics;
  ProcessPoolExecutor pool(1);
  auto stuck = pool.submit(wait_forever);
  auto queued = pool.submit(sleep_then_pid, 0);
  while (pool.worker_pids().empty()) std::this_thread::yield();
  auto started = std::chrono::steady_clock::now();
  Loop loop;
  loop.run_until_complete([&] { pool.shutdown(true, false, 100ms); });  // parks the fiber, not the loop
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  CHECK_THROWS_WITH(stuck.result(), Catch::Contains("was killed by SIGKILL (killed by shutdown at its wait limit)"));
  CHECK_THROWS_WITH(queued.result(), Catch::Contains("the wait limit passed before the job started"));
  auto messages = diagnostics.messages();
  REQUIRE(messages.size() == 1);
  CHECK_THAT(messages[0], Catch::Contains("waited 0.1 s for 1 running job(s) and 1 queued"));
  CHECK(no_children_left());
}

TEST_CASE("thread pool shutdown is bounded and names the threads it left running", "[compat][executor][shutdown]") {
  std::promise<void> released;
  std::shared_future<void> release = released.get_future().share();
  ThreadPoolExecutor pool(2);
  auto blocked = pool.submit([release] { release.wait(); });
  auto queued = pool.submit([release] { release.wait(); });
  auto dropped = pool.submit([] {});
  while (pool.threads() < 2) std::this_thread::yield();
  CHECK_THROWS_WITH(pool.shutdown(true, true, 20ms),
                    Catch::Contains("waited 0.02 s for 2 thread(s) still running a job") && Catch::Contains("detached"));
  CHECK_THROWS_AS(dropped.result(), CancelledError);
  released.set_value();
  blocked.result();
  queued.result();
}
