// Doorbell: a signal handler (or a lock-free thread) gets a callback run on the loop's thread.
#include "leak_check.hpp"

#include <spindle/fibers/doorbell.hpp>

#include <atomic>
#include <csignal>
#include <thread>

using namespace spindle;
using namespace std::chrono_literals;

namespace {
std::atomic<Doorbell*> bell_for_signal{nullptr};
extern "C" void ring_from_signal(int) { bell_for_signal.load()->ring(); }
}  // namespace

TEST_CASE("a ring from a signal handler wakes an idle loop and runs the callback on its thread", "[fibers][doorbell]") {
  Scheduler scheduler;
  std::thread::id loop_thread = std::this_thread::get_id();
  scheduler.run_until_complete([&] {
    Waker waiter = Waker::current();
    std::thread::id ran_on;
    Doorbell bell([&] {
      ran_on = std::this_thread::get_id();
      waiter.unpark();
    });
    bell_for_signal = &bell;
    struct sigaction action {}, previous {};
    action.sa_handler = ring_from_signal;
    ::sigaction(SIGUSR2, &action, &previous);
    // The signal goes to another thread, as process signals may: the loop is parked with no timer
    // and nothing else to do, so only the doorbell's write can wake it.
    std::thread raiser([] { ::kill(::getpid(), SIGUSR2); });
    CHECK(park("waiting for the doorbell") == WakeStatus::woken);
    raiser.join();
    ::sigaction(SIGUSR2, &previous, nullptr);
    bell_for_signal = nullptr;
    CHECK(ran_on == loop_thread);
  });
}

TEST_CASE("rings before the callback runs coalesce into one call", "[fibers][doorbell]") {
  test::run_virtual([] {
    int calls = 0;
    Doorbell bell([&] { ++calls; });
    bell.ring();
    bell.ring();
    bell.ring();
    this_fiber::yield();
    CHECK(calls == 1);
    bell.ring();
    this_fiber::yield();
    CHECK(calls == 2);
  });
}

TEST_CASE("only the rung doorbell's callback runs", "[fibers][doorbell]") {
  test::run_virtual([] {
    int first = 0, second = 0;
    Doorbell bell_one([&] { ++first; });
    Doorbell bell_two([&] { ++second; });
    bell_two.ring();
    this_fiber::yield();
    CHECK(first == 0);
    CHECK(second == 1);
  });
}

TEST_CASE("a doorbell does not hide a deadlock on the virtual clock", "[fibers][doorbell]") {
  Scheduler scheduler({.virtual_clock = true});
  CHECK_THROWS_AS(scheduler.run_until_complete([] {
    Doorbell bell([] {});
    park("nothing will ring");
  }), DeadlockError);
  // Destroying the scheduler cancels the parked fiber.
}

TEST_CASE("a Doorbell needs a scheduler", "[fibers][doorbell]") {
  CHECK_THROWS_AS(Doorbell([] {}), FiberError);
}
