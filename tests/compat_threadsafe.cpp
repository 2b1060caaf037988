// Crossing threads: ConcurrentFuture (set/wait/cancel/callbacks from any thread),
// run_coroutine_threadsafe into a loop on another thread, waiting from a plain thread and from a
// fiber on a second loop, and wrap_future.
#include "leak_check.hpp"

#include <spindle/compat/concurrent_future.hpp>
#include <spindle/compat/loop.hpp>
#include <spindle/compat/runner.hpp>

#include <atomic>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// A loop running forever on its own thread until destroyed; the seeds' "loop in another thread".
class LoopThread {
 public:
  LoopThread() {
    std::promise<Loop*> started;
    thread_ = std::thread([this, &started] {
      Loop loop;
      started.set_value(&loop);
      loop.run_forever();
    });
    loop_ = started.get_future().get();
  }
  ~LoopThread() {
    loop_->call_soon_threadsafe([this] { loop_->stop(); });
    thread_.join();
  }
  Loop& loop() { return *loop_; }

 private:
  std::thread thread_;
  Loop* loop_ = nullptr;
};

}  // namespace

TEST_CASE("a ConcurrentFuture set on one thread is read on another", "[compat][threadsafe]") {
  ConcurrentFuture<std::string> future;
  std::thread producer([future]() mutable { future.set_result("from the producer"); });
  CHECK(future.result() == "from the producer");
  producer.join();
  CHECK(future.done());
  CHECK_THROWS_AS(future.set_result("twice"), InvalidStateError);
  CHECK_FALSE(future.try_set_result("twice"));
}

TEST_CASE("ConcurrentFuture::result(timeout) from a plain thread throws TimeoutError and can wait again", "[compat][threadsafe]") {
  ConcurrentFuture<int> future;
  CHECK_THROWS_AS(future.result(1ms), TimeoutError);
  future.set_result(3);
  CHECK(future.result(1ms) == 3);
}

TEST_CASE("ConcurrentFuture carries exceptions and cancellation", "[compat][threadsafe]") {
  ConcurrentFuture<int> failed;
  failed.set_exception(std::make_exception_ptr(std::out_of_range("no such key")));
  CHECK_THROWS_AS(failed.result(), std::out_of_range);
  CHECK(failed.exception() != nullptr);

  ConcurrentFuture<void> cancelled;
  bool hook_ran = false;
  CHECK(cancelled.set_cancel_hook([&] { hook_ran = true; }));
  CHECK(cancelled.cancel("not needed"));
  CHECK(hook_ran);
  CHECK(cancelled.cancelled());
  CHECK_FALSE(cancelled.cancel());
  CHECK_FALSE(cancelled.set_cancel_hook([] {}));
  CHECK_THROWS_AS(cancelled.result(), CancelledError);
  CHECK_FALSE(cancelled.try_set_result());
}

TEST_CASE("ConcurrentFuture callbacks run on the completing thread, or at once when already done", "[compat][threadsafe]") {
  ConcurrentFuture<int> future;
  std::thread::id ran_on;
  std::vector<int> order;
  future.add_done_callback([&](const ConcurrentFuture<int>& done) {
    ran_on = std::this_thread::get_id();
    order.push_back(done.result());
  });
  CallbackId removed = future.add_done_callback([&](const ConcurrentFuture<int>&) { order.push_back(-1); });
  CHECK(future.remove_done_callback(removed) == 1);
  std::thread producer([future]() mutable { future.set_result(5); });
  producer.join();
  CHECK(order == std::vector<int>{5});
  CHECK(ran_on != std::this_thread::get_id());
  future.add_done_callback([&](const ConcurrentFuture<int>& done) { order.push_back(done.result() * 2); });
  CHECK(order == std::vector<int>{5, 10});
}

