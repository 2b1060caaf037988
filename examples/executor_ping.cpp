// The seeds' blocking "ping" programs (001): a function that blocks for 2 s, called three times.
//
// On the loop, the calls run one after another (about 6 s) and nothing else runs meanwhile. Through
// run_in_executor they run on pool threads while the loop stays free: with 2 workers the third call
// waits for a free thread (about 4 s), with 3 workers all run at once (about 2 s). A process pool of
// 3 runs them in three worker processes (about 2 s). The seed's ProcessPoolExecutor() had one worker
// per CPU on a machine with more cores; here the pool is sized 3 explicitly.
//
// The pool threads print their own names (spindle-pool-N); which thread starts first is up to the
// operating system, as in the seed.
#include <spindle/spindle.hpp>

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <thread>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

const pid_t main_process = ::getpid();

// threading.current_thread() and the process, told apart by name rather than by changing ids.
std::string thread_name() {
  if (::syscall(SYS_gettid) == ::getpid()) return "MainThread";
  char name[16] = {};
  ::pthread_getname_np(::pthread_self(), name, sizeof name);
  return name;
}
const char* process() { return ::getpid() == main_process ? "main" : "worker"; }

std::string ping(std::string url) {
  std::printf("blocking function starts, thread: %s, process: %s\n", thread_name().c_str(), process());
  std::fflush(stdout);
  std::this_thread::sleep_for(seconds(2));  // deliberately blocking, as time.sleep(2)
  std::printf("simulated ping output %s\n", url.c_str());
  std::printf("blocking function ends, thread: %s\n", thread_name().c_str());
  std::fflush(stdout);
  return url;
}

const char* const urls[] = {"www.baidu.com", "www.qq.com", "www.yangyanxing.com"};

void on_the_loop() {
  start = now();
  for (const char* url : urls) ping(url);
  std::printf("three calls on the loop took about %.0f s: they ran one after another\n", std::round(elapsed()));
  std::fflush(stdout);  // before a worker process prints to the same file
}

template <class Executor>
void in_executor(Executor& pool, const char* what) {
  Loop& loop = Loop::current();
  start = now();
  auto [a, b, c] = gather(loop.run_in_executor(pool, ping, std::string(urls[0])),
                          loop.run_in_executor(pool, ping, std::string(urls[1])),
                          [&] {
                            std::printf("the loop is not blocked\n");
                            std::fflush(stdout);
                            return loop.run_in_executor(pool, ping, std::string(urls[2])).result();
                          });
  std::printf("results: %s %s %s\n", a.c_str(), b.c_str(), c.c_str());
  std::printf("in %s: about %.0f s\n", what, std::round(elapsed()));
  std::fflush(stdout);
}

int started_worker(int) { return 0; }

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"A blocking 2 s function called three times: on the loop (6 s), in thread pools of "
                           "2 (4 s) and 3 (2 s) workers, and in a pool of 3 processes (2 s)."};
  add_scale_option(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;
  start_process_zygote();  // after parsing: the workers are forks of the program as it is now

  std::printf("In main thread %s\n", thread_name().c_str());
  return spindle::run([] {
    on_the_loop();
    {
      ThreadPoolExecutor pool(2);
      in_executor(pool, "a pool of 2 threads");
    }
    {
      ThreadPoolExecutor pool(3);
      in_executor(pool, "a pool of 3 threads");
    }
    ProcessPoolExecutor pool(3);
    pool.map(started_worker, std::vector<int>(3));  // the three workers exist before the clock starts
    in_executor(pool, "a pool of 3 processes");
    return 0;
  });
}
