// The seeds' task program (001), `taska = asyncio.ensure_future(testa(1))`: two tasks are created
// (3 s and 1 s of work), printed while still pending, awaited b first then a, and their done() and
// result() read afterwards. Creating a task does not run it: both start only when main parks on
// task b, so the whole thing takes 3 s. The seed's loop.create_task variant prints the same; spindle
// has one spelling, create_task.
//
// One difference from asyncio: result() on a pending task parks until the task is done, where
// asyncio raises InvalidStateError('Result is not ready.'). So `await taskb` is taskb.result().
#include <spindle/spindle.hpp>

#include <cstdio>
#include <string>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

int test_a(int x) {
  std::printf("in test a\n");
  spindle::sleep(seconds(3));
  std::printf("Resuming a\n");
  return x;
}

int test_b(int x) {
  std::printf("in test b\n");
  spindle::sleep(seconds(1));
  std::printf("Resuming b\n");
  return x;
}

// Like asyncio's task repr: <Task pending name='test a'> / <Task finished name='test a' result=1>.
std::string describe(const Task<int>& task) {
  if (!task.done()) return "<Task pending name='" + task.get_name() + "'>";
  return "<Task finished name='" + task.get_name() + "' result=" + std::to_string(task.result()) + ">";
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"Tasks: printed while pending, awaited, then done() and result() read (3 s in all)."};
  add_clock_options(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;

  Loop loop({.virtual_clock = virtual_clock});
  loop.run_until_complete([] {
    start = now();
    Task<int> task_a = create_task([] { return test_a(1); }, "test a");
    Task<int> task_b = create_task([] { return test_b(2); }, "test b");

    std::printf("%s\n", describe(task_a).c_str());
    std::printf("%s\n", describe(task_b).c_str());
    std::printf("%s %s\n", python_bool(task_a.done()), python_bool(task_b.done()));
    task_b.result();  // await taskb: main parks here, and only now do both tasks start
    task_a.result();  // await taska
    std::printf("%s %s\n", python_bool(task_a.done()), python_bool(task_b.done()));

    std::printf("%d\n", task_b.result());
    std::printf("%d\n", task_a.result());
    std::printf("use %.3f time\n", elapsed());
  });
}
