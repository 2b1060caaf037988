// The seeds' done-callback program with gather (001), `async def main(): task1 =
// loop.create_task(asyncfunc1())`: two tasks (1 s each) get a done callback that receives the
// finished task and prints its result, then main gathers them. Everything runs on the main thread;
// both callbacks print before main prints the gathered results. 1 s in all.
//
// The seed prints threading.current_thread(), whose ident changes every run; this prints the same
// repr without the ident, so the output stays the same. A callback that needs more than the future
// (functools.partial(callback, extra)) binds it in a lambda capture or with std::bind_front.
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

std::string async_func2() {
  std::printf("Suspending func2\n");
  spindle::sleep(seconds(1));
  std::printf("func func2  %s\n", current_thread());
  std::printf("Resuming func2\n");
  return "func2";
}

// Runs on the loop once the task is done, so result() returns at once.
void callback_func(const Future<std::string>& task) {
  std::printf("task 运行结束,它的结果是: %s\n", task.result().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"Done callbacks on two tasks print their results, then main prints the gathered list "
                           "(1 s)."};
  add_clock_options(command_line, "multiply every sleep by this factor");
  if (auto status = command_line.parse(argc, argv)) return *status;

  std::printf("In main thread  %s\n", current_thread());
  Loop loop({.virtual_clock = virtual_clock});
  loop.run_until_complete([] {
    Task<std::string> task1 = create_task(async_func1);
    task1.add_done_callback(callback_func);
    Task<std::string> task2 = create_task(async_func2);
    task2.add_done_callback(callback_func);
    auto [result1, result2] = gather(task1, task2);
    std::printf("['%s', '%s']\n", result1.c_str(), result2.c_str());
  });
}
