// The seeds' wait(FIRST_EXCEPTION) program (001): test a sleeps 3 s then fails, test b sleeps 1 s then
// fails; wait() returns as soon as the first one fails, after about 1 s, with one task done and one
// pending. Nothing raises: the failure is inside the done task.
#include <spindle/spindle.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;
using namespace std::chrono_literals;

namespace {

int divide_by_zero() { throw std::domain_error("division by zero"); }

int test_a(int x) {
  std::printf("in test a\n");
  spindle::sleep(seconds(3));
  divide_by_zero();
  std::printf("Resuming a\n");
  return x;
}

int test_b(int x) {
  std::printf("in test b\n");
  spindle::sleep(seconds(1));
  divide_by_zero();
  std::printf("Resuming b\n");
  return x;
}

// Like asyncio's task repr: <Task finished name='test b' exception=...> / <Task pending name='test a'>.
std::string describe(const Task<int>& task) {
  if (!task.done()) return "<Task pending name='" + task.get_name() + "'>";
  try {
    return "<Task finished name='" + task.get_name() + "' result=" + std::to_string(task.result()) + ">";
  } catch (const std::exception& error) {
    return "<Task finished name='" + task.get_name() + "' exception=" + error.what() + ">";
  }
}

void print_list(const char* label, const std::vector<Future<int>>& futures, const std::vector<Task<int>>& tasks) {
  std::string text = "[";
  for (const auto& future : futures) {
    for (const auto& task : tasks) {
      if (task == future) text += (text.size() > 1 ? ", " : "") + describe(task);
    }
  }
  std::printf("%s %s]\n", label, text.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"wait(FIRST_EXCEPTION): returns after about 1 s with one task done (failed) and one "
                           "pending."};
  add_clock_options(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;

  Loop loop({.virtual_clock = virtual_clock});
  loop.run_until_complete([] {
    start = now();
    std::vector<Task<int>> tasks{create_task([] { return test_a(1); }, "test a"),
                                 create_task([] { return test_b(2); }, "test b")};
    auto [done, pending] = wait(tasks, std::nullopt, ReturnWhen::first_exception);
    print_list("done:", done, tasks);
    print_list("pending:", pending, tasks);
    std::printf("use %.3f time\n", elapsed());
    for (auto& task : tasks) task.cancel();  // the pending one, as the loop's end would
  });
}
