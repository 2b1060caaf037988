// The seed 000 programs about running a loop:
// - `asyncio.run(main())` where main awaits hello(): "Hello", a 1 s sleep, "World";
// - asyncio.run(my_coroutine()) in a new thread: each thread runs its own loop;
// - `loop.run_until_complete(coro4(loop))`, where coro4 creates the task coro5 and returns at once:
//   run_until_complete returns when coro4 is done and coro5 is still pending; a later run_forever
//   runs it (the seed's run_forever never returns; here a done callback on coro5 stops the loop).
#include <spindle/spindle.hpp>

#include <cstdio>
#include <optional>
#include <thread>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

void hello() {
  std::printf("Hello\n");
  spindle::sleep(seconds(1));
  std::printf("World\n");
}

void my_coroutine() {
  spindle::sleep(seconds(1));
  std::printf("Coroutine finished\n");
}

void coro5() {
  spindle::sleep(seconds(1));
  std::printf("coro5 finished\n");
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"Running loops: run(main), a loop in a new thread, and run_until_complete leaving a task "
                           "for run_forever."};
  add_clock_options(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;
  const SchedulerOptions options{.virtual_clock = virtual_clock};

  run([] { hello(); }, options);

  std::thread([&options] { run(my_coroutine, options); }).join();

  Loop loop(options);
  std::optional<Task<void>> coro5_task;
  loop.run_until_complete([&] {
    coro5_task = create_task(coro5, "coro5");
    std::printf("coro4 finished\n");
  });
  std::printf("after run_until_complete, coro5 done: %s\n", python_bool(coro5_task->done()));
  coro5_task->add_done_callback([&loop](const Future<void>&) { loop.stop(); });
  loop.run_forever();
  std::printf("after run_forever, coro5 done: %s\n", python_bool(coro5_task->done()));
}
