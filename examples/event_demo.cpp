// The Event program of seed 003 (test6.py, `big_event = asyncio.Event()`; the seed's copy of the
// article lost the code, which the original article has): four waiters, two on each of two Events;
// three workers each fetch a random number from a local web server (1 s) and set big_event for a
// number above 0.5, small_event otherwise. Each waiter prints right after the response that set its
// event, and both waiters on an Event wake together. About 1 s in all.
//
// The seed's web server is simulated: each response takes 1 s plus a network delay of 10 ms more
// per request, so the responses arrive one after another as in the seed's transcript, and carry the
// transcript's numbers. (With a small --scale on a busy machine the shrunken gaps can fall within
// the timer latency, and the responses then arrive together, as they would in asyncio.) Output is
// in English (响应内容 is "response", 收到任务事件 "got the event"), and the timestamps are seconds
// since the start. The labels are the seed's: its "big waiter" waits for small_event and its
// "small waiter" for big_event.
#include <spindle/spindle.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

// GET /random on the seed's web server: {"msg": random()} after 1 s.
double simulated_get_random(int id) {
  static constexpr double transcript_numbers[] = {0.9879470259657458, 0.33312954919903903,
                                                  0.41934453838367824};
  spindle::sleep(seconds(1.0 + 0.01 * id));
  return transcript_numbers[id % 3];
}

void waiter(const char* label, Event& event) {
  event.wait();
  std::printf("%.3f %s got the event\n", elapsed(), label);
}

double run(int id, Event& big_event, Event& small_event) {
  double data = simulated_get_random(id);
  std::printf("response {'msg': %s}\n", python_repr(data).c_str());
  if (data > 0.5) {
    big_event.set();
  } else {
    small_event.set();
  }
  return data;
}

void event_demo(int workers) {
  start = now();
  Event big_event;
  Event small_event;
  std::vector<Task<void>> waiters{
      create_task([&] { waiter("big waiter", small_event); }),
      create_task([&] { waiter("big waiter", small_event); }),
      create_task([&] { waiter("small waiter", big_event); }),
      create_task([&] { waiter("small waiter", big_event); }),
  };
  std::vector<Task<double>> futures;
  for (int id = 0; id < workers; ++id) {
    futures.push_back(create_task([&, id] { return run(id, big_event, small_event); }));
  }
  wait(futures);
  if (!big_event.is_set()) big_event.set();
  if (!small_event.is_set()) small_event.set();
  // The seed yields once (sleep(0)) for the woken waiters to finish; waiting for them says so, and
  // the Events must outlive them.
  wait(waiters);
  std::printf("use %.3f time\n", elapsed());
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"Two Events, two waiters on each, set by the responses of three simulated requests; about "
                           "1 s."};
  add_clock_options(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;

  Loop loop({.virtual_clock = virtual_clock});
  loop.run_until_complete([] { event_demo(3); });
}
