// Cancellation: at every kind of blocking point, before start, once only, and its WaitList rules.
#include "leak_check.hpp"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

static_assert(!std::is_base_of_v<std::exception, CancelledError>,
              "CancelledError must not be caught by catch (const std::exception&)");

namespace {

// Lives on (or is captured by) the cancelled fiber: owns a descriptor, which it forgets and closes
// when destroyed, and records that it was destroyed.
class Guard {
 public:
  explicit Guard(bool& destroyed) : destroyed_(destroyed), fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    REQUIRE(fd_ >= 0);
  }
  ~Guard() {
    forget_fd(fd_);
    ::close(fd_);
    destroyed_ = true;
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;
  int fd() const { return fd_; }

 private:
  bool& destroyed_;
  int fd_;
};

bool fd_is_closed(int fd) {
  errno = 0;
  return ::fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

std::string cancel_message_of(JoinHandle<void>& handle) {
  try {
    handle.join();
  } catch (const CancelledError& error) {
    return error.message();
  }
  return "<join did not throw CancelledError>";
}

// Spawns a fiber that blocks in `block(fd)` with a Guard on its stack, cancels it once it is
// blocked, and checks the contract: the blocked call throws CancelledError(message), the stack
// unwinds (the Guard's destructor runs and closes its descriptor), no virtual time passes, and
// cancel() then reports the fiber as finished.
template <class Block>
void check_cancelled_while_blocked(Block block) {
  const std::string message = "stop: cancelled by the test";
  const std::size_t fds_before = test::open_fd_count();
  bool unwound = false;
  int fd = -1;
  bool caught = false;
  std::string caught_message;
  bool returned = false;
  auto victim = spawn(
      [&] {
        Guard guard(unwound);
        fd = guard.fd();
        try {
          block(guard.fd());
        } catch (const CancelledError& error) {
          caught = true;
          caught_message = error.message();
          throw;
        }
        returned = true;
      },
      {.name = "victim"});
  for (int i = 0; i < 3; ++i) this_fiber::yield();  // the victim reaches its blocking point
  REQUIRE(fd >= 0);
  REQUIRE_FALSE(victim.done());
  CHECK(test::open_fd_count() == fds_before + 1);
  const TimePoint start = now();
  CHECK(victim.cancel(message));
  CHECK(cancel_message_of(victim) == message);
  CHECK(caught);
  CHECK(caught_message == message);
  CHECK_FALSE(returned);
  CHECK(unwound);
  CHECK(fd_is_closed(fd));
  CHECK(test::open_fd_count() == fds_before);
  CHECK(now() == start);
  CHECK_FALSE(victim.cancel("again"));
}

}  // namespace

TEST_CASE("cancel interrupts a sleep with CancelledError(message) and unwinds the stack", "[fibers][cancel]") {
  test::run_virtual([] {
    check_cancelled_while_blocked([](int) { this_fiber::sleep_for(1h); });
    CHECK(Scheduler::current()->armed_timers() == 0);
  });
}

TEST_CASE("cancel interrupts park and park_until", "[fibers][cancel]") {
  test::run_virtual([] {
    check_cancelled_while_blocked([](int) { park("parked for the test"); });
    check_cancelled_while_blocked([](int) { park_until("parked for the test", now() + 1h); });
  });
}

TEST_CASE("cancel interrupts wait_readable and the descriptor's registration is dropped", "[fibers][cancel]") {
  test::run_virtual([] {
    check_cancelled_while_blocked([](int fd) { wait_readable(fd); });  // an empty eventfd never reads
    check_cancelled_while_blocked([](int fd) { wait_readable(fd, now() + 1h); });
    CHECK(Scheduler::current()->watched_fds() == 0);
  });
}

TEST_CASE("cancel interrupts a join; the joined fiber keeps running", "[fibers][cancel]") {
  test::run_virtual([] {
    WaitList gate;
    bool other_finished = false;
    auto other = spawn([&] {
      gate.wait("gate");
      other_finished = true;
    });
    check_cancelled_while_blocked([&](int) { other.join(); });
    CHECK_FALSE(other.done());
    CHECK(gate.wake_one() != nullptr);
    other.join();
    CHECK(other_finished);
  });
}

TEST_CASE("cancel interrupts WaitList::wait and the waiter leaves the list", "[fibers][cancel]") {
  test::run_virtual([] {
    WaitList list;
    check_cancelled_while_blocked([&](int) { list.wait("cancel test"); });
    CHECK(list.empty());
    CHECK(list.size() == 0);
    CHECK(list.wake_one() == nullptr);
  });
}

TEST_CASE("cancel interrupts a fiber that only ever yields", "[fibers][cancel]") {
  test::run_virtual([] {
    check_cancelled_while_blocked([](int) {
      for (;;) this_fiber::yield();
    });
  });
}

TEST_CASE("a fiber cancelled before it ever ran never runs its body; join throws CancelledError", "[fibers][cancel]") {
  test::CapturedDiagnostics diagnostics;
  test::run_virtual([] {
    const std::size_t fds_before = test::open_fd_count();
    bool body_ran = false;
    bool captured_destroyed = false;
    auto owned = std::make_unique<Guard>(captured_destroyed);
    const int fd = owned->fd();
    auto victim = spawn([&body_ran, owned = std::move(owned)] { body_ran = true; });
    CHECK(victim.cancel("never started"));
    CHECK(cancel_message_of(victim) == "never started");
    CHECK_FALSE(body_ran);
    CHECK(captured_destroyed);  // the callable and what it captured are gone
    CHECK(fd_is_closed(fd));
    CHECK(test::open_fd_count() == fds_before);
    CHECK_FALSE(victim.cancel());

    // Dropping the handle of such a fiber reports nothing: a cancellation is not an error to retrieve.
    bool detached_ran = false;
    {
      auto detached = spawn([&] { detached_ran = true; });
      CHECK(detached.cancel());
    }
    this_fiber::yield();
    CHECK_FALSE(detached_ran);
  });
  CHECK(diagnostics.messages().empty());
}

TEST_CASE("cancel returns false for a finished fiber, true for a live one", "[fibers][cancel]") {
  test::run_virtual([] {
    auto fine = spawn([] { return 1; });
    auto failed = spawn([] { throw std::runtime_error("failed"); });
    auto live = spawn([] { this_fiber::sleep_for(1h); });
    this_fiber::yield();
    REQUIRE(fine.done());
    REQUIRE(failed.done());
    CHECK_FALSE(fine.cancel("too late"));
    CHECK_FALSE(failed.cancel("too late"));
    CHECK(fine.join() == 1);  // the outcome is untouched
    CHECK_THROWS_AS(failed.join(), std::runtime_error);
    CHECK(live.cancel());
    CHECK_THROWS_AS(live.join(), CancelledError);
    CHECK_FALSE(live.cancel());
  });
}

TEST_CASE("a cancellation is delivered once: after catching it, blocking calls work normally", "[fibers][cancel]") {
  test::run_virtual([] {
    std::string first;
    std::string second;
    Duration slept{};
    auto victim = spawn([&] {
      try {
        this_fiber::sleep_for(1h);
      } catch (const CancelledError& error) {
        first = error.message();
      }
      this_fiber::checkpoint();  // nothing pending any more
      this_fiber::yield();
      TimePoint start = now();
      this_fiber::sleep_for(2s);
      slept = now() - start;
      try {
        this_fiber::sleep_for(1h);  // a new cancel() is delivered again
      } catch (const CancelledError& error) {
        second = error.message();
      }
      return 7;
    });
    this_fiber::yield();
    CHECK(victim.cancel("first"));
    this_fiber::sleep_for(3s);  // the victim is in its second long sleep by now
    CHECK(first == "first");
    CHECK(slept == 2s);
    CHECK(victim.cancel("second"));
    CHECK(victim.join() == 7);
    CHECK(second == "second");
  });
}

TEST_CASE("CancelledError is not caught by catch (const std::exception&)", "[fibers][cancel]") {
  test::run_virtual([] {
    bool swallowed = false;
    bool continued = false;
    bool seen_by_catch_all = false;
    auto victim = spawn([&] {
      try {
        try {
          this_fiber::sleep_for(1h);
        } catch (const std::exception&) {
          swallowed = true;
        }
        continued = true;
      } catch (...) {
        seen_by_catch_all = true;
        throw;
      }
    });
    this_fiber::yield();
    CHECK(victim.cancel("not a std::exception"));
    CHECK_THROWS_AS(victim.join(), CancelledError);
    CHECK_FALSE(swallowed);
    CHECK_FALSE(continued);
    CHECK(seen_by_catch_all);
  });
}

TEST_CASE("a cancelled waiter leaves the WaitList and wake_one wakes the next waiter instead", "[fibers][cancel]") {
  test::run_virtual([] {
    WaitList list;
    constexpr int count = 4;
    int ids[count] = {0, 1, 2, 3};
    std::vector<std::string> outcome(count);
    std::vector<JoinHandle<void>> waiters;
    for (int i = 0; i < count; ++i) {
      waiters.push_back(spawn([&, i] {
        WaitList::Node node(&ids[i]);
        try {
          outcome[static_cast<std::size_t>(i)] = list.wait(node, "queue") == WakeStatus::woken ? "woken" : "timed out";
        } catch (const CancelledError&) {
          outcome[static_cast<std::size_t>(i)] = "cancelled";
        }
      }));
    }
    this_fiber::yield();
    REQUIRE(list.size() == 4);
    auto id_of = [](WaitList::Node* node) { return node == nullptr ? -1 : *static_cast<int*>(node->payload()); };

    // A cancelled waiter in the middle: once it has run, its node is gone.
    CHECK(waiters[1].cancel());
    this_fiber::yield();
    CHECK(outcome[1] == "cancelled");
    CHECK(list.size() == 3);

    // The longest waiter is cancelled and, before it runs, wake_one is called: it skips it.
    CHECK(waiters[0].cancel());
    CHECK(id_of(list.wake_one()) == 2);
    CHECK(list.size() == 1);
    this_fiber::yield();
    CHECK(outcome[0] == "cancelled");
    CHECK(outcome[2] == "woken");

    CHECK(id_of(list.wake_one()) == 3);
    CHECK(list.wake_one() == nullptr);
    for (auto& waiter : waiters) waiter.join();
    CHECK(outcome == std::vector<std::string>{"cancelled", "cancelled", "woken", "woken"});
    CHECK(list.empty());
  });
}

TEST_CASE("a waiter woken by wake_one and cancelled before it ran returns normally with what it was handed",
          "[fibers][cancel]") {
  // ... and the cancellation arrives at its next blocking point (or checkpoint).
  struct Slot {
    std::string item;
  };
  auto run_case = [](auto next_blocking_point) {
    test::run_virtual([&] {
      WaitList list;
      WakeStatus status = WakeStatus::timed_out;
      std::string received;
      std::string late;
      bool passed_blocking_point = false;
      bool later_sleep_worked = false;
      auto consumer = spawn([&] {
        Slot slot;
        WaitList::Node node(&slot);
        status = list.wait(node, "consumer");
        received = slot.item;
        try {
          next_blocking_point();
          passed_blocking_point = true;
        } catch (const CancelledError& error) {
          late = error.message();
        }
        this_fiber::sleep_for(1s);
        later_sleep_worked = true;
      });
      this_fiber::yield();  // the consumer parks
      WaitList::Node* node = list.wake_one();
      REQUIRE(node != nullptr);
      static_cast<Slot*>(node->payload())->item = "the item";
      CHECK(consumer.cancel("late cancel"));
      consumer.join();
      CHECK(status == WakeStatus::woken);
      CHECK(received == "the item");
      CHECK(late == "late cancel");
      CHECK_FALSE(passed_blocking_point);
      CHECK(later_sleep_worked);
    });
  };
  SECTION("next blocking point: sleep") { run_case([] { this_fiber::sleep_for(1s); }); }
  SECTION("next blocking point: another WaitList wait") {
    run_case([] {
      WaitList other;
      other.wait("other");
    });
  }
  SECTION("next blocking point: yield") { run_case([] { this_fiber::yield(); }); }
  SECTION("checkpoint") { run_case([] { this_fiber::checkpoint(); }); }
}

TEST_CASE("randomised cancel and wake_one on a WaitList: nothing handed out is lost or duplicated",
          "[fibers][cancel]") {
  static constexpr int waiter_count = 40;
  for (unsigned seed = 1; seed <= 30; ++seed) {
    CAPTURE(seed);
    test::run_virtual([seed] {
      WaitList list;
      std::vector<int> ids(waiter_count);
      // Written by the waiters.
      std::vector<int> woken(waiter_count, 0);            // wait() returned WakeStatus::woken
      std::vector<int> cancelled_in_wait(waiter_count, 0);  // wait() threw CancelledError
      std::vector<int> cancelled_later(waiter_count, 0);  // the yield after a woken wait threw
      std::vector<int> other(waiter_count, 0);            // anything else (timed out, other exception)
      // Written by the driver (this fiber).
      std::vector<int> handed(waiter_count, 0);     // wake_one() returned this waiter's node
      std::vector<bool> cancel_requested(waiter_count, false);
      std::vector<int> expect_cancel_in_wait(waiter_count, 0);
      std::vector<int> expect_cancel_later(waiter_count, 0);

      std::vector<JoinHandle<void>> waiters;
      for (int i = 0; i < waiter_count; ++i) {
        const auto index = static_cast<std::size_t>(i);
        ids[index] = i;
        waiters.push_back(spawn([&, index] {
          WaitList::Node node(&ids[index]);
          try {
            if (list.wait(node, "random") == WakeStatus::woken) {
              ++woken[index];
            } else {
              ++other[index];
            }
          } catch (const CancelledError&) {
            ++cancelled_in_wait[index];
            return;
          } catch (...) {
            ++other[index];
            return;
          }
          try {
            this_fiber::yield();
          } catch (const CancelledError&) {
            ++cancelled_later[index];
          }
        }));
      }
      this_fiber::yield();
      REQUIRE(list.size() == waiter_count);

      std::mt19937 random(seed);
      auto all_done = [&] {
        for (auto& waiter : waiters) {
          if (!waiter.done()) return false;
        }
        return true;
      };
      int steps = 0;
      while (!all_done()) {
        REQUIRE(++steps < 100'000);
        switch (random() % 3) {
          case 0: {  // cancel a random waiter that has not finished and was not cancelled yet
            std::vector<std::size_t> candidates;
            for (std::size_t i = 0; i < waiters.size(); ++i) {
              if (!cancel_requested[i] && !waiters[i].done()) candidates.push_back(i);
            }
            if (candidates.empty()) break;
            std::size_t pick = candidates[random() % candidates.size()];
            REQUIRE(waiters[pick].cancel("random cancel"));
            cancel_requested[pick] = true;
            // Still parked (never handed a wake): its wait must throw. Already woken: its wait
            // returns normally and the cancellation hits the yield that follows.
            ++(handed[pick] == 0 ? expect_cancel_in_wait : expect_cancel_later)[pick];
            break;
          }
          case 1:
            if (WaitList::Node* node = list.wake_one()) ++handed[static_cast<std::size_t>(*static_cast<int*>(node->payload()))];
            break;
          default:
            this_fiber::yield();
            break;
        }
      }
      for (auto& waiter : waiters) waiter.join();

      int total_handed = 0;
      int total_woken = 0;
      int total_cancelled = 0;
      for (std::size_t i = 0; i < static_cast<std::size_t>(waiter_count); ++i) {
        CAPTURE(i);
        CHECK(handed[i] <= 1);
        CHECK(woken[i] == handed[i]);  // every node handed out was taken, exactly once
        CHECK(cancelled_in_wait[i] == expect_cancel_in_wait[i]);
        CHECK(cancelled_later[i] == expect_cancel_later[i]);
        CHECK(woken[i] + cancelled_in_wait[i] == 1);
        CHECK(other[i] == 0);
        total_handed += handed[i];
        total_woken += woken[i];
        total_cancelled += cancelled_in_wait[i];
      }
      CHECK(total_handed == total_woken);
      CHECK(total_woken + total_cancelled == waiter_count);
      CHECK(list.empty());
    });
  }
}
