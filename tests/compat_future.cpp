// Future<T>: setting, waiting, cancelling, done callbacks, and the unretrieved-exception report.
#include "leak_check.hpp"

#include <spindle/compat/future.hpp>
#include <spindle/compat/gather.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("result() parks until another fiber sets the result", "[compat][future]") {
  test::run_virtual([] {
    Future<int> future;
    auto setter = spawn([future]() mutable {
      this_fiber::sleep_for(2s);
      future.set_result(42);
    });
    TimePoint start = now();
    CHECK_FALSE(future.done());
    CHECK(future.result() == 42);
    CHECK(now() - start == 2s);
    CHECK(future.done());
    CHECK(future.exception() == nullptr);
    setter.join();
  });
}

TEST_CASE("result() rethrows the exception set on the future", "[compat][future]") {
  test::run_virtual([] {
    Future<std::string> future;
    future.set_exception(std::make_exception_ptr(std::runtime_error("broken pipe")));
    CHECK_THROWS_WITH(future.result(), "broken pipe");
    REQUIRE(future.exception());
  });
}

TEST_CASE("setting a done future raises InvalidStateError", "[compat][future]") {
  test::run_virtual([] {
    Future<int> future;
    future.set_result(1);
    CHECK_THROWS_AS(future.set_result(2), InvalidStateError);
    CHECK_THROWS_AS(future.set_exception(std::make_exception_ptr(std::runtime_error("x"))), InvalidStateError);
    CHECK(future.result() == 1);
    Future<void> cancelled;
    CHECK(cancelled.cancel());
    CHECK_THROWS_WITH(cancelled.set_result(), "set_result: the future is already cancelled");
  });
}

TEST_CASE("cancel() wakes waiters with CancelledError and returns false once done", "[compat][future]") {
  test::run_virtual([] {
    Future<int> future;
    auto waiter = spawn([future] {
      CHECK_THROWS_AS(future.result(), CancelledError);
      CHECK(future.cancelled());
    });
    this_fiber::yield();
    CHECK(future.cancel("stop"));
    CHECK_FALSE(future.cancel());
    waiter.join();
    CHECK_THROWS_WITH(future.exception(), "stop");
  });
}

TEST_CASE("done callbacks run soon on the loop, in registration order, with the future", "[compat][future]") {
  test::run_virtual([] {
    Future<int> future;
    std::vector<std::string> order;
    future.add_done_callback([&](const Future<int>& done) { order.push_back("first " + std::to_string(done.result())); });
    future.add_done_callback([&](const Future<int>&) { order.push_back("second"); });
    future.set_result(7);
    CHECK(order.empty());  // soon, not now
    this_fiber::sleep_for(1ms);
    CHECK(order == std::vector<std::string>{"first 7", "second"});
    future.add_done_callback([&](const Future<int>&) { order.push_back("late"); });
    this_fiber::sleep_for(1ms);
    CHECK(order.size() == 3);
    CHECK(order.back() == "late");
  });
}

TEST_CASE("remove_done_callback removes a callback that has not run", "[compat][future]") {
  test::run_virtual([] {
    Future<void> future;
    int runs = 0;
    CallbackId kept = future.add_done_callback([&](const Future<void>&) { runs += 1; });
    CallbackId removed = future.add_done_callback([&](const Future<void>&) { runs += 10; });
    CHECK(future.remove_done_callback(removed) == 1);
    CHECK(future.remove_done_callback(removed) == 0);
    future.set_result();
    this_fiber::sleep_for(1ms);
    CHECK(runs == 1);
    CHECK(future.remove_done_callback(kept) == 0);
  });
}

TEST_CASE("a move-only result is read by reference", "[compat][future]") {
  test::run_virtual([] {
    Future<std::unique_ptr<int>> future;
    future.set_result(std::make_unique<int>(5));
    const std::unique_ptr<int>& value = future.result();
    CHECK(*value == 5);
  });
}

TEST_CASE("an exception nobody retrieved is reported when the last handle goes", "[compat][future]") {
  test::CapturedDiagnostics diagnostics;
  test::run_virtual([] {
    Future<int> future;
    future.set_exception(std::make_exception_ptr(std::runtime_error("no such host")));
  });
  auto messages = diagnostics.messages();
  REQUIRE(messages.size() == 1);
  CHECK(messages[0] == "spindle: exception in a Future was never retrieved: std::runtime_error: no such host");
}

TEST_CASE("done callbacks run before the fibers waiting on the future resume, as in asyncio", "[compat][future]") {
  test::run_virtual([] {
    std::vector<std::string> order;
    Future<int> future;
    future.add_done_callback([&](const Future<int>& done) { order.push_back("callback " + std::to_string(done.result())); });
    auto waiter = spawn([&] { order.push_back("waiter got " + std::to_string(future.result())); });
    auto gatherer = spawn([&] {
      auto [value] = gather(future);
      order.push_back("gather got " + std::to_string(value));
    });
    this_fiber::yield();  // both are parked on the future now
    future.set_result(7);
    waiter.join();
    gatherer.join();
    REQUIRE(order.size() == 3);
    CHECK(order[0] == "callback 7");
  });
}

TEST_CASE("a wait abandoned while the future's callbacks are pending leaves nothing behind", "[compat][future]") {
  test::run_virtual([] {
    Future<int> future;
    int callbacks = 0;
    future.add_done_callback([&](const Future<int>&) { ++callbacks; });
    auto waiter = spawn([&] { gather(future); });
    this_fiber::yield();
    future.set_result(1);
    waiter.cancel();  // leaves before the release runs: its signal must unregister
    CHECK_THROWS_AS(waiter.join(), CancelledError);
    this_fiber::yield();
    CHECK(callbacks == 1);
  });
}
