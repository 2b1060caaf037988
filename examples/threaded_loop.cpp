// The seeds' "event loop in another thread" programs (001, also 000): the main thread starts a loop
// running forever in a second thread and feeds it work without blocking itself.
//
// Part 1, call_soon_threadsafe: three blocking "ping" functions (each sleeps 2 s with a plain,
// thread-blocking sleep) are queued onto the loop. They run on the loop's thread, one after
// another, about 6 s in all: a blocking call serialises the loop (run_in_executor is the cure).
// Part 2, run_coroutine_threadsafe: four tasks that each sleep 1 s on the loop run side by side and
// all finish after about 1 s; the main thread collects their results through the thread-safe
// futures, waiting with a timeout.
//
// The loop thread's prints interleave with the main thread's as the two threads race, exactly as
// in the seed; the order within each thread is fixed.
#include <spindle/spindle.hpp>

#include <cmath>
#include <cstdio>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

// Python prints threading.current_thread(); the thread's role says the same thing here.
thread_local const char* thread_role = "MainThread";

void ping(const std::string& url) {
  std::printf("blocking function starts, current thread: %s\n", thread_role);
  std::this_thread::sleep_for(seconds(2));  // deliberately blocking: the whole loop waits
  std::printf("simulated ping output %s\n", url.c_str());
  std::printf("blocking function ends, current thread: %s\n", thread_role);
  std::fflush(stdout);
}

std::string asyncfunc(const std::string& name) {
  std::printf("Suspending %s\n", name.c_str());
  std::fflush(stdout);
  spindle::sleep(seconds(1));
  std::printf("func %s %s\n", name.c_str(), thread_role);
  std::printf("Resuming %s\n", name.c_str());
  std::fflush(stdout);
  return name;
}

// A loop running forever on its own thread: the seed's start_thread_loop.
class LoopThread {
 public:
  LoopThread() {
    std::promise<Loop*> started;
    thread_ = std::thread([&started] {
      thread_role = "Thread-1 (loop)";
      Loop loop;
      started.set_value(&loop);
      loop.run_forever();
    });
    loop_ = started.get_future().get();
  }
  ~LoopThread() {
    loop_->call_soon_threadsafe([loop = loop_] { loop->stop(); });
    thread_.join();
  }
  Loop& loop() { return *loop_; }

 private:
  std::thread thread_;
  Loop* loop_ = nullptr;
};

void feed_blocking_functions() {
  start = now();  // the main thread runs no scheduler: this is the real steady clock
  std::promise<void> all_ran;
  {
    LoopThread worker;
    worker.loop().call_soon_threadsafe([] { ping("www.baidu.com"); });
    worker.loop().call_soon_threadsafe([] { ping("www.qq.com"); });
    worker.loop().call_soon_threadsafe([&all_ran] {
      ping("www.yangyanxing.com");
      all_ran.set_value();
    });
    std::printf("the main thread is not blocked\n");
    std::fflush(stdout);
    all_ran.get_future().wait();
  }
  std::printf("three blocking calls took about %.0f s: they ran one after another\n", std::round(elapsed()));
}

void feed_coroutines() {
  start = now();
  LoopThread worker;
  std::vector<ConcurrentFuture<std::string>> futures;
  for (const char* name : {"func1", "func1", "func2", "func2"}) {
    futures.push_back(run_coroutine_threadsafe([name] { return asyncfunc(name); }, worker.loop()));
  }
  std::printf("the main thread is not blocked\n");
  std::fflush(stdout);
  std::string results;
  for (auto& future : futures) results += " " + future.result(seconds(10));
  std::printf("results:%s\n", results.c_str());
  std::printf("four coroutines took about %.0f s: they ran side by side\n", std::round(elapsed()));
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"A loop running in a second thread, fed from the main thread: blocking functions through "
                           "call_soon_threadsafe (serialised, ~6 s), then coroutines through "
                           "run_coroutine_threadsafe (side by side, ~1 s)."};
  std::string part = "both";
  command_line.add_option("--part", part, "which half of the seed to run").one_of({"callbacks", "coroutines", "both"});
  add_scale_option(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;

  std::printf("In main thread %s\n", thread_role);
  if (part != "coroutines") feed_blocking_functions();
  if (part != "callbacks") feed_coroutines();
}
