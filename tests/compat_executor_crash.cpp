// A process job that throws, and workers that die: a job's exception arrives as RemoteError with
// its type and message; a worker killed by SIGSEGV, abort() or SIGKILL from outside fails the job
// it held with BrokenProcessPool naming the signal, is reaped and replaced, and later jobs run.
#include "leak_check.hpp"
#include "processes.hpp"

#include <spindle/compat/detail/zygote.hpp>
#include <spindle/compat/loop.hpp>
#include <spindle/compat/process_pool.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

const bool zygote_started = (start_process_zygote(), true);

struct ParseError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int parse_positive(const std::string& text) {
  int value = std::stoi(text);
  if (value <= 0) throw ParseError("not positive: " + text);
  return value;
}
int crash_with_segfault() {
  ::raise(SIGSEGV);
  return 0;
}
int crash_with_abort() { std::abort(); }
int sleep_then_pid(int milliseconds) {
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
  return static_cast<int>(::getpid());
}
int pid_of_worker() { return static_cast<int>(::getpid()); }

// Runs `crash` in a one-worker pool and checks the BrokenProcessPool it ends with, then that a new
// worker runs the next job and the dead one was reaped.
void check_death_is_survived(int (*crash)(), const char* signal_name) {
  ProcessPoolExecutor pool(1);
  int first = pool.submit(pid_of_worker).result();
  auto crashed = pool.submit(crash);
  try {
    crashed.result();
    FAIL("the crashed job returned");
  } catch (const BrokenProcessPool& broken) {
    std::string what = broken.what();
    CHECK_THAT(what, Catch::Contains("worker " + std::to_string(first)) && Catch::Contains(signal_name));
  }
  int second = pool.submit(pid_of_worker).result();
  CHECK(second != first);
  CHECK_FALSE(test::process_exists(first));
}

}  // namespace

TEST_CASE("an exception thrown in a worker arrives with its type name and message", "[compat][executor][crash]") {
  REQUIRE(zygote_started);
  ProcessPoolExecutor pool(1);
  Loop loop({.virtual_clock = true});
  loop.run_until_complete([&] {
    try {
      pool.submit(parse_positive, "-4").result();
      FAIL("no exception");
    } catch (const RemoteError& error) {
      CHECK_THAT(error.type_name(), Catch::EndsWith("ParseError"));
      CHECK(error.message() == "not positive: -4");
      CHECK_THAT(std::string(error.what()), Catch::Contains("ParseError: not positive: -4"));
    }
    try {
      pool.submit(parse_positive, "many").result();
      FAIL("no exception");
    } catch (const RemoteError& error) {
      CHECK(error.type_name() == "std::invalid_argument");
      CHECK(error.message() == "stoi");
    }
    CHECK(pool.submit(parse_positive, "12").result() == 12);  // the same worker goes on
  });
}

TEST_CASE("a worker killed by SIGSEGV fails its job with BrokenProcessPool and is replaced", "[compat][executor][crash]") {
  check_death_is_survived(crash_with_segfault, "SIGSEGV");
}

TEST_CASE("a worker that aborts fails its job with BrokenProcessPool and is replaced", "[compat][executor][crash]") {
  check_death_is_survived(crash_with_abort, "SIGABRT");
}

TEST_CASE("a worker killed from outside fails its job, and the other workers' jobs are untouched", "[compat][executor][crash]") {
  ProcessPoolExecutor pool(2);
  auto victim = pool.submit(sleep_then_pid, 10'000);
  auto survivor = pool.submit(sleep_then_pid, 50);
  // Both jobs are running once two workers exist; the first job went to the first worker.
  while (pool.worker_pids().size() < 2) std::this_thread::yield();
  pid_t victim_pid = pool.worker_pids().front();
  ::kill(victim_pid, SIGKILL);
  CHECK_THROWS_WITH(victim.result(), Catch::Contains("worker " + std::to_string(victim_pid) + " was killed by SIGKILL"));
  CHECK(survivor.result() != victim_pid);
  CHECK(pool.submit(sleep_then_pid, 0).result() != victim_pid);
  pool.shutdown();
  CHECK(test::children_of(detail::zygote_pid()).empty());  // every worker reaped, no zombie left
}
