// Queue, LifoQueue, PriorityQueue: asyncio's queues (3.13) for fibers, with task_done()/join() and
// shutdown().
//
// The three are one implementation, BasicQueue<T, Storage>, parameterised by the storage that
// decides which item leaves next: FifoStorage, LifoStorage, PriorityStorage.
#pragma once

#include <spindle/compat/errors.hpp>
#include <spindle/fibers/wait_list.hpp>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace spindle {

// What BasicQueue needs from its storage: push() an item, take() the one that leaves next (called
// only when size() > 0), size() and clear(). push() either stores the item or throws and leaves the
// storage unchanged; take() and clear() do not throw. The queue calls it from one thread only.
template <class S, class T>
concept QueueStorage = std::default_initializable<S> && requires(S storage, const S& view, T&& item) {
  storage.push(std::move(item));
  { storage.take() } -> std::same_as<T>;
  { view.size() } -> std::same_as<std::size_t>;
  storage.clear();
};

// First in, first out (asyncio.Queue). push() throws std::bad_alloc when it cannot grow.
template <class T>
class FifoStorage {
 public:
  void push(T&& item) { items_.push_back(std::move(item)); }
  T take() noexcept {
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }
  std::size_t size() const noexcept { return items_.size(); }
  void clear() noexcept { items_.clear(); }

 private:
  std::deque<T> items_;
};

// Last in, first out (asyncio.LifoQueue). push() throws std::bad_alloc when it cannot grow.
template <class T>
class LifoStorage {
 public:
  void push(T&& item) { items_.push_back(std::move(item)); }
  T take() noexcept {
    T item = std::move(items_.back());
    items_.pop_back();
    return item;
  }
  std::size_t size() const noexcept { return items_.size(); }
  void clear() noexcept { items_.clear(); }

 private:
  std::vector<T> items_;
};

// Smallest first by `Compare` (asyncio.PriorityQueue, a heapq); items that compare equal leave in the
// order they were put, which heapq does not promise. `Compare` is default-constructed and must not
// throw, nor may T's move assignment. push() throws std::bad_alloc when it cannot grow.
template <class T, class Compare = std::less<T>>
class PriorityStorage {
 public:
  void push(T&& item) {
    entries_.push_back(Entry{std::move(item), next_sequence_});
    std::push_heap(entries_.begin(), entries_.end(), LeavesLater{compare_});
    ++next_sequence_;
  }
  T take() noexcept {
    std::pop_heap(entries_.begin(), entries_.end(), LeavesLater{compare_});
    T item = std::move(entries_.back().item);
    entries_.pop_back();
    return item;
  }
  std::size_t size() const noexcept { return entries_.size(); }
  void clear() noexcept { entries_.clear(); }

 private:
  struct Entry {
    T item;
    std::uint64_t sequence;  // breaks ties: the earlier put leaves first
  };
  // A std heap keeps its greatest element on top, so "greater" here means "leaves sooner".
  struct LeavesLater {
    Compare& compare;
    bool operator()(const Entry& a, const Entry& b) const {
      if (compare(b.item, a.item)) return true;
      if (compare(a.item, b.item)) return false;
      return a.sequence > b.sequence;
    }
  };

  std::vector<Entry> entries_;
  std::uint64_t next_sequence_ = 0;
  [[no_unique_address]] Compare compare_;
};

