// An unmodified spindle program, linked without spindle_hooks: five fibers each call the blocking
// usleep(100 ms). It prints the wall time in milliseconds; under LD_PRELOAD=libspindle_hooks.so the
// sleeps overlap, without it they add up.
#include <spindle/spindle.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <vector>

int main() {
  auto start = std::chrono::steady_clock::now();
  spindle::Scheduler scheduler;
  scheduler.run([] {
    std::vector<spindle::JoinHandle<void>> sleepers;
    for (int i = 0; i < 5; ++i) sleepers.push_back(spindle::spawn([] { ::usleep(100'000); }));
    for (auto& sleeper : sleepers) sleeper.join();
  });
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  std::printf("%lld\n", static_cast<long long>(ms.count()));
}
