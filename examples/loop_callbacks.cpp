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

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <functional>

using namespace spindle;

namespace {

double scale = 1.0;
double start_time = 0;  // loop.time() when example() began

Duration seconds(double count) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(count * scale));
}

double elapsed() { return (Loop::current().time() - start_time) / scale; }

void callback(const char* name, const char* arg) { std::printf("%s(%s) at %.3f\n", name, arg, elapsed()); }

void example() {
  Loop& loop = Loop::current();
  start_time = loop.time();
  TimePoint start = now();  // call_at takes a point on the loop's clock, not loop.time()'s double
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
  CLI::App app{"call_soon, call_later and call_at: callbacks run by due time, call_soon ones first (3 s)."};
  bool virtual_clock = false;
  app.add_option("--scale", scale, "multiply every delay by this factor (times are printed unscaled)")
      ->check(CLI::PositiveNumber);
  app.add_flag("--virtual-clock", virtual_clock, "run on the virtual clock: exact times, no waiting");
  CLI11_PARSE(app, argc, argv);

  Loop loop({.virtual_clock = virtual_clock});
  loop.run_until_complete(example);
}