// A queue of T for fibers with asyncio.Queue's interface, its items ordered by `Storage`.
//
// A queue belongs to one scheduler's thread and is not thread-safe: call it only there (from another
// thread, post() the call). put(), get() and join() may park and must then be called from a fiber
// (they throw FiberError outside one); the other members never block and may also be called from
// timer callbacks and posted work. A call that need not wait neither switches nor notices a pending
// cancellation, as in asyncio. Waiters are served in the order they started waiting. Not copyable
// or movable; destroy it only when no fiber waits on it.
//
// How it is built, and why (cancellation safety is the point):
//
// An item or a free place is never left in the queue for a woken fiber to come back for: whoever
// makes it available hands it over at once, through WaitList::wake_one(). A put that finds a getter
// parked moves its item into that getter's slot; a get that frees a place in a full queue moves the
// longest-waiting putter's item into it at once. This relies on the seam's guarantee (park.hpp):
// wake_one() returns only a waiter it really woke, skipping one that already resumed for another
// reason such as cancellation, and the waiter it woke has its wait() return WakeStatus::woken even
// if it is cancelled before it runs (the cancellation then arrives at its next blocking point). So:
//  - a getter cancelled while parked is skipped, was handed nothing, and throws CancelledError; the
//    item goes to the next getter, or into the queue;
//  - a getter handed an item returns it even if cancelled in between: nothing is lost;
//  - a putter cancelled while parked is skipped and throws CancelledError: its item never entered
//    the queue, and the free place goes to the next putter;
//  - a putter whose item was taken in returns normally, even if cancelled in between: whenever put()
//    returns the item is in the queue, and whenever it throws the item is not.
// No wake-up can be stranded, because there is none to pass on. asyncio instead wakes a waiter and
// lets it retry, which needs "I was woken and then cancelled: wake the next one" repairs in every
// error path, and lets a task arriving in between take the item from the one that waited.
//
// Two invariants follow and keep the paths short: a getter is parked only while the storage is
// empty, a putter only while it is full. An item never waits in storage while a getter waits, and
// a new put never passes a parked putter.
//
// Each wait loops only when the fiber finds its slot untouched: it was woken by someone else holding
// its Waker (park.hpp allows that). It then looks at the queue again, as sleep does.
template <class T, QueueStorage<T> Storage>
class BasicQueue {
  static_assert(std::is_nothrow_move_constructible_v<T>,
                "spindle::BasicQueue: T's move constructor must not throw (items are handed to waiting fibers "
                "inside noexcept code); hold such items by std::unique_ptr");

 public:
  // A queue of at most `maxsize` items, or unbounded when `maxsize` is 0. Throws
  // std::invalid_argument for a negative maxsize (asyncio takes it as unbounded).
  explicit BasicQueue(std::ptrdiff_t maxsize = 0) : maxsize_(checked_maxsize(maxsize)) {}
  BasicQueue(const BasicQueue&) = delete;
  BasicQueue& operator=(const BasicQueue&) = delete;

  // Adds `item`, parking the calling fiber while the queue is full; waiting putters go in turn.
  // Throws QueueShutDown if the queue is or gets shut down before the item is in (the item is then
  // dropped), CancelledError if the fiber is cancelled while parked (the item did not go in), what
  // the storage throws (std::bad_alloc: the item did not go in), FiberError outside a fiber when it
  // would have to wait.
  void put(T item) {
    for (;;) {
      if (shut_down_) throw QueueShutDown();
      if (!full()) {
        enqueue(std::move(item));
        return;
      }
      PutterSlot slot{&item};
      WaitList::Node node(&slot);
      putters_.wait(node, "queue put");
      if (slot.failure) std::rethrow_exception(slot.failure);
      if (slot.admitted) return;
    }
  }

  // Adds `item` without waiting; never blocks. Throws QueueShutDown after shutdown(), QueueFull if
  // the queue is full, what the storage throws; in each case the item did not go in.
  void put_nowait(T item) {
    if (shut_down_) throw QueueShutDown();
    if (full()) throw QueueFull();
    enqueue(std::move(item));
  }

  // Removes and returns the next item, parking the calling fiber while the queue is empty; waiting
  // getters go in turn. Throws QueueShutDown once the queue is shut down and empty (at once after
  // shutdown(true)), CancelledError if the fiber is cancelled while parked (no item was taken),
  // FiberError outside a fiber when it would have to wait.
  T get() {
    for (;;) {
      if (storage_.size() > 0) return take_next();
      if (shut_down_) throw QueueShutDown();
      GetterSlot slot;
      WaitList::Node node(&slot);
      getters_.wait(node, "queue get");
      if (slot.item) return std::move(*slot.item);
    }
  }

  // Removes and returns the next item without waiting; never blocks. Throws QueueShutDown if the
  // queue is empty and shut down, QueueEmpty if it is empty.
  T get_nowait() {
    if (storage_.size() == 0) {
      if (shut_down_) throw QueueShutDown();
      throw QueueEmpty();
    }
    return take_next();
  }

  // Marks one item taken with get() as processed; join() returns once every item put has been.
  // Never blocks. Throws std::invalid_argument if more items are marked than were put.
  void task_done() {
    if (unfinished_ == 0) throw std::invalid_argument("task_done() called too many times");
    if (--unfinished_ == 0) release_joiners();
  }

