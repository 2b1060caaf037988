// Queue, LifoQueue, PriorityQueue: order, bounds, the nowait calls, task_done/join, move-only items.
#include "leak_check.hpp"

#include <spindle/compat/queue.hpp>

#include <algorithm>
#include <memory>
#include <new>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

template <class Q>
std::vector<int> drain_nowait(Q& queue) {
  std::vector<int> items;
  while (!queue.empty()) items.push_back(queue.get_nowait());
  return items;
}

// Orders (priority, label) pairs by priority alone, so equal priorities are ties.
struct ByPriority {
  bool operator()(const std::pair<int, std::string>& a, const std::pair<int, std::string>& b) const {
    return a.first < b.first;
  }
};

struct ByPointee {
  bool operator()(const std::unique_ptr<int>& a, const std::unique_ptr<int>& b) const { return *a < *b; }
};

// FIFO storage that can be told to refuse pushes, as it would when memory runs out.
struct RefusingStorage : FifoStorage<int> {
  static inline int refuse_next_pushes = 0;
  void push(int&& item) {
    if (refuse_next_pushes > 0) {
      --refuse_next_pushes;
      throw std::bad_alloc();
    }
    FifoStorage<int>::push(std::move(item));
  }
};

}  // namespace

TEST_CASE("Queue hands items out first in, first out", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue;
    for (int i = 1; i <= 5; ++i) queue.put(i);
    CHECK(queue.get() == 1);
    CHECK(queue.get_nowait() == 2);
    CHECK(drain_nowait(queue) == std::vector<int>{3, 4, 5});
  });
}

TEST_CASE("LifoQueue hands out the most recent item first", "[compat][queue]") {
  test::run_virtual([] {
    LifoQueue<int> queue;
    for (int i = 1; i <= 5; ++i) queue.put_nowait(i);
    CHECK(queue.get() == 5);
    queue.put(6);
    CHECK(drain_nowait(queue) == std::vector<int>{6, 4, 3, 2, 1});
  });
}

TEST_CASE("PriorityQueue hands out the smallest item first, equal items in the order they were put",
          "[compat][queue]") {
  test::run_virtual([] {
    PriorityQueue<int> smallest_first;
    for (int item : {5, 1, 4, 1, 3, 2}) smallest_first.put_nowait(item);
    CHECK(smallest_first.get() == 1);
    CHECK(drain_nowait(smallest_first) == std::vector<int>{1, 2, 3, 4, 5});

    PriorityQueue<int, std::greater<int>> largest_first;
    for (int item : {5, 1, 4, 3, 2}) largest_first.put_nowait(item);
    CHECK(drain_nowait(largest_first) == std::vector<int>{5, 4, 3, 2, 1});

    PriorityQueue<std::pair<int, std::string>, ByPriority> ties;
    const std::vector<std::pair<int, std::string>> entries{{2, "b1"}, {1, "a1"}, {2, "b2"}, {3, "c1"},
                                                            {1, "a2"}, {2, "b3"}, {1, "a3"}};
    for (const auto& entry : entries) ties.put_nowait(entry);
    std::vector<std::string> labels;
    while (!ties.empty()) labels.push_back(ties.get_nowait().second);
    CHECK(labels == std::vector<std::string>{"a1", "a2", "a3", "b1", "b2", "b3", "c1"});
  });
}

TEST_CASE("put parks while the queue is full; a get takes the parked item in at once", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue(2);
    queue.put(1);
    queue.put(2);
    auto putter = spawn([&] { queue.put(3); });
    this_fiber::yield();
    CHECK_FALSE(putter.done());
    CHECK(queue.qsize() == 2);

    CHECK(queue.get_nowait() == 1);
    CHECK(queue.qsize() == 2);  // 3 is in already, before the putter runs
    CHECK(queue.full());
    putter.join();
    CHECK(drain_nowait(queue) == std::vector<int>{2, 3});
  });
}

TEST_CASE("get parks while the queue is empty and returns the next item put", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue;
    const TimePoint start = now();
    auto getter = spawn([&] { return queue.get(); });
    auto producer = spawn([&] {
      this_fiber::sleep_for(1s);
      queue.put(7);
    });
    CHECK(getter.join() == 7);
    CHECK(test::seconds_since(start) == 1.0);
    producer.join();
    CHECK(queue.empty());
  });
}

