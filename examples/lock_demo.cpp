// The Lock program of seed 002 (`async def lock_demo():`): two tasks gathered together each hold the
// lock for 1 s, so the second acquires it only when the first releases it, and the pair takes 2 s
// instead of 1 s. Seed 003's Lock program shows the same with three workers taking 3 s
// (`--tasks 3`). `async with lock:` is a std::lock_guard: Lock has the Lockable spelling.
#include <spindle/spindle.hpp>

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

void lock_demo(int task_count) {
  start = now();
  Lock lock;
  auto critical_section = [&lock](const std::string& name) {
    std::lock_guard<Lock> hold(lock);
    std::printf("%s acquired lock\n", name.c_str());
    spindle::sleep(seconds(1));
    std::printf("%s releasing lock\n", name.c_str());
  };
  std::vector<Task<void>> tasks;
  for (int i = 1; i <= task_count; ++i) {
    tasks.push_back(create_task([&critical_section, i] { critical_section("Task " + std::to_string(i)); }));
  }
  gather(tasks);
  std::printf("use %.3f time\n", elapsed());
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"A Lock serialises two tasks that each hold it for 1 s: 2 s in all."};
  int task_count = 2;
  command_line.add_option("--tasks", task_count, "how many tasks compete for the lock").positive();
  add_clock_options(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;

  Loop loop({.virtual_clock = virtual_clock});
  loop.run_until_complete([task_count] { lock_demo(task_count); });
}
