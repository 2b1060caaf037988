// SignalSet: fibers wait for signals through a signalfd; masks are restored afterwards.
#include "leak_check.hpp"

#include <spindle/io/signals.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <stdexcept>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

bool blocked_in_this_thread(int signal) {
  sigset_t mask;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, signal) == 1;
}

}  // namespace

TEST_CASE("a fiber waiting for a signal wakes when the process raises it", "[io][signals]") {
  test::run_virtual([] {
    SignalSet signals{SIGUSR2};
    auto waiter = spawn([&] { return signals.wait(); });
    this_fiber::yield();  // parked on the signalfd
    REQUIRE(::raise(SIGUSR2) == 0);
    SignalInfo info = waiter.join();
    CHECK(info.signal == SIGUSR2);
    CHECK(info.code == SI_TKILL);
    CHECK(info.sender_pid == ::getpid());
  });
}

TEST_CASE("a process-directed signal (kill to our own pid) reaches the set", "[io][signals]") {
  test::run_virtual([] {
    SignalSet signals{SIGUSR2, SIGTERM};
    auto waiter = spawn([&] { return signals.wait(); });
    this_fiber::yield();
    REQUIRE(::kill(::getpid(), SIGTERM) == 0);
    SignalInfo info = waiter.join();
    CHECK(info.signal == SIGTERM);
    CHECK(info.code == SI_USER);
  });
}

TEST_CASE("a signal wait times out at its deadline on the virtual clock, naming the signal", "[io][signals]") {
  test::run_virtual([] {
    SignalSet signals{SIGUSR2};
    TimePoint start = now();
    CHECK_THROWS_MATCHES(signals.wait(250ms), TimeoutError, Catch::Message("wait for SIGUSR2 timed out"));
    CHECK(now() - start == 250ms);
    // The set still works after a timeout.
    REQUIRE(::raise(SIGUSR2) == 0);
    CHECK(signals.wait(1s).signal == SIGUSR2);
    CHECK(now() - start == 250ms);
  });
}

TEST_CASE("a cancelled signal wait throws CancelledError and the set's descriptor is released", "[io][signals]") {
  test::run_virtual([] {
    std::size_t fds_before = test::open_fd_count();
    auto waiter = spawn([] {
      SignalSet signals{SIGUSR2};
      signals.wait();
    });
    this_fiber::yield();
    CHECK(test::open_fd_count() == fds_before + 1);
    CHECK(blocked_in_this_thread(SIGUSR2));
    waiter.cancel("stop waiting");
    CHECK_THROWS_MATCHES(waiter.join(), CancelledError, Catch::Predicate<CancelledError>([](const CancelledError& e) {
                           return e.message() == "stop waiting";
                         }));
    CHECK(test::open_fd_count() == fds_before);
  });
  CHECK_FALSE(blocked_in_this_thread(SIGUSR2));
}

TEST_CASE("signals queue: real-time ones once per sigqueue in order, a standard one coalesces", "[io][signals]") {
  test::run_virtual([] {
    const int realtime = SIGRTMIN + 1;
    SignalSet signals{realtime, SIGUSR2};
    REQUIRE(::sigqueue(::getpid(), realtime, sigval{.sival_int = 1}) == 0);
    REQUIRE(::sigqueue(::getpid(), realtime, sigval{.sival_int = 2}) == 0);
    REQUIRE(::raise(SIGUSR2) == 0);
    REQUIRE(::raise(SIGUSR2) == 0);
    // Standard signals are delivered before real-time ones (lowest number first).
    SignalInfo first = signals.wait();
    CHECK(first.signal == SIGUSR2);
    SignalInfo second = signals.wait();
    SignalInfo third = signals.wait();
    CHECK(second.signal == realtime);
    CHECK(second.code == SI_QUEUE);
    CHECK(second.value == 1);
    CHECK(third.signal == realtime);
    CHECK(third.value == 2);
    CHECK_FALSE(signals.poll().has_value());
  });
}

TEST_CASE("the mask is restored on destruction and pending signals are discarded, not acted on", "[io][signals]") {
  REQUIRE_FALSE(blocked_in_this_thread(SIGUSR2));
  {
    SignalSet outer{SIGUSR2};
    {
      SignalSet inner{SIGUSR2};
      CHECK(blocked_in_this_thread(SIGUSR2));
    }
    CHECK(blocked_in_this_thread(SIGUSR2));  // outer still holds it
    // Left pending: SIGUSR2's default action would end this test process once it is unblocked.
    REQUIRE(::raise(SIGUSR2) == 0);
  }
  CHECK_FALSE(blocked_in_this_thread(SIGUSR2));
  sigset_t pending;
  ::sigpending(&pending);
  CHECK(sigismember(&pending, SIGUSR2) == 0);
}

TEST_CASE("a signal blocked before the set stays blocked, and pending, after it", "[io][signals]") {
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  block_signals({SIGUSR2});
  { SignalSet signals{SIGUSR2}; }
  CHECK(blocked_in_this_thread(SIGUSR2));
  REQUIRE(::raise(SIGUSR2) == 0);
  { SignalSet signals{SIGUSR2}; }
  sigset_t pending;
  ::sigpending(&pending);
  CHECK(sigismember(&pending, SIGUSR2) == 1);
  const timespec no_wait{};
  CHECK(::sigtimedwait(&usr2, nullptr, &no_wait) == SIGUSR2);
  ::pthread_sigmask(SIG_UNBLOCK, &usr2, nullptr);
}

TEST_CASE("wait_signal waits for one signal; uncatchable and bad signals are refused by name", "[io][signals]") {
  test::run_virtual([] {
    auto raiser = spawn([] { REQUIRE(::raise(SIGUSR2) == 0); });
    CHECK(wait_signal(SIGUSR2, 1s).signal == SIGUSR2);
    raiser.join();
  });
  CHECK_THROWS_MATCHES(SignalSet{SIGKILL}, std::invalid_argument,
                       Catch::Message("SIGKILL cannot be caught or blocked"));
  CHECK_THROWS_MATCHES(SignalSet({SIGUSR2, 0}), std::invalid_argument, Catch::Message("not a signal number: 0"));
  CHECK_FALSE(blocked_in_this_thread(SIGUSR2));
}
