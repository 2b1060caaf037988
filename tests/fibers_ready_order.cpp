// The order in which ready fibers run.
#include "leak_check.hpp"

#include <string>
#include <vector>

using namespace spindle;

TEST_CASE("spawned fibers run in spawn order, after the spawner yields", "[fibers][order]") {
  test::run_virtual([] {
    std::vector<int> order;
    std::vector<JoinHandle<void>> fibers;
    for (int i = 0; i < 5; ++i) fibers.push_back(spawn([&order, i] { order.push_back(i); }));
    CHECK(order.empty());  // spawn never switches
    this_fiber::yield();
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
    for (auto& fiber : fibers) fiber.join();
  });
}

TEST_CASE("yield is round robin: each ready fiber runs once per round", "[fibers][order]") {
  test::run_virtual([] {
    std::string trace;
    auto worker = [&trace](char tag) {
      return [&trace, tag] {
        for (int round = 0; round < 3; ++round) {
          trace += tag;
          this_fiber::yield();
        }
      };
    };
    auto a = spawn(worker('a'));
    auto b = spawn(worker('b'));
    auto c = spawn(worker('c'));
    a.join();
    b.join();
    c.join();
    CHECK(trace == "abcabcabc");
  });
}

TEST_CASE("a woken fiber runs before new and yielding fibers", "[fibers][order]") {
  test::run_virtual([] {
    std::string trace;
    WaitList list;
    auto sleeper = spawn([&] {
      list.wait("test");
      trace += 'w';
    });
    this_fiber::yield();  // sleeper parks
    auto early = spawn([&] { trace += 'e'; });
    list.wake_one();
    auto late = spawn([&] { trace += 'l'; });
    sleeper.join();
    early.join();
    late.join();
    CHECK(trace == "wel");
  });
}

TEST_CASE("woken fibers cannot starve new ones: each poll step leaves the FIFO a share", "[fibers][order]") {
  test::run_virtual([] {
    // Two fibers wake each other forever through wait lists, so the woken queue is never empty.
    WaitList ping, pong;
    bool stop = false;
    long exchanges = 0;
    auto player = [&](WaitList& mine, WaitList& theirs) {
      return [&] {
        while (!stop) {
          theirs.wake_one();
          mine.wait("rally");
          ++exchanges;
        }
        theirs.wake_one();
      };
    };
    auto a = spawn(player(ping, pong));
    auto b = spawn(player(pong, ping));
    this_fiber::yield();
    bool newcomer_ran = false;
    auto newcomer = spawn([&] { newcomer_ran = true; });
    newcomer.join();
    CHECK(newcomer_ran);
    stop = true;
    a.join();
    b.join();
    CHECK(exchanges > 0);
  });
}

TEST_CASE("a lone fiber's yield returns without waiting", "[fibers][order]") {
  test::run_virtual([] {
    TimePoint start = now();
    for (int i = 0; i < 1000; ++i) this_fiber::yield();
    CHECK(now() == start);
  });
}
