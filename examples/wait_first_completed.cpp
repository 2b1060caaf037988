// The seeds' wait program (002), "方式2" of `async def main():`:
// `done, pending = await asyncio.wait(tasks, timeout=2.0, return_when=asyncio.FIRST_COMPLETED)`.
// Three fetches start together; wait() returns as soon as the first one finishes, well before its
// timeout, with one task done and two pending. In the seed every fetch sleeps 1 s, so all three
// finish at once and nothing is left pending; here fetch n takes 3, 1 and 2 s so the split shows,
// and two more waits show the rest of wait's contract. The Python this ports:
//
//   tasks = [asyncio.create_task(fetch(url, delay), name=url) for url, delay in urls]  # 3, 1, 2 s
//   done, pending = await asyncio.wait(tasks, timeout=2.0, return_when=asyncio.FIRST_COMPLETED)
//   done, pending = await asyncio.wait(pending, timeout=0.5)  # times out: nothing raises
//   done, pending = await asyncio.wait(pending)               # nothing was cancelled: both finish
//
// printing done and pending after each wait, and the total time (3 s). Python's done is a set;
// spindle lists done tasks in the order they finished and pending ones in the order given.
#include <spindle/spindle.hpp>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

// The seed's fetch: a simulated network request.
std::string fetch(const std::string& url, double delay) {
  std::printf("Fetching %s\n", url.c_str());
  spindle::sleep(seconds(delay));
  return "Data from " + url;
}

// Like asyncio's task repr: <Task pending name='...'> / <Task finished name='...' result='...'>.
std::string describe(const Task<std::string>& task) {
  if (!task.done()) return "<Task pending name='" + task.get_name() + "'>";
  return "<Task finished name='" + task.get_name() + "' result='" + task.result() + "'>";
}

// wait() hands back Futures; the tasks they are carry the names.
void print_list(const char* label, const std::vector<Future<std::string>>& futures,
                const std::vector<Task<std::string>>& tasks) {
  std::string text;
  for (const auto& future : futures) {
    for (const auto& task : tasks) {
      if (task == future) text += (text.empty() ? "" : ", ") + describe(task);
    }
  }
  std::printf("%s [%s]\n", label, text.c_str());
}

void report(const char* call, const WaitResult<std::string>& result, const std::vector<Task<std::string>>& tasks) {
  std::printf("%s returned after %.3f s\n", call, elapsed());
  print_list("done:", result.done, tasks);
  print_list("pending:", result.pending, tasks);
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"wait(timeout, FIRST_COMPLETED) returns at the first finished fetch; a wait timeout "
                           "raises nothing."};
  add_clock_options(command_line, "multiply every sleep and timeout by this factor (times are printed unscaled)");
  if (auto status = command_line.parse(argc, argv)) return *status;

  Loop loop({.virtual_clock = virtual_clock});
  loop.run_until_complete([] {
    start = now();
    const std::vector<std::pair<std::string, double>> urls{
        {"http://example.com/1", 3}, {"http://example.com/2", 1}, {"http://example.com/3", 2}};
    std::vector<Task<std::string>> tasks;
    for (const auto& [url, delay] : urls) tasks.push_back(create_task([url, delay] { return fetch(url, delay); }, url));

    auto first = wait(tasks, seconds(2.0), ReturnWhen::first_completed);
    report("wait(tasks, timeout=2.0, return_when=FIRST_COMPLETED)", first, tasks);
    auto timed_out = wait(first.pending, seconds(0.5));
    report("wait(pending, timeout=0.5)", timed_out, tasks);
    auto rest = wait(timed_out.pending);
    report("wait(pending)", rest, tasks);
    std::printf("use %.3f time\n", elapsed());
  });
}
