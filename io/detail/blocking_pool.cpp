#include <spindle/io/detail/blocking_pool.hpp>

#include <spindle/fibers/detail/spin_wait.hpp>

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace spindle::detail {
namespace {

class BlockingPool {
 public:
  static constexpr std::size_t max_threads = 4;

  ~BlockingPool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    work_ready_.notify_all();
    for (std::thread& thread : threads_) thread.join();
  }

  void submit(UniqueFunction job) {
    std::unique_lock lock(mutex_);
    queue_.push_back(std::move(job));
    if (queue_.size() <= spinning_) {
      lock.unlock();  // the spinning thread takes it; told after the unlock, so it never sleeps on the mutex
      queued_.fetch_add(1, std::memory_order_release);
      return;
    }
    queued_.fetch_add(1, std::memory_order_relaxed);
    if (idle_ == 0 && threads_.size() < max_threads) {
      start_thread();
    } else {
      lock.unlock();
      work_ready_.notify_one();
    }
  }

  void wait_idle() {
    std::unique_lock lock(mutex_);
    all_idle_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
  }

 private:
  // Called with the mutex held. The new thread inherits a mask with every signal blocked.
  void start_thread() {
    sigset_t all, previous;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &previous);
    threads_.emplace_back([this] { serve(); });
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  }

  void serve() {
    std::unique_lock lock(mutex_);
    bool may_spin = false;
    for (;;) {
      // A fiber reading a file often asks for the next read as soon as this one is back.
      if (may_spin && queue_.empty() && !stopping_) spin_for_next_job(lock, spinning_, queued_);
      if (queue_.empty() && !stopping_) {
        ++idle_;
        work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        --idle_;
      }
      if (queue_.empty()) return;  // stopping
      UniqueFunction job = std::move(queue_.front());
      queue_.pop_front();
      queued_.fetch_sub(1, std::memory_order_relaxed);
      may_spin = true;
      ++running_;
      lock.unlock();
      job();
      job = {};  // the job's state is released outside the lock
      lock.lock();
      if (--running_ == 0 && queue_.empty()) all_idle_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable all_idle_;
  std::deque<UniqueFunction> queue_;
  std::vector<std::thread> threads_;
  std::atomic<long> queued_{0};  // queue_.size(), for the spinning thread (may dip below 0 briefly)
  std::size_t idle_ = 0;
  std::size_t spinning_ = 0;  // at most one
  std::size_t running_ = 0;
  bool stopping_ = false;
};

BlockingPool& pool() {
  static BlockingPool instance;
  return instance;
}

}  // namespace

void submit_blocking(UniqueFunction job) { pool().submit(std::move(job)); }

void wait_for_blocking_pool_idle() { pool().wait_idle(); }

}  // namespace spindle::detail
