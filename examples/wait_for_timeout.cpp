// The timeout check of seed 002 (`async def with_timeout():`): wait_for(long_running_task(),
// timeout=5.0), printing "Task timed out!" on TimeoutError. The seed leaves long_running_task out;
// here it works for a given time and reports being cancelled. Work that needs 3 s finishes and its
// result comes back; work that needs 10 s is cancelled at the 5 s deadline, and wait_for throws
// TimeoutError only after the work has finished unwinding. 3 s + 5 s = 8 s in all.
#include <spindle/spindle.hpp>

#include <cstdio>
#include <string>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

std::string long_running_task(int work_seconds) {
  std::printf("%.3f long running task: working for %d s\n", elapsed(), work_seconds);
  try {
    spindle::sleep(seconds(work_seconds));
  } catch (const CancelledError&) {  // not a std::exception: it must be named
    std::printf("%.3f long running task: cancelled\n", elapsed());
    throw;
  }
  std::printf("%.3f long running task: finished\n", elapsed());
  return "done after " + std::to_string(work_seconds) + " s";
}

void with_timeout(int work_seconds) {
  try {
    std::string result = wait_for([work_seconds] { return long_running_task(work_seconds); }, seconds(5.0));
    std::printf("%.3f Task finished: %s\n", elapsed(), result.c_str());
  } catch (const TimeoutError&) {
    std::printf("%.3f Task timed out!\n", elapsed());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"wait_for with a 5 s timeout: 3 s of work returns its result, 10 s of work is cancelled "
                           "(TimeoutError); 8 s in all."};
  add_clock_options(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;

  Loop loop({.virtual_clock = virtual_clock});
  loop.run_until_complete([] {
    start = now();
    with_timeout(3);
    with_timeout(10);
    std::printf("use %.3f time\n", elapsed());
  });
}
