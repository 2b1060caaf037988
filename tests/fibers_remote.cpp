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
