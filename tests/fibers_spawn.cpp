// Spawning fibers and reading their outcome through JoinHandle.
#include "leak_check.hpp"

#include <memory>
#include <stdexcept>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("join returns the fiber's value", "[fibers][spawn]") {
  int value = test::run_virtual([] {
    auto handle = spawn([] { return 40; });
    CHECK_FALSE(handle.done());
    int got = handle.join();
    CHECK(handle.done());
    return got + 2;
  });
  CHECK(value == 42);
}

TEST_CASE("move-only results and callables work", "[fibers][spawn]") {
  test::run_virtual([] {
    auto owned = std::make_unique<int>(7);
    auto handle = spawn([owned = std::move(owned)]() mutable { return std::move(owned); });
    std::unique_ptr<int> result = handle.join();
    REQUIRE(result);
    CHECK(*result == 7);
  });
}

TEST_CASE("join rethrows the fiber's exception", "[fibers][spawn]") {
  test::run_virtual([] {
    auto handle = spawn([]() -> int { throw std::runtime_error("no answer"); });
    CHECK_THROWS_WITH(handle.join(), "no answer");
  });
}

TEST_CASE("exception() waits and returns the stored exception", "[fibers][spawn]") {
  test::run_virtual([] {
    auto failing = spawn([] {
      this_fiber::sleep_for(1s);
      throw std::invalid_argument("bad");
    });
    auto fine = spawn([] {});
    std::exception_ptr error = failing.exception();
    REQUIRE(error);
    CHECK_THROWS_AS(std::rethrow_exception(error), std::invalid_argument);
    CHECK(fine.exception() == nullptr);
  });
}

TEST_CASE("the callable's captures are destroyed when the fiber ends, not with the handle", "[fibers][spawn]") {
  test::run_virtual([] {
    auto token = std::make_shared<int>(1);
    std::weak_ptr<int> watch = token;
    auto handle = spawn([token = std::move(token)] { return *token; });
    handle.wait();
    CHECK(watch.expired());
    CHECK(handle.join() == 1);
  });
}

TEST_CASE("names and ids", "[fibers][spawn]") {
  test::run_virtual([] {
    CHECK(this_fiber::name() == "main");
    auto named = spawn([] { return this_fiber::name(); }, {.name = "worker"});
    auto anonymous = spawn([] { return this_fiber::id(); });
    CHECK(named.name() == "worker");
    CHECK(named.join() == "worker");
    FiberId id = anonymous.id();
    CHECK(anonymous.name() == "fiber#" + std::to_string(id));
    CHECK(anonymous.join() == id);
    CHECK(named.id() != id);
  });
  CHECK(this_fiber::id() == 0);
  CHECK(this_fiber::name().empty());
}

TEST_CASE("set_name renames the running fiber", "[fibers][spawn]") {
  test::run_virtual([] {
    auto handle = spawn([] {
      this_fiber::set_name("renamed");
      return this_fiber::name();
    });
    CHECK(handle.join() == "renamed");
  });
}

TEST_CASE("a dropped handle detaches: the fiber still runs to the end", "[fibers][spawn]") {
  test::run_virtual([] {
    int runs = 0;
    spawn([&] {
      this_fiber::sleep_for(5ms);
      ++runs;
    });
    this_fiber::sleep_for(10ms);
    CHECK(runs == 1);
  });
}

TEST_CASE("misuse is reported with FiberError", "[fibers][spawn]") {
  SECTION("spawn without a scheduler") { CHECK_THROWS_AS(spawn([] {}), FiberError); }
  SECTION("yield and sleep outside a fiber") {
    CHECK_THROWS_AS(this_fiber::yield(), FiberError);
    Scheduler scheduler({.virtual_clock = true});
    CHECK_THROWS_AS(this_fiber::sleep_for(1ms), FiberError);
  }
  SECTION("a fiber joining itself") {
    test::run_virtual([] {
      JoinHandle<void> self;
      auto handle = spawn([&] {
        this_fiber::yield();
        CHECK_THROWS_AS(self.wait(), FiberError);
      });
      self = std::move(handle);
      self.join();
    });
  }
  SECTION("a second scheduler on one thread") {
    Scheduler first;
    CHECK_THROWS_AS(Scheduler(), FiberError);
  }
}

TEST_CASE("run() cancels fibers left over when main ends, like asyncio.run", "[fibers][spawn]") {
  Scheduler scheduler({.virtual_clock = true});
  bool unwound = false;
  int result = scheduler.run([&] {
    spawn([&] {
      test::SetOnDestroy flag{unwound};
      this_fiber::sleep_for(1h);
    });
    this_fiber::yield();
    return 5;
  });
  CHECK(result == 5);
  CHECK(unwound);
  CHECK(scheduler.live_fibers() == 0);
}

TEST_CASE("run_until_complete leaves other fibers for a later run", "[fibers][spawn]") {
  Scheduler scheduler({.virtual_clock = true});
  int stage = 0;
  scheduler.run_until_complete([&] {
    spawn([&] {
      this_fiber::sleep_for(1s);
      stage = 2;
    });
    stage = 1;
  });
  CHECK(stage == 1);
  CHECK(scheduler.live_fibers() == 1);
  scheduler.run_all();
  CHECK(stage == 2);
  CHECK(scheduler.live_fibers() == 0);
}

TEST_CASE("the scheduler's destructor unwinds fibers still alive", "[fibers][spawn]") {
  bool unwound = false;
  {
    Scheduler scheduler({.virtual_clock = true});
    scheduler.run_until_complete([&] {
      spawn([&] {
        test::SetOnDestroy flag{unwound};
        this_fiber::sleep_for(1h);
      });
      this_fiber::yield();
    });
    CHECK_FALSE(unwound);
  }
  CHECK(unwound);
}
