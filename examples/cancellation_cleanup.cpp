// The cancellation handler of seed 002 (`async def cancellable_task():`): the task sleeps 100 s,
// catches CancelledError, prints "Task was cancelled, cleaning up..." and rethrows, so whoever waits
// for it sees it cancelled. The seed leaves out who cancels it: here main does, after 1 s. The
// cleanup may itself wait (0.5 s here), because a cancellation is delivered once; a destructor plays
// the part of Python's `finally` and runs as the rethrown CancelledError unwinds the task. 1.5 s.
#include <spindle/spindle.hpp>

#include <cstdio>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

// Stands for whatever the task holds (a connection, a file): released however the task ends.
struct Resources {
  ~Resources() { std::printf("%.3f Task finally: resources released\n", elapsed()); }
};

void cancellable_task() {
  std::printf("%.3f Task started\n", elapsed());
  Resources resources;
  try {
    spindle::sleep(seconds(100));
  } catch (const CancelledError&) {  // not a std::exception: it must be named
    std::printf("%.3f Task was cancelled, cleaning up...\n", elapsed());
    spindle::sleep(seconds(0.5));
    std::printf("%.3f Task cleanup done\n", elapsed());
    throw;  // so that the task counts as cancelled
  }
}

void cancel_after_a_second() {
  start = now();
  Task<void> task = create_task(cancellable_task, "cancellable_task");
  spindle::sleep(seconds(1));
  std::printf("%.3f main: cancelling the task\n", elapsed());
  task.cancel();
  try {
    task.result();
  } catch (const CancelledError&) {
    std::printf("%.3f main: task.cancelled() is %s\n", elapsed(), task.cancelled() ? "true" : "false");
  }
  std::printf("use %.3f time\n", elapsed());
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"Cancelling a task: its CancelledError handler and destructors run (cleanup may wait); "
                           "1.5 s."};
  add_clock_options(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;

  Loop loop({.virtual_clock = virtual_clock});
  loop.run_until_complete(cancel_after_a_second);
}