  // Parks the calling fiber until every item put so far has been marked with task_done() (or dropped
  // by shutdown(true)); returns at once if none is unfinished. Once released it returns even if new
  // items arrived meanwhile. Throws CancelledError if the fiber is cancelled while parked, FiberError
  // outside a fiber when it would have to wait.
  void join() {
    while (unfinished_ > 0) {
      bool released = false;
      WaitList::Node node(&released);
      joiners_.wait(node, "queue join");
      if (released) return;
    }
  }

  // Shuts the queue down: from now on put() and put_nowait() throw QueueShutDown, and so do get()
  // and get_nowait() once the queue is empty. Parked putters wake with QueueShutDown (their items do
  // not go in); parked getters, which only exist while the queue is empty, wake with QueueShutDown.
  // A getter already handed an item, or a putter whose item is already in, returns normally. With
  // `immediate`, the items still queued are dropped at once and count as done for join(), which may
  // release joiners. Calling it again is allowed (immediate then drops what is left). Never blocks.
  void shutdown(bool immediate = false) {
    const std::exception_ptr shut_down = std::make_exception_ptr(QueueShutDown());
    shut_down_ = true;
    if (immediate) {
      unfinished_ -= std::min(unfinished_, storage_.size());
      storage_.clear();
      if (unfinished_ == 0) release_joiners();
    }
    getters_.wake_all_with_error(shut_down);
    putters_.wake_all_with_error(shut_down);
  }

  // The number of items in the queue. Items already handed to a woken getter are no longer in it.
  std::size_t qsize() const noexcept { return storage_.size(); }
  bool empty() const noexcept { return storage_.size() == 0; }
  // True if put_nowait() would throw QueueFull; never for an unbounded queue.
  bool full() const noexcept { return maxsize_ > 0 && storage_.size() >= maxsize_; }
  // The bound given to the constructor; 0 for unbounded.
  std::size_t maxsize() const noexcept { return maxsize_; }

 private:
  struct GetterSlot {
    std::optional<T> item;  // filled by the put that wakes the getter
  };
  struct PutterSlot {
    T* item;                               // the parked put()'s argument, moved from when taken in
    bool admitted = false;                 // the item is in the queue
    std::exception_ptr failure = nullptr;  // the storage could not take the item in
  };

  static std::size_t checked_maxsize(std::ptrdiff_t maxsize) {
    if (maxsize < 0) throw std::invalid_argument("queue maxsize must not be negative (0 means unbounded)");
    return static_cast<std::size_t>(maxsize);
  }

  // `item` goes in: straight to the longest-waiting getter if there is one, else into the storage.
  void enqueue(T&& item) {
    if (WaitList::Node* getter = getters_.wake_one()) {
      static_cast<GetterSlot*>(getter->payload())->item.emplace(std::move(item));
    } else {
      storage_.push(std::move(item));
    }
    ++unfinished_;
  }

  // Takes the next item out; the place it frees goes at once to the longest-waiting putter.
  T take_next() noexcept {
    T item = storage_.take();
    admit_waiting_putter();
    return item;
  }

  // If the storage cannot take a woken putter's item, that putter's put() throws the error and the
  // place goes to the next putter.
  void admit_waiting_putter() noexcept {
    while (WaitList::Node* putter = putters_.wake_one()) {
      auto& slot = *static_cast<PutterSlot*>(putter->payload());
      try {
        storage_.push(std::move(*slot.item));
        ++unfinished_;
        slot.admitted = true;
        return;
      } catch (...) {
        slot.failure = std::current_exception();
      }
    }
  }

  void release_joiners() noexcept {
    while (WaitList::Node* joiner = joiners_.wake_one()) *static_cast<bool*>(joiner->payload()) = true;
  }

  Storage storage_;
  std::size_t maxsize_;
  std::size_t unfinished_ = 0;  // items put and not yet marked with task_done()
  bool shut_down_ = false;
  WaitList getters_;
  WaitList putters_;
  WaitList joiners_;
};

// asyncio.Queue: first in, first out.
template <class T>
using Queue = BasicQueue<T, FifoStorage<T>>;

// asyncio.LifoQueue: last in, first out.
template <class T>
using LifoQueue = BasicQueue<T, LifoStorage<T>>;

// asyncio.PriorityQueue: smallest first by `Compare`; equal items in the order they were put.
template <class T, class Compare = std::less<T>>
using PriorityQueue = BasicQueue<T, PriorityStorage<T, Compare>>;

}  // namespace spindle
