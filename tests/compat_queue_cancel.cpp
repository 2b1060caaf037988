// Queue under cancellation: a getter or putter cancelled at any moment never loses or duplicates an
// item and never strands a wake-up.
#include "leak_check.hpp"

#include <spindle/compat/queue.hpp>

#include <algorithm>
#include <deque>
#include <random>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// How `fiber` ended: "returned", "cancelled" or "failed".
std::string ending_of(JoinHandle<void>& fiber) {
  try {
    fiber.join();
    return "returned";
  } catch (const CancelledError&) {
    return "cancelled";
  } catch (...) {
    return "failed";
  }
}

}  // namespace

TEST_CASE("a getter cancelled while parked gets nothing; the item goes to the next getter", "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue;
    int second_got = 0;
    auto first = spawn([&] { queue.get(); });
    auto second = spawn([&] { second_got = queue.get(); });
    this_fiber::yield();
    CHECK(first.cancel());
    queue.put_nowait(1);  // the first getter is cancelled and has not run yet: it is skipped
    CHECK(queue.empty());
    CHECK(ending_of(first) == "cancelled");
    CHECK(ending_of(second) == "returned");
    CHECK(second_got == 1);
  });
}

TEST_CASE("a getter handed an item and cancelled before it runs returns the item; the cancellation hits its "
          "next wait",
          "[compat][queue]") {
  const std::string handed_by = GENERATE("put_nowait", "put", "another fiber's put");
  const std::string next_wait = GENERATE("get on an empty queue", "sleep");
  CAPTURE(handed_by, next_wait);
  test::run_virtual([&] {
    Queue<int> queue;
    int received = 0;
    std::string late;
    auto getter = spawn([&] {
      received = queue.get();
      try {
        if (next_wait == "sleep") {
          this_fiber::sleep_for(1s);
        } else {
          queue.get();
        }
      } catch (const CancelledError& error) {
        late = error.message();
      }
      queue.put(received);  // a delivered cancellation is gone: the queue works normally again
    });
    this_fiber::yield();  // the getter parks
    // Hands the item over and cancels the getter before it can run.
    auto hand_over_and_cancel = [&] {
      if (handed_by == "put_nowait") {
        queue.put_nowait(1);
      } else {
        queue.put(1);
      }
      CHECK(queue.empty());
      CHECK(getter.cancel("late cancel"));
    };
    if (handed_by == "another fiber's put") {
      spawn(hand_over_and_cancel).join();
    } else {
      hand_over_and_cancel();
    }
    CHECK(ending_of(getter) == "returned");
    CHECK(received == 1);
    CHECK(late == "late cancel");
    CHECK(queue.get_nowait() == 1);
    CHECK(queue.empty());
  });
}

TEST_CASE("a get that need not wait does not notice a pending cancellation; the next wait does",
          "[compat][queue]") {
  // As in asyncio: only a get that parks is a cancellation point.
  test::run_virtual([] {
    Queue<int> queue;
    std::vector<int> received;
    bool slept = false;
    auto getter = spawn([&] {
      received.push_back(queue.get());
      received.push_back(queue.get());
      this_fiber::sleep_for(1s);
      slept = true;
    });
    this_fiber::yield();
    queue.put_nowait(1);  // handed to the getter
    queue.put_nowait(2);  // queued
    CHECK(getter.cancel());
    CHECK(ending_of(getter) == "cancelled");
    CHECK(received == std::vector<int>{1, 2});
    CHECK_FALSE(slept);
  });
}

TEST_CASE("a putter cancelled while parked leaves its item out; the free place goes to the next putter",
          "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue(1);
    queue.put_nowait(0);
    auto first = spawn([&] { queue.put(1); });
    auto second = spawn([&] { queue.put(2); });
    this_fiber::yield();
    CHECK(first.cancel());
    CHECK(queue.get_nowait() == 0);  // frees a place; the cancelled putter is skipped
    CHECK(queue.qsize() == 1);
    CHECK(ending_of(first) == "cancelled");
    CHECK(ending_of(second) == "returned");
    CHECK(queue.get_nowait() == 2);
    CHECK(queue.empty());
    queue.task_done();
    queue.task_done();
    queue.join();  // the cancelled put was never counted
  });
}

