// The seeds' Future program (002), `async def future_demo(): loop = asyncio.get_running_loop()`,
// and its "wrap a callback-style API" helper `async def callback_to_async(callback_api):`. First a
// bare future: pending and not cancelled, then a task sets its result after 1 s and the waiting
// fiber gets it. Then a callback API is turned into a blocking call: the callback sets the future's
// result (through call_soon_threadsafe, so the API may call back from any thread) and the caller
// parks on the future until then, 1 s more. The seed shows only the helper, so the callback API
// and the caller are made up; the Python this ports:
//
//   async def future_demo():                        # as in the seed
//       ...; print(future.done()); print(future.cancelled())
//       asyncio.create_task(set_result_later())     # sleeps 1 s, then future.set_result("Hello, Future!")
//       print(await future)
//   def legacy_read(name, callback):                # the callback-style API: answers 1 s later
//       print(f"legacy_read({name}) started")
//       asyncio.get_running_loop().call_later(1, callback, f"contents of {name}")
//   async def callback_to_async(callback_api):      # as in the seed, plus a print in callback()
//       ...
//   async def main():
//       start = time.time()
//       await future_demo()
//       print(await callback_to_async(functools.partial(legacy_read, "config.txt")))
//       print("use %s time" % (time.time() - start))
#include <spindle/spindle.hpp>

#include <cstdio>
#include <functional>
#include <string>
#include <utility>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

void future_demo() {
  Future<std::string> future;
  std::printf("%s\n", python_bool(future.done()));
  std::printf("%s\n", python_bool(future.cancelled()));
  create_task([future]() mutable {
    spindle::sleep(seconds(1));
    future.set_result("Hello, Future!");
  });
  std::printf("%s\n", future.result().c_str());  // await future
}

using ResultCallback = std::function<void(std::string)>;

// A callback-style API: starts reading `name` and hands the contents to `on_done` 1 s later.
void legacy_read(const std::string& name, ResultCallback on_done) {
  std::printf("legacy_read(%s) started\n", name.c_str());
  Loop::current().call_later(seconds(1), [name, on_done] { on_done("contents of " + name); });
}

// Calls `callback_api` with a callback that completes a future, and parks until it has.
std::string callback_to_async(const std::function<void(ResultCallback)>& callback_api) {
  Loop& loop = Loop::current();
  Future<std::string> future;
  auto callback = [&loop, future](std::string result) {
    std::printf("callback got %s\n", result.c_str());
    // The one loop method safe from any thread: an API may call back from its own thread.
    loop.call_soon_threadsafe([future, result = std::move(result)]() mutable { future.set_result(std::move(result)); });
  };
  callback_api(callback);
  return future.result();  // await future
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"A Future set by a task, then a Future wrapping a callback-style API (2 s in all)."};
  add_clock_options(command_line, "multiply every delay by this factor (times are printed unscaled)");
  if (auto status = command_line.parse(argc, argv)) return *status;

  Loop loop({.virtual_clock = virtual_clock});
  loop.run_until_complete([] {
    start = now();
    future_demo();
    std::string result = callback_to_async(std::bind_front(legacy_read, "config.txt"));
    std::printf("%s\n", result.c_str());
    std::printf("use %.3f time\n", elapsed());
  });
}
