// The seed's "calling synchronous code from async code" program (002): a blocking I/O function on
// the default thread pool and on a pool of 4 threads, then a CPU-bound sum of squares of the first
// million integers in a process pool.
#include <spindle/spindle.hpp>

#include <cstdio>
#include <string>
#include <thread>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

// Simulates blocking I/O.
std::string blocking_io() {
  std::this_thread::sleep_for(seconds(1));  // time.sleep(1)
  return "IO Result";
}

// Simulates CPU-bound work: sum(i * i for i in range(10**6)).
long long cpu_intensive() {
  long long sum = 0;
  for (long long i = 0; i < 1'000'000; ++i) sum += i * i;
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"A blocking call on the default thread pool and on a pool of 4 threads, then a CPU-bound "
                           "sum of squares in a process pool."};
  add_scale_option(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;
  start_process_zygote();

  return spindle::run([] {
    Loop& loop = Loop::current();
    // The default thread pool: run_in_executor(None, ...).
    std::string result = loop.run_in_executor(nullptr, blocking_io).result();
    std::printf("IO result: %s\n", result.c_str());
    {
      ThreadPoolExecutor pool(4);  // with ThreadPoolExecutor(max_workers=4) as pool:
      result = loop.run_in_executor(pool, blocking_io).result();
    }
    {
      ProcessPoolExecutor pool;  // with ProcessPoolExecutor() as pool:
      long long sum = loop.run_in_executor(pool, cpu_intensive).result();
      std::printf("CPU result: %lld\n", sum);
    }
    return 0;
  });
}
