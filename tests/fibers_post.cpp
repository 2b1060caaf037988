// Cross-thread Scheduler::post: thread, order, waking parked fibers, no loss, errors, no parking.
#include "leak_check.hpp"
#include "wait_attempts.hpp"

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// Parks the calling fiber until `done()` holds; only posted work (which unparks it) can make it so.
template <class Predicate>
void park_until_true(Predicate done) {
  while (!done()) park("waiting for posted work");
}


}  // namespace

TEST_CASE("posted work runs on the scheduler's thread, in posting order", "[fibers][post]") {
  test::run_virtual([] {
    Scheduler& scheduler = *Scheduler::current();
    const std::thread::id loop_thread = std::this_thread::get_id();
    const Waker main = Waker::current();
    constexpr int count = 200;
    std::vector<int> order;
    std::vector<std::thread::id> ran_on;
    Scheduler::ExpectPost expect(scheduler);  // the posts may arrive after main parked
    std::thread poster([&] {
      for (int i = 0; i < count; ++i) {
        scheduler.post([&, i] {
          order.push_back(i);
          ran_on.push_back(std::this_thread::get_id());
          if (i == count - 1) main.unpark();
        });
      }
    });
    park_until_true([&] { return order.size() == count; });
    poster.join();
    CHECK(poster.get_id() != loop_thread);
    REQUIRE(order.size() == count);
    for (int i = 0; i < count; ++i) REQUIRE(order[static_cast<std::size_t>(i)] == i);
    for (const auto& id : ran_on) REQUIRE(id == loop_thread);
  });
}

TEST_CASE("a post from another thread can unpark a parked fiber", "[fibers][post]") {
  test::run_virtual([] {
    Scheduler& scheduler = *Scheduler::current();
    Waker worker_waker;
    bool unparked_by_post = false;
    auto worker = spawn([&] {
      worker_waker = Waker::current();
      WakeStatus status = park("waiting for a post");
      return std::make_pair(status, std::this_thread::get_id());
    });
    this_fiber::yield();  // the worker parks
    REQUIRE(worker_waker);
    TimePoint start = now();
    Scheduler::ExpectPost expect(scheduler);
    std::thread poster([&scheduler, &unparked_by_post, waker = worker_waker] {
      scheduler.post([&unparked_by_post, waker] { unparked_by_post = waker.unpark(); });
    });
    auto [status, thread] = worker.join();
    poster.join();
    CHECK(status == WakeStatus::woken);
    CHECK(unparked_by_post);
    CHECK(thread == std::this_thread::get_id());
    CHECK(now() == start);  // the virtual clock did not move while waiting for the post
  });
}

TEST_CASE("real clock: a post wakes a scheduler blocked in epoll with nothing else to do", "[fibers][post]") {
  test::run_virtual(
      [] {
        Scheduler& scheduler = *Scheduler::current();
        const Waker main = Waker::current();
        bool posted_ran = false;
        std::thread poster([&] {
          scheduler.post([&] {
            posted_ran = true;
            main.unpark();
          });
        });
        park_until_true([&] { return posted_ran; });
        poster.join();
        CHECK(posted_ran);
      },
      SchedulerOptions{});
}

TEST_CASE("many threads posting 10k items in total lose none and keep each thread's order", "[fibers][post]") {
  test::run_virtual([] {
    Scheduler& scheduler = *Scheduler::current();
    const Waker main = Waker::current();
    constexpr int threads = 8;
    constexpr int per_thread = 1250;
    constexpr int total = threads * per_thread;
    // Touched only by posted work, i.e. only on the scheduler's thread.
    int received = 0;
    std::vector<int> next_expected(threads, 0);
    std::vector<int> out_of_order(threads, 0);
    Scheduler::ExpectPost expect(scheduler);
    std::vector<std::thread> posters;
    for (int t = 0; t < threads; ++t) {
      posters.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) {
          scheduler.post([&, t, i] {
            if (next_expected[static_cast<std::size_t>(t)] != i) ++out_of_order[static_cast<std::size_t>(t)];
            next_expected[static_cast<std::size_t>(t)] = i + 1;
            if (++received == total) main.unpark();
          });
        }
      });
    }
    park_until_true([&] { return received == total; });
    for (auto& poster : posters) poster.join();
    CHECK(received == total);
    for (int t = 0; t < threads; ++t) {
      CHECK(next_expected[static_cast<std::size_t>(t)] == per_thread);
      CHECK(out_of_order[static_cast<std::size_t>(t)] == 0);
    }
  });
}

