// The seed's last program (001): one gather over every kind of future. A loop runs forever in a
// second thread; the main thread hands it the coroutine `main` through run_coroutine_threadsafe and
// is not blocked. `main` makes tasks with create_task and ensure_future (sleeping 1 s and 2 s),
// thread-safe futures with run_coroutine_threadsafe, and two run_in_executor futures for a blocking
// ping that sleeps 4 s on the default thread pool; it gathers the tasks and the executor futures,
// and every one of them reports through a done callback. The whole takes about 4 s: as long as the
// longest job, not the sum.
//
// The pool threads' prints interleave with the loop thread's as the threads race, as in the seed.
#include <spindle/spindle.hpp>

#include <pthread.h>

#include <cmath>
#include <cstdio>
#include <future>
#include <string>
#include <thread>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

thread_local const char* thread_role = "MainThread";

const char* thread_name() {
  if (thread_role != nullptr) return thread_role;
  static thread_local char name[16] = {};
  ::pthread_getname_np(::pthread_self(), name, sizeof name);
  return name;
}

std::string ping(std::string url) {
  thread_role = nullptr;  // a pool thread: print its own name
  std::printf("blocking function starts, current thread: %s\n", thread_name());
  std::fflush(stdout);
  std::this_thread::sleep_for(seconds(4));  // time.sleep(4)
  std::printf("simulated ping output %s\n", url.c_str());
  std::printf("blocking function ends, current thread: %s\n", thread_name());
  std::fflush(stdout);
  return url;
}

std::string asyncfunc(const char* name, double wait) {
  std::printf("Suspending %s\n", name);
  spindle::sleep(seconds(wait));
  std::printf("func %s %s\n", name, thread_name());
  std::printf("Resuming %s\n", name);
  return name;
}
std::string asyncfunc1() { return asyncfunc("func1", 1); }
std::string asyncfunc2() { return asyncfunc("func2", 2); }

void callbackfunc(const std::string& result) { std::printf("task finished, its result is: %s\n", result.c_str()); }

void main_coroutine(Loop& loop) {
  start = now();
  auto task1 = create_task(asyncfunc1);
  auto task2 = create_task(asyncfunc2);
  // Thread-safe futures (concurrent.futures.Future in the seed): they take done callbacks too.
  auto task3 = run_coroutine_threadsafe(asyncfunc1, loop);
  auto task4 = run_coroutine_threadsafe(asyncfunc2, loop);
  // Blocking work on the default thread pool.
  auto task5 = loop.run_in_executor(nullptr, ping, std::string("www.baidu.com"));
  auto task6 = loop.run_in_executor(nullptr, ping, std::string("www.yangyanxing.com"));
  auto task7 = create_task(asyncfunc1);  // asyncio.ensure_future
  auto task8 = create_task(asyncfunc2);

  auto on_done = [](const auto& done) { callbackfunc(done.result()); };
  task1.add_done_callback(on_done);
  task2.add_done_callback(on_done);
  task3.add_done_callback(on_done);  // runs on the loop thread, which completes it
  task4.add_done_callback(on_done);
  task5.add_done_callback(on_done);
  task6.add_done_callback(on_done);
  task7.add_done_callback(on_done);
  task8.add_done_callback(on_done);

  auto [r1, r2, r5, r6, r7, r8] = gather(task1, task2, task5, task6, task7, task8);
  std::printf("['%s', '%s', '%s', '%s', '%s', '%s']\n", r1.c_str(), r2.c_str(), r5.c_str(), r6.c_str(), r7.c_str(),
              r8.c_str());
  std::printf("took about %.0f s in all\n", std::round(elapsed()));
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"One gather over tasks, thread-safe futures and run_in_executor futures, on a loop in a "
                           "second thread: about 4 s, the longest job."};
  add_scale_option(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;

  std::printf("In main thread %s\n", thread_name());
  std::promise<Loop*> started;
  std::thread loop_thread([&started] {
    thread_role = "Thread-1 (loop)";
    std::printf("loop thread is %s\n", thread_name());
    Loop loop;
    started.set_value(&loop);
    loop.run_forever();
  });
  Loop* loop = started.get_future().get();
  auto done = run_coroutine_threadsafe([loop] { main_coroutine(*loop); }, *loop);
  std::printf("the main thread is not blocked\n");
  std::fflush(stdout);
  done.result();
  loop->call_soon_threadsafe([loop] { loop->stop(); });
  loop_thread.join();
}