TEST_CASE("a putter whose item went in and that is cancelled before it runs returns normally; the "
          "cancellation hits its next wait",
          "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue(1);
    queue.put_nowait(0);
    std::string late;
    auto putter = spawn([&] {
      queue.put(1);
      try {
        queue.put(2);  // the queue is full again: this put parks, so it throws
      } catch (const CancelledError& error) {
        late = error.message();
      }
    });
    this_fiber::yield();
    CHECK(queue.get_nowait() == 0);  // takes 1 in
    CHECK(putter.cancel("late cancel"));
    CHECK(ending_of(putter) == "returned");
    CHECK(late == "late cancel");
    CHECK(queue.get_nowait() == 1);
    CHECK(queue.empty());  // 2 never went in
  });
}

TEST_CASE("a joiner cancelled while parked throws CancelledError; the other joiners are still released",
          "[compat][queue]") {
  test::run_virtual([] {
    Queue<int> queue;
    queue.put_nowait(1);
    auto cancelled = spawn([&] { queue.join(); });
    auto released = spawn([&] { queue.join(); });
    this_fiber::yield();
    CHECK(cancelled.cancel());
    queue.get_nowait();
    queue.task_done();
    CHECK(ending_of(cancelled) == "cancelled");
    CHECK(ending_of(released) == "returned");
  });
}

namespace {

// Producers put numbered items into a Queue(4), consumers get them, and a driver cancels producers
// and consumers at random, wherever they are, and spawns replacements. The driver also puts and gets
// without waiting and cancels right afterwards, so that cancellations land between a fiber being
// handed an item (or having its item taken in) and that fiber running.
class CancellationStorm {
 public:
  explicit CancellationStorm(unsigned seed) : random_(seed) {}

  void run(int steps) {
    for (int i = 0; i < 3; ++i) {
      spawn_producer();
      spawn_consumer();
    }
    for (int step = 0; step < steps; ++step) {
      switch (random_() % 6) {
        case 0:
          cancel_one(consumers_);
          spawn_consumer();
          break;
        case 1:
          cancel_one(producers_);
          spawn_producer();
          break;
        case 2:
          if (!queue_.full()) {
            const int item = new_item();
            queue_.put_nowait(item);  // often straight into a parked consumer's hands
            put_outcome_[item] = PutOutcome::returned;
          }
          cancel_one(consumers_);
          spawn_consumer();
          break;
        case 3:
          if (!queue_.empty()) receive(queue_.get_nowait());  // often takes a parked producer's item in
          cancel_one(producers_);
          spawn_producer();
          break;
        case 4:
          this_fiber::yield();
          break;
        default:
          this_fiber::sleep_for(std::chrono::milliseconds(random_() % 3));
          break;
      }
    }
    finish();
  }

  // Checks that every item whose put() returned was received exactly once, and that no item whose
  // put() was cancelled was received.
  void check() const {
    std::vector<std::string> wrong;
    for (std::size_t item = 0; item < put_outcome_.size(); ++item) {
      const int expected = put_outcome_[item] == PutOutcome::returned ? 1 : 0;
      if (put_outcome_[item] == PutOutcome::pending || received_[item] != expected) {
        wrong.push_back("item " + std::to_string(item) + ": put " + name(put_outcome_[item]) + ", received " +
                        std::to_string(received_[item]) + " times");
      }
    }
    INFO(wrong.size() << " of " << put_outcome_.size() << " items wrong; the first ones:");
    wrong.resize(std::min<std::size_t>(wrong.size(), 5));
    CHECK(wrong == std::vector<std::string>{});
    CHECK(ended_badly_ == 0);
    CHECK(join_returned_);
  }

  int late_consumer_cancels() const { return late_consumer_cancels_; }
  int late_producer_cancels() const { return late_producer_cancels_; }

 private:
  enum class PutOutcome { pending, returned, cancelled };
  static std::string name(PutOutcome outcome) {
    switch (outcome) {
      case PutOutcome::pending: return "pending";
      case PutOutcome::returned: return "returned";
      case PutOutcome::cancelled: return "cancelled";
    }
    return "?";
  }

  struct Worker {
    JoinHandle<void> fiber;
    bool cancel_requested = false;
  };

  int new_item() {
    put_outcome_.push_back(PutOutcome::pending);
    received_.push_back(0);
    return static_cast<int>(put_outcome_.size() - 1);
  }

