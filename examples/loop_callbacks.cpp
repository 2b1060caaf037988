// The seeds' loop-method sketch (002), `async def example(): loop = asyncio.get_running_loop()`,
// with `loop.call_soon(callback, arg1, arg2)`, `loop.call_later(delay, callback, arg1)` and
// `loop.call_at(when, callback, arg1)`, made runnable: the coroutine schedules a call_later (2 s),
// a call_at (start + 1 s) and two call_soon, then sleeps 3 s. Callbacks run by due time, not by the
// order they were scheduled, and call_soon ones in order, only once the coroutine parks. The
// Python this ports:
//
//   def callback(name, arg):
//       print(f"{name}({arg}) at {loop.time() - start:.3f}")
//   async def example():
//       loop = asyncio.get_running_loop(); start = loop.time()
//       loop.call_later(2, callback, "call_later", "delay=2")
//       loop.call_at(start + 1, callback, "call_at", "when=start+1")
//       loop.call_soon(callback, "call_soon", "first")
//       loop.call_soon(callback, "call_soon", "second")
//       print(f"example: scheduled at {loop.time() - start:.3f}")
//       await asyncio.sleep(3)
//       print("use %.3f time" % (loop.time() - start))
//
// Extra callback arguments are bound with std::bind_front, as asyncio passes *args.
#include <spindle/spindle.hpp>

#include <cstdio>
#include <functional>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

void callback(const char* name, const char* arg) { std::printf("%s(%s) at %.3f\n", name, arg, elapsed()); }

void example() {
  Loop& loop = Loop::current();
  start = now();  // loop.time(), as the point on the loop's clock that call_at takes
  loop.call_later(seconds(2), std::bind_front(callback, "call_later", "delay=2"));
  loop.call_at(start + seconds(1), std::bind_front(callback, "call_at", "when=start+1"));
  loop.call_soon(std::bind_front(callback, "call_soon", "first"));
  loop.call_soon(std::bind_front(callback, "call_soon", "second"));
  std::printf("example: scheduled at %.3f\n", elapsed());
  spindle::sleep(seconds(3));
  std::printf("use %.3f time\n", elapsed());
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"call_soon, call_later and call_at: callbacks run by due time, call_soon ones first (3 s)."};
  add_clock_options(command_line, "multiply every delay by this factor (times are printed unscaled)");
  if (auto status = command_line.parse(argc, argv)) return *status;

  Loop loop({.virtual_clock = virtual_clock});
  loop.run_until_complete(example);
}
