// Cancelling executor jobs and wait_for timeouts: a process job that overruns wait_for is cancelled,
// its worker killed and replaced; a queued process job is dropped without killing anyone; a thread
// job that overruns wait_for runs to completion (documented); cancelling the waiting fiber cancels
// the process job.
//
// These run on the real clock: while a job is out in another process or thread the virtual clock
// runs at real speed anyway (it waits for the expected result), so it would buy nothing. The jobs
// that time out never finish (pause()), so the outcome does not depend on timing.
#include "leak_check.hpp"
#include "processes.hpp"

#include <spindle/compat/loop.hpp>
#include <spindle/compat/process_pool.hpp>
#include <spindle/compat/thread_pool.hpp>

#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

const bool zygote_started = (start_process_zygote(), true);

int wait_forever() {
  for (;;) ::pause();
}
int sleep_then_pid(int milliseconds) {
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
  return static_cast<int>(::getpid());
}

}  // namespace

TEST_CASE("a process job that overruns wait_for is cancelled and its worker replaced", "[compat][executor][cancel]") {
  REQUIRE(zygote_started);
  ProcessPoolExecutor pool(1);
  Loop loop;
  loop.run_until_complete([&] {
    int first = pool.submit(sleep_then_pid, 0).result();
    auto stuck = pool.submit(wait_forever);
    CHECK_THROWS_AS(wait_for(stuck, 50ms), TimeoutError);
    this_fiber::yield();  // the cancellation reaches the job through a done callback, as in asyncio
    CHECK(stuck.cancelled());
    // One worker: the next job can run only on a new one, after the killed one was reaped.
    int second = pool.submit(sleep_then_pid, 0).result();
    CHECK(second != first);
    CHECK_FALSE(test::process_exists(first));
  });
}

TEST_CASE("a queued process job that is cancelled never runs and kills no worker", "[compat][executor][cancel]") {
  ProcessPoolExecutor pool(1);
  auto running = pool.submit(sleep_then_pid, 100);
  auto queued = pool.submit(sleep_then_pid, 0);
  CHECK(queued.cancel("changed my mind"));
  CHECK_THROWS_WITH(queued.result(), "changed my mind");
  int first = running.result();
  CHECK(pool.submit(sleep_then_pid, 0).result() == first);  // the same worker
}

TEST_CASE("cancelling the fiber that waits on a process job cancels the job", "[compat][executor][cancel]") {
  ProcessPoolExecutor pool(1);
  Loop loop;
  loop.run_until_complete([&] {
    int first = pool.submit(sleep_then_pid, 0).result();
    auto waiter = create_task([&] { return gather(loop.run_in_executor(pool, wait_forever)); });
    sleep(10ms);
    waiter.cancel();
    CHECK_THROWS_AS(waiter.result(), CancelledError);
    CHECK(pool.submit(sleep_then_pid, 0).result() != first);  // the stuck worker was killed
  });
}

TEST_CASE("a thread job that overruns wait_for runs to completion; only its future is cancelled", "[compat][executor][cancel]") {
  ThreadPoolExecutor pool(1);
  std::promise<void> released;
  std::shared_future<void> release = released.get_future().share();
  std::atomic<bool> finished{false};
  Loop loop;
  loop.run_until_complete([&] {
    auto job = pool.submit([&, release] {
      release.wait();
      finished = true;
      return 1;
    });
    CHECK_THROWS_AS(wait_for(job, 20ms), TimeoutError);
    this_fiber::yield();
    CHECK(job.cancelled());
  });
  CHECK_FALSE(finished);
  released.set_value();
  pool.shutdown();
  CHECK(finished);
}