  void receive(int item) {
    ++received_[static_cast<std::size_t>(item)];
    queue_.task_done();
  }

  void pause() {
    switch (random_() % 3) {
      case 0: break;
      case 1: this_fiber::yield(); break;
      default: this_fiber::sleep_for(std::chrono::milliseconds(random_() % 3)); break;
    }
  }

  void spawn_producer() {
    Worker& worker = producers_.emplace_back();
    worker.fiber = spawn(
        [this, &worker] {
          for (;;) {
            const int item = new_item();
            try {
              queue_.put(item);
            } catch (const CancelledError&) {
              put_outcome_[static_cast<std::size_t>(item)] = PutOutcome::cancelled;
              throw;
            }
            put_outcome_[static_cast<std::size_t>(item)] = PutOutcome::returned;
            // Cancelled while parked, yet put() returned: its item had been taken in already.
            if (worker.cancel_requested) ++late_producer_cancels_;
            pause();
          }
        },
        {.name = "producer"});
  }

  void spawn_consumer() {
    Worker& worker = consumers_.emplace_back();
    worker.fiber = spawn(
        [this, &worker] {
          for (;;) {
            int item;
            try {
              item = queue_.get();
            } catch (const QueueShutDown&) {
              return;
            }
            // Cancelled while parked, yet get() returned: it had been handed the item already.
            if (worker.cancel_requested) ++late_consumer_cancels_;
            receive(item);
            pause();
          }
        },
        {.name = "consumer"});
  }

  // Cancels a random worker that is alive and not cancelled yet, wherever it is.
  void cancel_one(std::deque<Worker>& workers) {
    std::vector<Worker*> candidates;
    for (Worker& worker : workers) {
      if (!worker.cancel_requested && !worker.fiber.done()) candidates.push_back(&worker);
    }
    if (candidates.empty()) return;
    Worker& victim = *candidates[random_() % candidates.size()];
    victim.cancel_requested = true;
    REQUIRE(victim.fiber.cancel("random cancel"));
  }

  // Stops the producers, lets the consumers drain the queue, takes what no consumer took, and sees
  // whether join() returns, as it must once every item put was marked done.
  void finish() {
    for (Worker& producer : producers_) {
      producer.cancel_requested = true;
      producer.fiber.cancel("end of the run");
    }
    for (Worker& producer : producers_) await_end(producer);
    queue_.shutdown();
    for (Worker& consumer : consumers_) await_end(consumer);
    for (;;) {
      try {
        receive(queue_.get_nowait());
      } catch (const QueueShutDown&) {
        break;
      }
    }
    // join() must return at once now; with an item lost it would wait for good.
    auto joiner = spawn([this] { queue_.join(); });
    this_fiber::yield();
    join_returned_ = joiner.done();
    joiner.cancel();
    joiner.wait();
  }

  void await_end(Worker& worker) {
    try {
      worker.fiber.join();
    } catch (const CancelledError&) {
    } catch (...) {
      ++ended_badly_;
    }
  }

  std::mt19937 random_;
  Queue<int> queue_{4};
  std::vector<PutOutcome> put_outcome_;  // by item number
  std::vector<int> received_;            // by item number: how many times it was taken out
  std::deque<Worker> producers_;         // a deque: workers refer to their own entry
  std::deque<Worker> consumers_;
  int late_consumer_cancels_ = 0;
  int late_producer_cancels_ = 0;
  int ended_badly_ = 0;
  bool join_returned_ = false;
};

}  // namespace

TEST_CASE("randomised cancellation of producers and consumers loses and duplicates no item", "[compat][queue]") {
  int late_consumer_cancels = 0;
  int late_producer_cancels = 0;
  for (unsigned seed = 1; seed <= 40; ++seed) {
    CAPTURE(seed);
    test::run_virtual([&] {
      CancellationStorm storm(seed);
      storm.run(400);
      storm.check();
      late_consumer_cancels += storm.late_consumer_cancels();
      late_producer_cancels += storm.late_producer_cancels();
    });
  }
  // The runs did reach the delicate moment: cancelled after being handed an item, before running.
  CHECK(late_consumer_cancels > 0);
  CHECK(late_producer_cancels > 0);
}