TEST_CASE("parked getters and putters are served in the order they started waiting", "[compat][queue]") {
  test::run_virtual([] {
    SECTION("getters") {
      Queue<int> queue;
      std::vector<JoinHandle<int>> getters;
      for (int i = 0; i < 4; ++i) getters.push_back(spawn([&] { return queue.get(); }));
      this_fiber::yield();
      for (int item : {10, 20, 30, 40}) queue.put_nowait(item);
      CHECK(queue.empty());  // each item went straight to a getter
      for (std::size_t i = 0; i < getters.size(); ++i) CHECK(getters[i].join() == 10 * static_cast<int>(i + 1));
    }
    SECTION("putters") {
      Queue<int> queue(1);
      queue.put_nowait(0);
      std::vector<JoinHandle<void>> putters;
      for (int i = 1; i <= 4; ++i) putters.push_back(spawn([&queue, i] { queue.put(i); }));
      this_fiber::yield();
      // A new put must not pass the parked putters.
      CHECK_THROWS_AS(queue.put_nowait(99), QueueFull);
      std::vector<int> order;
      for (int i = 0; i <= 4; ++i) order.push_back(queue.get());
      CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
      for (auto& putter : putters) putter.join();
    }
  });
}

TEST_CASE("put_nowait throws QueueFull and get_nowait QueueEmpty, changing nothing", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue(1);
    CHECK_THROWS_AS(queue.get_nowait(), QueueEmpty);
    queue.put_nowait(1);
    CHECK_THROWS_AS(queue.put_nowait(2), QueueFull);
    CHECK(queue.qsize() == 1);
    CHECK(queue.get_nowait() == 1);
    CHECK_THROWS_AS(queue.get_nowait(), QueueEmpty);
    queue.task_done();
    CHECK_THROWS_AS(queue.task_done(), std::invalid_argument);  // the refused item was never counted
  });
}

TEST_CASE("qsize, empty, full and maxsize", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> unbounded;
    CHECK(unbounded.maxsize() == 0);
    for (int i = 0; i < 1000; ++i) unbounded.put_nowait(i);
    CHECK(unbounded.qsize() == 1000);
    CHECK_FALSE(unbounded.full());
    CHECK_FALSE(unbounded.empty());

    LifoQueue<int> bounded(2);
    CHECK(bounded.maxsize() == 2);
    CHECK(bounded.empty());
    CHECK_FALSE(bounded.full());
    bounded.put_nowait(1);
    CHECK(bounded.qsize() == 1);
    CHECK_FALSE(bounded.empty());
    CHECK_FALSE(bounded.full());
    bounded.put_nowait(2);
    CHECK(bounded.qsize() == 2);
    CHECK(bounded.full());
    bounded.get_nowait();
    CHECK_FALSE(bounded.full());

    CHECK_THROWS_AS(PriorityQueue<int>(-1), std::invalid_argument);
  });
}

TEST_CASE("move-only items pass through every path", "[compat][queue]") {
  test::run_virtual([] {
    Queue<std::unique_ptr<int>> queue(1);
    queue.put_nowait(std::make_unique<int>(1));
    CHECK(*queue.get_nowait() == 1);

    auto getter = spawn([&] { return queue.get(); });  // parks, then is handed the item
    this_fiber::yield();
    queue.put(std::make_unique<int>(2));
    CHECK(*getter.join() == 2);

    queue.put(std::make_unique<int>(3));
    auto putter = spawn([&] { queue.put(std::make_unique<int>(4)); });  // parks, then is taken in
    this_fiber::yield();
    CHECK(*queue.get() == 3);
    putter.join();
    CHECK(*queue.get() == 4);

    LifoQueue<std::unique_ptr<int>> lifo;
    lifo.put(std::make_unique<int>(5));
    lifo.put(std::make_unique<int>(6));
    CHECK(*lifo.get() == 6);
    CHECK(*lifo.get() == 5);

    PriorityQueue<std::unique_ptr<int>, ByPointee> priority;
    for (int item : {9, 7, 8}) priority.put(std::make_unique<int>(item));
    CHECK(*priority.get() == 7);
    CHECK(*priority.get() == 8);
    CHECK(*priority.get() == 9);
  });
}

TEST_CASE("join returns at once when no item is unfinished", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue;
    bool other_ran = false;
    auto other = spawn([&] { other_ran = true; });
    const TimePoint start = now();
    queue.join();  // nothing was ever put
    queue.put_nowait(1);
    queue.get_nowait();
    queue.task_done();
    queue.join();  // everything put was marked done
    CHECK(now() == start);
    CHECK_FALSE(other_ran);  // join did not switch
    other.join();
  });
}

