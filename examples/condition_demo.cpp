// The Condition program of seed 003 (test7.py, `cond = asyncio.Condition()`; the seed's copy of the
// article lost the code, which the original article has): three waiters wait on one Condition;
// three workers each fetch a random number from a local web server (1 s) and then notify(2). The
// first response wakes exactly two waiters, together, and the third waits for the next response:
// unlike an Event, a Condition wakes a chosen number of waiters. About 1 s in all.
//
// The seed's web server is simulated: each response takes 1 s, the second and third 10 ms more, so
// they arrive as in the seed's transcript (whose numbers they carry): the first alone, the other two
// together, before the third waiter gets to run. (With a small --scale on a busy machine the
// shrunken gap can fall within the timer latency, and all three then arrive together.) Output is in
// English (响应内容 is "response", 等待完成 "finished waiting"), and the timestamps are seconds
// since the start.
#include <spindle/spindle.hpp>

#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

// GET /random on the seed's web server: {"msg": random()} after 1 s.
double simulated_get_random(int id) {
  static constexpr double transcript_numbers[] = {0.587516452693613, 0.3391774763719556, 0.2653464378663153};
  spindle::sleep(seconds(id == 0 ? 1.0 : 1.01));
  return transcript_numbers[id % 3];
}

void waiter(int id, Condition& cond) {
  std::lock_guard<Condition> hold(cond);  // async with cond:
  cond.wait();
  std::printf("%.3f waiter[%d] finished waiting\n", elapsed(), id);
}

double run(int id, Condition& cond) {
  double data = simulated_get_random(id);
  std::printf("response {'msg': %s}\n", python_repr(data).c_str());
  std::lock_guard<Condition> hold(cond);
  cond.notify(2);
  return data;
}

void condition_demo(int workers) {
  start = now();
  Condition cond;
  std::vector<Task<void>> waiters;
  for (int id = 0; id < workers; ++id) waiters.push_back(create_task([&cond, id] { waiter(id, cond); }));
  std::vector<Task<double>> futures;
  for (int id = 0; id < workers; ++id) futures.push_back(create_task([&cond, id] { return run(id, cond); }));
  wait(futures);
  // The seed yields once (sleep(0)) for the woken waiters to finish; waiting for them says so, and
  // the Condition must outlive them.
  wait(waiters);
  std::printf("use %.3f time\n", elapsed());
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"A Condition: each of three simulated responses notifies two of three waiters; about 1 s."};
  add_clock_options(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;

  Loop loop({.virtual_clock = virtual_clock});
  loop.run_until_complete([] { condition_demo(3); });
}
