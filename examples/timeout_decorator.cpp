// The timeout decorator of seed 004 (its index entry "协程超时-装饰器"; the program is
// task_queue_timeoutit.py in the original repository, `def timeout_it(timeout = 10):`).
// timeout_it(limit)(fn) wraps any callable with a deadline, as the seed's `@timeout_it(timeout=20)`
// wraps fetch_url: the wrapper runs fn under wait_for and prints "task complete..." or
// "task timeout...". A producer queues 20 orders, a customer starts a wrapped fetch for each, and
// every fetch asks the seed's /aio server, which answers {'delay': N} after N seconds (1 to 30). The
// fetches run side by side: those under 20 s complete in order of their delay, the rest are cancelled
// together at 20 s, so it takes 20 s.
//
// Simulated here: the server (each order's delay is fixed, taken from the seed's transcript where it
// shows one; fetches whose delays tie finish in the order they were sent, which the network decided
// in the transcript). The seed's customer loops forever and the program never ends; here the
// producer shuts the queue down after the last order, and the customer then waits for its fetches.
#include <spindle/spindle.hpp>

#include <cstdio>
#include <functional>
#include <iterator>
#include <optional>
#include <type_traits>
#include <variant>
#include <vector>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

// The seed's decorator with arguments: timeout_it(limit) returns a decorator, and decorating `fn`
// returns a callable taking fn's arguments. Calling it (from a fiber) runs fn with its own copies
// of the arguments under wait_for, prints the outcome as the seed's wrapper does, and returns fn's
// value, or nullopt if the deadline passed and fn was cancelled (the seed's wrapper drops the value).
// A void fn gives std::optional<std::monostate>: engaged if it completed.
auto timeout_it(Duration limit) {
  return [limit]<class Fn>(Fn fn) {
    return [limit, fn]<class... Args>(Args... args) {
      using Result = std::invoke_result_t<Fn&, Args&...>;
      using Value = std::conditional_t<std::is_void_v<Result>, std::monostate, Result>;
      // Copies, not references: if the caller is cancelled, wait_for does not wait for fn to unwind.
      auto call = [fn, args...]() mutable -> Value {
        if constexpr (std::is_void_v<Result>) {
          std::invoke(fn, args...);
          return {};
        } else {
          return std::invoke(fn, args...);
        }
      };
      std::optional<Value> value;
      try {
        value = wait_for(call, limit);
      } catch (const TimeoutError&) {
        std::printf("task timeout...\n");
        return value;
      }
      std::printf("task complete...\n");
      return value;
    };
  };
}

// Seconds the simulated /aio server sleeps for each order.
constexpr int server_delays[] = {4, 3, 25, 18, 15, 22, 28, 6, 30, 21, 15, 27, 24, 29, 15, 14, 23, 6, 26, 14};
constexpr int order_count = std::size(server_delays);

int fetch_url(int order) {
  std::printf("fetching... %d\n", order);
  int delay = server_delays[order];
  spindle::sleep(seconds(delay));
  std::printf("order %d: {'delay': %d}\n", order, delay);
  return delay;
}

void producer(Queue<int>& task_queue) {
  std::printf("producer start...\n");
  for (int order = 0; order < order_count; ++order) task_queue.put(order);
  task_queue.shutdown();  // the customer's get() throws QueueShutDown once it has taken every order
  std::printf("producer complete...\n");
}

template <class Fetch>
void customer(Queue<int>& task_queue, const Fetch& fetch) {
  std::printf("customer start...\n");
  std::vector<Task<std::optional<int>>> fetches;
  try {
    for (;;) {
      int order = task_queue.get();
      fetches.push_back(create_task([&fetch, order] { return fetch(order); }));
    }
  } catch (const QueueShutDown&) {
  }
  wait(fetches);
  std::printf("customer complete...\n");
}

void fetch_everything() {
  start = now();
  auto timed_fetch_url = timeout_it(seconds(20))(fetch_url);
  Queue<int> task_queue;
  std::vector<Task<void>> workers{
      create_task([&] { producer(task_queue); }, "producer"),
      create_task([&] { customer(task_queue, timed_fetch_url); }, "customer"),
  };
  wait(workers);
  std::printf("main finished...\n");
  std::printf("use %.3f time\n", elapsed());
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"A timeout decorator: 20 simulated fetches of 3 to 30 s, each wrapped with a 20 s "
                           "deadline; 20 s in all."};
  add_clock_options(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;

  Loop loop({.virtual_clock = virtual_clock});
  loop.run_until_complete(fetch_everything);
}