TEST_CASE("posted work that throws is reported to the diagnostic sink and the scheduler carries on",
          "[fibers][post]") {
  test::CapturedDiagnostics diagnostics;
  test::run_virtual([] {
    Scheduler& scheduler = *Scheduler::current();
    const Waker main = Waker::current();
    bool after_ran = false;
    {
      // Announced only until it came: while a post is expected, virtual time runs at real speed.
      Scheduler::ExpectPost expect(scheduler);
      std::thread poster([&] {
        scheduler.post([] { throw std::runtime_error("posted work failed"); });
        scheduler.post([&] {
          after_ran = true;
          main.unpark();
        });
      });
      park_until_true([&] { return after_ran; });
      poster.join();
    }
    CHECK(after_ran);
    // Fibers and timers keep working.
    TimePoint start = now();
    auto sleeper = spawn([] { this_fiber::sleep_for(2s); });
    sleeper.join();
    CHECK(now() - start == 2s);
  });
  auto messages = diagnostics.messages();
  REQUIRE(messages.size() == 1);
  CHECK_THAT(messages[0], Catch::Matchers::Contains("posted work threw") &&
                              Catch::Matchers::Contains("std::runtime_error: posted work failed"));
}

TEST_CASE("parking inside posted work throws FiberError", "[fibers][post]") {
  const std::vector<std::string> all_fiber_errors{"FiberError", "FiberError", "FiberError", "FiberError"};
  SECTION("posted from another thread while the scheduler idles") {
    test::run_virtual([&] {
      Scheduler& scheduler = *Scheduler::current();
      const Waker main = Waker::current();
      std::vector<std::string> results;
      Scheduler::ExpectPost expect(scheduler);
      std::thread poster([&] {
        scheduler.post([&] {
          results = test::try_every_wait("inside posted work");
          main.unpark();
        });
      });
      park_until_true([&] { return !results.empty(); });
      poster.join();
      CHECK(results == all_fiber_errors);
    });
  }
  SECTION("drained by the poll step inside a busy fiber's switch") {
    test::run_virtual([&] {
      std::vector<std::string> results;
      Scheduler::current()->post([&] { results = test::try_every_wait("inside posted work"); });
      for (int spins = 0; results.empty(); ++spins) {
        REQUIRE(spins <= 1000);
        this_fiber::yield();
      }
      CHECK(results == all_fiber_errors);
    });
  }
}

TEST_CASE("posted work that needs to wait spawns a fiber for it", "[fibers][post]") {
  test::run_virtual([] {
    Scheduler& scheduler = *Scheduler::current();
    const Waker main = Waker::current();
    std::vector<JoinHandle<std::thread::id>> spawned;
    TimePoint start = now();
    {
      Scheduler::ExpectPost expect(scheduler);  // until the post came (see above)
      std::thread poster([&] {
        scheduler.post([&] {
          spawned.push_back(spawn([] {
            this_fiber::sleep_for(3s);
            return std::this_thread::get_id();
          }));
          main.unpark();
        });
      });
      park_until_true([&] { return !spawned.empty(); });
      poster.join();
    }
    CHECK(spawned.back().join() == std::this_thread::get_id());
    CHECK(now() - start == 3s);
  });
}

TEST_CASE("a post from the scheduler's own thread runs at the next poll step, not synchronously", "[fibers][post]") {
  test::run_virtual([] {
    bool ran = false;
    Scheduler::current()->post([&] { ran = true; });
    CHECK_FALSE(ran);
    int spins = 0;
    while (!ran) {
      this_fiber::yield();
      REQUIRE(++spins <= 1000);
    }
    CHECK(ran);
  });
}