TEST_CASE("join waits until every item put has been marked done", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue;
    for (int i = 0; i < 3; ++i) queue.put_nowait(i);
    int released = 0;
    std::vector<JoinHandle<void>> joiners;
    for (int i = 0; i < 2; ++i) {
      joiners.push_back(spawn([&] {
        queue.join();
        ++released;
      }));
    }
    this_fiber::yield();
    for (int i = 0; i < 3; ++i) {
      queue.get_nowait();
      this_fiber::yield();
      CHECK(released == 0);  // taken is not done
    }
    queue.task_done();
    queue.task_done();
    this_fiber::yield();
    CHECK(released == 0);
    queue.task_done();
    this_fiber::yield();
    CHECK(released == 2);
    for (auto& joiner : joiners) joiner.join();
  });
}

TEST_CASE("an item handed straight to a parked getter counts for join too", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue;
    auto getter = spawn([&] { return queue.get(); });
    this_fiber::yield();
    queue.put_nowait(1);
    auto joiner = spawn([&] { queue.join(); });
    this_fiber::yield();
    CHECK(getter.join() == 1);
    CHECK_FALSE(joiner.done());
    queue.task_done();
    joiner.join();
  });
}

TEST_CASE("a released joiner returns even if new items arrive before it runs", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue;
    queue.put_nowait(1);
    auto joiner = spawn([&] { queue.join(); });
    this_fiber::yield();
    queue.get_nowait();
    queue.task_done();  // releases the joiner
    queue.put_nowait(2);
    joiner.join();
    CHECK(queue.qsize() == 1);
  });
}

TEST_CASE("task_done called more often than items were put throws std::invalid_argument", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue;
    CHECK_THROWS_WITH(queue.task_done(), "task_done() called too many times");
    CHECK_THROWS_AS(queue.task_done(), std::invalid_argument);
    queue.put_nowait(1);
    queue.get_nowait();
    queue.task_done();
    CHECK_THROWS_WITH(queue.task_done(), "task_done() called too many times");
  });
}

TEST_CASE("workers with task_done and join, as in the asyncio documentation's example", "[compat][queue]") {
  // asyncio docs: put 20 random sleep times, three workers sleep for each item and mark it done,
  // main joins the queue, then cancels the workers.
  test::run_virtual([] {
    Queue<Duration> queue;
    std::mt19937 random(2024);
    std::uniform_int_distribution<int> millis(50, 1000);
    Duration total_sleep{};
    Duration longest{};
    for (int i = 0; i < 20; ++i) {
      const Duration sleep_for = std::chrono::milliseconds(millis(random));
      total_sleep += sleep_for;
      longest = std::max(longest, sleep_for);
      queue.put_nowait(sleep_for);
    }

    Duration slept{};
    int processed = 0;
    std::vector<JoinHandle<void>> workers;
    for (int i = 0; i < 3; ++i) {
      workers.push_back(spawn(
          [&] {
            for (;;) {
              const Duration sleep_for = queue.get();
              this_fiber::sleep_for(sleep_for);
              slept += sleep_for;
              ++processed;
              queue.task_done();
            }
          },
          {.name = "worker-" + std::to_string(i)}));
    }

    const TimePoint started = now();
    queue.join();
    const Duration elapsed = now() - started;
    CHECK(processed == 20);
    CHECK(slept == total_sleep);
    CHECK(elapsed >= longest);
    CHECK(elapsed >= total_sleep / 3);
    CHECK(elapsed < total_sleep);  // three at a time

    for (auto& worker : workers) worker.cancel();
    for (auto& worker : workers) CHECK_THROWS_AS(worker.join(), CancelledError);
    CHECK(queue.empty());
  });
}