TEST_CASE("run_coroutine_threadsafe runs a task on another thread's loop; a plain thread waits", "[compat][threadsafe]") {
  LoopThread worker;
  std::thread::id main_thread = std::this_thread::get_id();
  auto future = run_coroutine_threadsafe([&] {
    CHECK(std::this_thread::get_id() != main_thread);
    CHECK(current_task().has_value());
    spindle::sleep(1ms);
    return std::string("computed on ") + (std::this_thread::get_id() == main_thread ? "main" : "the loop thread");
  }, worker.loop(), "remote");
  CHECK(future.result(10s) == "computed on the loop thread");
}

TEST_CASE("run_coroutine_threadsafe passes the task's exception back", "[compat][threadsafe]") {
  LoopThread worker;
  auto future = run_coroutine_threadsafe([]() -> int { throw std::invalid_argument("bad input"); }, worker.loop());
  CHECK_THROWS_WITH(future.result(10s), "bad input");
}

TEST_CASE("cancelling the ConcurrentFuture cancels the task on its loop", "[compat][threadsafe]") {
  LoopThread worker;
  std::atomic<bool> started{false};
  std::promise<std::string> task_saw;
  auto future = run_coroutine_threadsafe([&] {
    started = true;
    try {
      spindle::sleep(1h);
    } catch (const CancelledError&) {
      task_saw.set_value("cancelled");
      throw;
    }
  }, worker.loop());
  while (!started) std::this_thread::yield();
  CHECK(future.cancel());
  CHECK(task_saw.get_future().get() == "cancelled");
  CHECK(future.cancelled());
  CHECK_THROWS_AS(future.result(), CancelledError);
}

TEST_CASE("a ConcurrentFuture cancelled before its task started never runs the task", "[compat][threadsafe]") {
  Loop loop;
  bool ran = false;
  auto future = run_coroutine_threadsafe([&] { ran = true; }, loop);
  CHECK(future.cancel());
  loop.run_until_complete([] { spindle::sleep(0s); });
  CHECK_FALSE(ran);
}

TEST_CASE("a fiber on one loop parks (not blocks) on a future from another loop", "[compat][threadsafe]") {
  LoopThread worker;
  run([&] {
    // The other loop's job finishes only after a second fiber on this loop has run. Had result()
    // blocked this thread, that fiber could never run and result() would time out.
    ConcurrentFuture<void> other_fiber_ran;
    auto ticker = create_task([&] { other_fiber_ran.set_result(); });
    auto future = run_coroutine_threadsafe([&] {
      other_fiber_ran.result(10s);
      return 99;
    }, worker.loop());
    CHECK(future.result(10s) == 99);
    ticker.result();
  });
}

TEST_CASE("a fiber's result(timeout) times out on its own loop's clock and the fiber stays cancellable", "[compat][threadsafe]") {
  // While a fiber waits on a cross-thread future, the virtual clock runs at real speed (the other
  // thread works in real time), so the times here are short.
  ConcurrentFuture<int> never;
  run([&] {
    TimePoint start = now();
    CHECK_THROWS_AS(never.result(50ms), TimeoutError);
    CHECK(now() - start == 50ms);
    auto waiter = create_task([&] { return never.result(); });
    spindle::sleep(10ms);
    waiter.cancel();
    CHECK_THROWS_AS(waiter.result(), CancelledError);
  }, SchedulerOptions{.virtual_clock = true});
  never.set_result(1);  // nobody waits any more: nothing to wake, nothing leaks
}

TEST_CASE("wrap_future turns a ConcurrentFuture into a loop Future that wait and gather accept", "[compat][threadsafe]") {
  run([] {
    ConcurrentFuture<int> source;
    std::thread producer([source]() mutable {
      std::this_thread::sleep_for(5ms);
      source.set_result(8);
    });
    Future<int> wrapped = wrap_future(source);
    auto [doubled] = gather(create_task([wrapped] { return wrapped.result() * 2; }));
    CHECK(doubled == 16);
    producer.join();

    ConcurrentFuture<int> abandoned;
    Future<int> wrapper = wrap_future(abandoned);
    wrapper.cancel();
    spindle::sleep(0s);  // the wrapper's done callback runs on the loop
    CHECK(abandoned.cancelled());
  });
}
