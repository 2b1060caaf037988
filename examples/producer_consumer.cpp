// The producer-consumer program of seed 002 (`async def queue_demo():`): a producer puts 0..19 into a
// Queue(maxsize=10), one every 0.1 s; three consumers take items, call task_done() and rest 0.2 s.
// join() returns once every item was taken and marked done, after about 2 s, and the consumers,
// which loop forever, are then cancelled.
#include <spindle/spindle.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

void producer(Queue<int>& queue) {
  for (int item = 0; item < 20; ++item) {
    queue.put(item);
    std::printf("Produced: %d\n", item);
    spindle::sleep(seconds(0.1));
  }
}

void consumer(Queue<int>& queue, const std::string& name) {
  for (;;) {
    int item = queue.get();
    std::printf("%s consumed: %d\n", name.c_str(), item);
    queue.task_done();
    spindle::sleep(seconds(0.2));
  }
}

void queue_demo() {
  start = now();
  Queue<int> queue(10);
  std::vector<Task<void>> consumers;
  for (int i = 0; i < 3; ++i) {
    std::string name = "Consumer-" + std::to_string(i);
    consumers.push_back(create_task([&queue, name] { consumer(queue, name); }, name));
  }
  producer(queue);
  queue.join();
  for (auto& task : consumers) task.cancel();
  // The queue lives on this stack and a consumer may still be parked in get(): let them unwind
  // before it goes. Cancellation is immediate, so this takes no time.
  wait(consumers);
  std::printf("use %.3f time\n", elapsed());
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"A producer and three consumers over a Queue with task_done() and join(); about 2 s."};
  add_clock_options(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;

  Loop loop({.virtual_clock = virtual_clock});
  loop.run_until_complete(queue_demo);
}