TEST_CASE("many producers and consumers on a small queue lose and duplicate nothing", "[compat][queue]") {
  constexpr int producer_count = 8;
  constexpr int items_per_producer = 200;
  constexpr int consumer_count = 5;
  test::run_virtual([] {
    Queue<int> queue(3);
    std::mt19937 random(7);
    auto pause = [&] {
      switch (random() % 3) {
        case 0: break;
        case 1: this_fiber::yield(); break;
        default: this_fiber::sleep_for(std::chrono::milliseconds(random() % 4)); break;
      }
    };
    std::vector<int> received(producer_count * items_per_producer, 0);
    std::vector<JoinHandle<void>> producers;
    for (int p = 0; p < producer_count; ++p) {
      producers.push_back(spawn([&, p] {
        for (int i = 0; i < items_per_producer; ++i) {
          queue.put(p * items_per_producer + i);
          pause();
        }
      }));
    }
    std::vector<JoinHandle<void>> consumers;
    for (int c = 0; c < consumer_count; ++c) {
      consumers.push_back(spawn([&] {
        for (;;) {
          int item;
          try {
            item = queue.get();
          } catch (const QueueShutDown&) {
            return;
          }
          ++received[static_cast<std::size_t>(item)];
          pause();
          queue.task_done();
        }
      }));
    }
    for (auto& producer : producers) producer.join();
    queue.join();
    queue.shutdown();
    for (auto& consumer : consumers) consumer.join();
    CHECK(std::all_of(received.begin(), received.end(), [](int count) { return count == 1; }));
    CHECK(queue.empty());
  });
}

TEST_CASE("get and put do not switch when they need not wait", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue(1);
    bool other_ran = false;
    auto other = spawn([&] { other_ran = true; });
    queue.put(1);
    CHECK(queue.get() == 1);
    CHECK_FALSE(other_ran);
    other.join();
  });
}

TEST_CASE("the nowait calls work from a timer callback", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue;
    Timer timer([&] { queue.put_nowait(5); });
    timer.arm_after(2s);
    const TimePoint start = now();
    CHECK(queue.get() == 5);
    CHECK(test::seconds_since(start) == 2.0);
  });
}

TEST_CASE("a waiter woken by a stray Waker goes back to waiting in the queue", "[compat][queue]") {
  // park.hpp allows anyone holding a fiber's Waker to wake it; the queue must not mistake that for
  // a hand-over.
  test::run_virtual([] {
    SECTION("getter") {
      Queue<int> queue;
      Waker waker;
      auto getter = spawn([&] {
        waker = Waker::current();
        return queue.get();
      });
      this_fiber::yield();
      CHECK(waker.unpark());
      this_fiber::yield();
      CHECK_FALSE(getter.done());
      queue.put_nowait(3);
      CHECK(queue.empty());
      CHECK(getter.join() == 3);
    }
    SECTION("putter") {
      Queue<int> queue(1);
      queue.put_nowait(1);
      Waker waker;
      auto putter = spawn([&] {
        waker = Waker::current();
        queue.put(2);
      });
      this_fiber::yield();
      CHECK(waker.unpark());
      this_fiber::yield();
      CHECK_FALSE(putter.done());
      CHECK(queue.qsize() == 1);
      CHECK(queue.get_nowait() == 1);
      putter.join();
      CHECK(queue.get_nowait() == 2);
    }
    SECTION("joiner") {
      Queue<int> queue;
      queue.put_nowait(1);
      Waker waker;
      auto joiner = spawn([&] {
        waker = Waker::current();
        queue.join();
      });
      this_fiber::yield();
      CHECK(waker.unpark());
      this_fiber::yield();
      CHECK_FALSE(joiner.done());
      queue.get_nowait();
      queue.task_done();
      joiner.join();
    }
  });
}

TEST_CASE("an item the storage cannot take fails only its own put", "[compat][queue]") {
  test::run_virtual([] {
    BasicQueue<int, RefusingStorage> queue(1);
    RefusingStorage::refuse_next_pushes = 1;
    CHECK_THROWS_AS(queue.put_nowait(0), std::bad_alloc);
    CHECK(queue.empty());
    CHECK_THROWS_AS(queue.task_done(), std::invalid_argument);  // the refused item was never counted

    queue.put_nowait(1);
    auto refused = spawn([&] { queue.put(2); });
    auto accepted = spawn([&] { queue.put(3); });
    this_fiber::yield();
    RefusingStorage::refuse_next_pushes = 1;
    CHECK(queue.get_nowait() == 1);  // frees a place: 2 cannot go in, so 3 takes it
    CHECK_THROWS_AS(refused.join(), std::bad_alloc);
    accepted.join();
    CHECK(queue.qsize() == 1);
    CHECK(queue.get_nowait() == 3);
    queue.task_done();
    queue.task_done();
    queue.join();
  });
}
