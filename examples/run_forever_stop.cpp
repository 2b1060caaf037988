// The seeds' run_forever program (001), `def callbackfunc(task):` ... `loop.stop()`: a task is
// created before the loop runs, gets a done callback that prints its result and stops the loop, and
// the loop is started with run_forever(). The task only runs once the loop does; run_forever()
// returns after about 1 s, when the callback has called stop().
//
// The seed prints threading.current_thread(), whose ident changes every run; this prints the same
// repr without the ident, so the output stays the same.
#include <spindle/spindle.hpp>

#include <cstdio>
#include <string>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

std::string async_func1() {
  std::printf("Suspending func1\n");
  spindle::sleep(seconds(1));
  std::printf("func func1  %s\n", current_thread());
  std::printf("Resuming func1\n");
  return "func1";
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"run_forever() until a task's done callback calls loop.stop() (after 1 s)."};
  add_clock_options(command_line, "multiply every sleep by this factor");
  if (auto status = command_line.parse(argc, argv)) return *status;

  std::printf("In main thread  %s\n", current_thread());
  Loop loop({.virtual_clock = virtual_clock});
  Task<std::string> task = create_task(async_func1);
  task.add_done_callback([&loop](const Future<std::string>& done) {
    std::printf("task 运行结束,它的结果是: %s\n", done.result().c_str());
    loop.stop();
  });
  loop.run_forever();
}
