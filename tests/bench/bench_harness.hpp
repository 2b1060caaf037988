// What every spindle benchmark program shares: the --workload/--scale command line and the
// `metric=NAME value=NUMBER unit=UNIT` output that scripts/bench_report.py reads.
#pragma once

#include <spindle/fibers/clock.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <span>
#include <string>

namespace spindle::bench {

// The --scale factor: 1.0 for a real run, 0.01 for the test suite's smoke runs.
inline double scale = 1.0;

// `count` multiplied by the scale, at least 1.
inline long scaled(long count) { return std::max<long>(1, static_cast<long>(static_cast<double>(count) * scale)); }

// Prints one figure and flushes, so a benchmark that dies later still reported what it measured.
inline void metric(const char* name, double value, const char* unit) {
  std::printf("metric=%s value=%.3f unit=%s\n", name, value, unit);
  std::fflush(stdout);
}

inline double nanoseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count();
}

struct Workload {
  const char* name;
  void (*run)();
};

// Parses `--workload NAME|all` and `--scale F`, runs the chosen workloads in order and returns the
// exit status (2 for bad usage or an unknown workload; 0 for --help).
inline int run_workloads(int argc, char** argv, const char* suite, std::span<const Workload> workloads) {
  std::string chosen = "all";
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--workload") == 0 && i + 1 < argc) {
      chosen = argv[++i];
    } else if (std::strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
      scale = std::stod(argv[++i]);
    } else {
      std::string names;
      for (const Workload& workload : workloads) names += std::string(workload.name) + "|";
      std::fprintf(stderr,
                   "usage: %s [--workload %sall] [--scale F]\n"
                   "Runs the %s benchmarks and prints metric=NAME value=NUMBER unit=UNIT lines.\n",
                   argv[0], names.c_str(), suite);
      return std::strcmp(argv[i], "--help") == 0 ? 0 : 2;
    }
  }
  bool ran = false;
  for (const Workload& workload : workloads) {
    if (chosen == "all" || chosen == workload.name) {
      workload.run();
      ran = true;
    }
  }
  if (!ran) {
    std::fprintf(stderr, "unknown workload '%s'\n", chosen.c_str());
    return 2;
  }
  return 0;
}

}  // namespace spindle::bench
