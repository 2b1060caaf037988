// Deadlock detection under the virtual clock: DeadlockError, its report, and ExpectPost.
#include "leak_check.hpp"

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// The line of `report` that mentions `name`, or "".
std::string line_naming(const std::string& report, const std::string& name) {
  std::istringstream lines(report);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(name) != std::string::npos) return line;
  }
  return "";
}

pid_t current_tid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

// Returns once thread `tid` of this process is asleep in the kernel. The scheduler thread gets
// there only by blocking in epoll (or, if it failed, by joining the caller at the end of the test),
// so this waits for an event that is certain to come.
void wait_until_asleep(pid_t tid) {
  const std::string path = "/proc/self/task/" + std::to_string(tid) + "/stat";
  for (;;) {
    std::ifstream stat(path);
    std::string text;
    std::getline(stat, text);
    std::size_t name_end = text.rfind(')');
    if (name_end != std::string::npos && name_end + 2 < text.size() && text[name_end + 2] == 'S') return;
    std::this_thread::yield();
  }
}

}  // namespace

TEST_CASE("a main fiber waiting on a WaitList nobody will wake makes run_until_complete throw DeadlockError "
          "listing the parked fibers",
          "[fibers][deadlock]") {
  test::CapturedDiagnostics diagnostics;
  WaitList never;  // outlive the scheduler: its destructor unwinds the waiters, which unlink
  WaitList gate;
  bool main_unwound = false;
  bool worker_unwound = false;
  std::string report;
  {
    Scheduler scheduler({.virtual_clock = true});
    try {
      scheduler.run_until_complete([&] {
        auto worker = spawn(
            [&] {
              test::SetOnDestroy flag{worker_unwound};
              gate.wait("worker gate");
            },
            {.name = "stuck-worker"});
        test::SetOnDestroy flag{main_unwound};
        this_fiber::sleep_for(5s);  // timers keep the clock moving; only then is it a deadlock
        never.wait("nobody wakes main");
      });
      FAIL("run_until_complete returned instead of throwing DeadlockError");
    } catch (const DeadlockError& error) {
      report = error.what();
    }
    CHECK(scheduler.live_fibers() == 2);
    CHECK(never.size() == 1);
    CHECK(gate.size() == 1);
    CHECK_FALSE(main_unwound);
    CHECK_FALSE(worker_unwound);
  }  // the destructor cancels both fibers and runs them until they have unwound
  INFO("report:\n" << report);
  CHECK_THAT(report, Catch::Matchers::Contains("deadlock"));
  std::string main_line = line_naming(report, "'main'");
  std::string worker_line = line_naming(report, "'stuck-worker'");
  CHECK_THAT(main_line, Catch::Matchers::Contains("parked") && Catch::Matchers::Contains("nobody wakes main"));
  CHECK_THAT(worker_line, Catch::Matchers::Contains("parked") && Catch::Matchers::Contains("worker gate"));
  CHECK(main_unwound);
  CHECK(worker_unwound);
  CHECK(never.empty());
  CHECK(gate.empty());
  CHECK(diagnostics.messages().empty());  // both fibers honoured the shutdown cancellation
}

TEST_CASE("a fiber parked on a WaitList that a sleeping fiber will wake is not a deadlock", "[fibers][deadlock]") {
  Scheduler scheduler({.virtual_clock = true});
  TimePoint start = scheduler.now();
  WakeStatus status = scheduler.run_until_complete([] {
    WaitList list;
    auto waker = spawn([&] {
      this_fiber::sleep_for(5s);
      list.wake_one();
    });
    WakeStatus result = list.wait("woken by the sleeper");
    waker.join();
    return result;
  });
  CHECK(status == WakeStatus::woken);
  CHECK(scheduler.now() - start == 5s);
  CHECK(scheduler.live_fibers() == 0);
}

TEST_CASE("an ExpectPost held by another thread that later posts an unpark prevents the DeadlockError",
          "[fibers][deadlock]") {
  Scheduler scheduler({.virtual_clock = true});
  const TimePoint start = scheduler.now();
  std::thread poster;
  bool posted_work_ran = false;
  WakeStatus status = WakeStatus::timed_out;
  std::string deadlock;
  try {
    status = scheduler.run_until_complete([&] {
      const Waker main = Waker::current();
      const pid_t loop_tid = current_tid();
      // Announced before main parks. The poster hands it over with its post, and the posted work
      // drops it, so the expectation lasts until the post has run.
      auto expect = std::make_unique<Scheduler::ExpectPost>(scheduler);
      poster = std::thread([&scheduler, &posted_work_ran, main, loop_tid, expect = std::move(expect)]() mutable {
        wait_until_asleep(loop_tid);  // the scheduler has nothing to run and waits for the post
        scheduler.post([&posted_work_ran, main, expect = std::move(expect)]() mutable {
          posted_work_ran = true;
          main.unpark();
          expect.reset();
        });
      });
      return park("until another thread posts");
    });
  } catch (const DeadlockError& error) {
    deadlock = error.what();
  }
  poster.join();
  CHECK(deadlock.empty());
  CHECK(status == WakeStatus::woken);
  CHECK(posted_work_ran);
  CHECK(scheduler.now() == start);
  CHECK(scheduler.live_fibers() == 0);
}

namespace {

// Child process body: main parks for good while another thread holds an ExpectPost; once the
// scheduler is blocked waiting for that post, the thread drops the ExpectPost without posting.
// Exits 0 on DeadlockError, 2 if run_until_complete returned; SIGALRM means the scheduler hung.
void drop_expect_post_while_the_scheduler_waits() {
  ::alarm(2);
  Scheduler scheduler({.virtual_clock = true});
  auto expect = std::make_unique<Scheduler::ExpectPost>(scheduler);
  const pid_t loop_tid = current_tid();
  std::thread dropper([&] {
    wait_until_asleep(loop_tid);
    expect.reset();
  });
  int code = 2;
  try {
    scheduler.run_until_complete([] { park("for a post that will not come"); });
  } catch (const DeadlockError&) {
    code = 0;
  }
  dropper.join();
  std::_Exit(code);
}

}  // namespace

TEST_CASE("an ExpectPost dropped without a post lets the DeadlockError come instead of hanging",
          "[fibers][deadlock]") {
  // In a child process: the failure mode is a scheduler blocked in epoll forever.
  auto [status, errors] = test::run_in_child(drop_expect_post_while_the_scheduler_waits);
  INFO("child stderr: " << errors);
  CHECK_FALSE(WIFSIGNALED(status));
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
