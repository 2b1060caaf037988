// RemoteScheduler and PendingPost: posting from other threads, safely after the scheduler is gone,
// and announcing a post so the virtual clock waits for it instead of calling it a deadlock.
#include "leak_check.hpp"

#include <spindle/fibers/remote_scheduler.hpp>

#include <future>
#include <memory>
#include <thread>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("a RemoteScheduler posts from another thread while the scheduler lives", "[fibers][remote]") {
  test::run_virtual([] {
    RemoteScheduler remote = RemoteScheduler::current();
    CHECK(remote.is_current());
    Waker waiter = Waker::current();
    bool ran_here = false;
    std::thread::id loop_thread = std::this_thread::get_id();
    Scheduler::ExpectPost expect(*Scheduler::current());
    std::thread poster([&] {
      CHECK_FALSE(remote.is_current());
      CHECK(remote.post([&] {
        ran_here = std::this_thread::get_id() == loop_thread;
        waiter.unpark();
      }));
    });
    park("waiting for the post");
    poster.join();
    CHECK(ran_here);
  });
}

TEST_CASE("after the scheduler is destroyed, post drops the work and says so", "[fibers][remote]") {
  std::optional<RemoteScheduler> remote;
  {
    Scheduler scheduler;
    remote = RemoteScheduler::current();
  }
  auto dropped = std::make_shared<int>(0);
  std::weak_ptr<int> watch = dropped;
  CHECK_FALSE(remote->post([dropped = std::move(dropped)] {}));
  CHECK(watch.expired());  // the work was destroyed, not kept
}

TEST_CASE("RemoteScheduler::current needs a scheduler", "[fibers][remote]") {
  CHECK_THROWS_AS(RemoteScheduler::current(), FiberError);
}

TEST_CASE("a PendingPost keeps a virtual-clock loop waiting for a slow thread", "[fibers][remote]") {
  test::run_virtual([] {
    Waker waiter = Waker::current();
    auto announced = std::make_shared<PendingPost>(RemoteScheduler::current());
    std::promise<void> go;
    std::thread slow([&, announced] {
      go.get_future().wait();
      announced->send([&] { waiter.unpark(); });
    });
    // Release the thread only from a callback that runs once the fiber has parked.
    RemoteScheduler::current().post([&] { go.set_value(); });
    announced.reset();
    CHECK(park("waiting for the slow thread") == WakeStatus::woken);
    slow.join();
  });
}

TEST_CASE("a withdrawn PendingPost lets the deadlock be seen", "[fibers][remote]") {
  Scheduler scheduler({.virtual_clock = true});
  CHECK_THROWS_AS(scheduler.run_until_complete([] {
    { PendingPost never_sent(RemoteScheduler::current()); }
    park("nothing will come");
  }), DeadlockError);
  // Destroying the scheduler cancels the parked fiber.
}

TEST_CASE("PendingPost::send after the scheduler is gone returns false", "[fibers][remote]") {
  std::unique_ptr<PendingPost> announced;
  {
    Scheduler scheduler;
    announced = std::make_unique<PendingPost>(RemoteScheduler::current());
  }
  CHECK_FALSE(announced->send([] {}));
}

TEST_CASE("while a post is expected, a virtual-clock deadline waits for it in real time", "[fibers][remote]") {
  // A thread working for the loop (an executor job) takes real time; jumping straight to a
  // fiber's 10 s deadline would time the job out however quickly it finishes.
  test::run_virtual([] {
    Waker waiter = Waker::current();
    auto announced = std::make_shared<PendingPost>(RemoteScheduler::current());
    std::thread worker([&, announced] {
      std::this_thread::sleep_for(20ms);  // the job's real duration, not a wait for anything
      announced->send([&] { waiter.unpark(); });
    });
    announced.reset();
    TimePoint start = now();
    CHECK(park_until("waiting for the job", start + 10s) == WakeStatus::woken);
    CHECK(now() - start < 10s);
    worker.join();
  });
}

TEST_CASE("while a post is expected, a deadline that passes in real time still fires", "[fibers][remote]") {
  test::run_virtual([] {
    auto announced = std::make_shared<PendingPost>(RemoteScheduler::current());
    std::promise<void> release;
    std::thread worker([announced, gate = release.get_future()]() mutable {
      gate.wait();  // never done before the deadline: the test releases it afterwards
      announced->send([] {});
    });
    TimePoint start = now();
    CHECK(park_until("waiting for a job that overruns", start + 30ms) == WakeStatus::timed_out);
    CHECK(now() - start == 30ms);
    release.set_value();
    worker.join();
  });
}
