// The seeds' first program (001): two tasks that sleep 3 s and 1 s. Awaited one after the other they
// take 4 s; run side by side they take 3 s. This prints what the seed prints, with measured times.
//
// One difference from the seed's transcript: its gathered run printed "in test b" before "in test a"
// because Python 3.6's gather deduplicated its arguments through a set. asyncio since 3.7, and
// spindle, start fibers in the order they were given.
#include <spindle/spindle.hpp>

#include <cstdio>
#include <string>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

int test_a(int x) {
  std::printf("in test a\n");
  this_fiber::sleep_for(seconds(3));
  std::printf("Resuming a\n");
  return x;
}

int test_b(int x) {
  std::printf("in test b\n");
  this_fiber::sleep_for(seconds(1));
  std::printf("Resuming b\n");
  return x;
}

void report(int result_a, int result_b) {
  std::printf("test a result is %d\n", result_a);
  std::printf("test b result is %d\n", result_b);
  std::printf("use %.3f time\n", elapsed());
}

void sequential() {
  start = now();
  int result_a = test_a(1);
  int result_b = test_b(2);
  report(result_a, result_b);
}

void side_by_side() {
  start = now();
  auto [result_a, result_b] = gather([] { return test_a(1); }, [] { return test_b(2); });
  report(result_a, result_b);
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"Two fibers sleeping 3 s and 1 s: one after the other (4 s), then side by side (3 s)."};
  std::string mode = "both";
  command_line.add_option("--mode", mode, "sequential, side-by-side, or both")
      .one_of({"sequential", "side-by-side", "both"});
  add_clock_options(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;

  Scheduler scheduler({.virtual_clock = virtual_clock});
  scheduler.run([&] {
    if (mode != "side-by-side") sequential();
    if (mode == "both") std::printf("\n");
    if (mode != "sequential") side_by_side();
  });
}
