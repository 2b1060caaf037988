// The thread pool: one mutex-protected FIFO, threads started on demand.
//
// The state lives in a shared ThreadPoolCore that every pool thread also holds, so a thread left
// running after a bounded shutdown (a job that never returns) still finds valid state when it
// finally finishes. Shutdown waits through a ConcurrentFuture that the last exiting thread
// completes: a fiber calling shutdown parks instead of blocking its loop in join().
#include <spindle/compat/thread_pool.hpp>

#include <spindle/fibers/detail/spin_wait.hpp>
#include <spindle/fibers/diagnostics.hpp>
#include <spindle/fibers/errors.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

#include <pthread.h>
#include <sched.h>

namespace spindle {

std::size_t available_cpus() noexcept {
  cpu_set_t set;
  if (::sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

std::size_t default_thread_workers() noexcept { return std::min<std::size_t>(32, available_cpus() + 4); }

namespace detail {

class ThreadPoolCore : public std::enable_shared_from_this<ThreadPoolCore> {
 public:
  explicit ThreadPoolCore(std::size_t max_workers) : max_workers(max_workers) {}

  void enqueue(std::unique_ptr<ThreadJob> job) {
    std::unique_lock lock(mutex_);
    if (shutting_down_) throw InvalidStateError("ThreadPoolExecutor.submit: cannot schedule new jobs after shutdown");
    queue_.push_back(std::move(job));
    if (queue_.size() <= spinning_) {
      // A thread spinning for work takes it without a wake-up. It hears of the job only after the
      // unlock, so it does not run into the held mutex and sleep on it.
      lock.unlock();
      queued_.fetch_add(1, std::memory_order_release);
      return;
    }
    queued_.fetch_add(1, std::memory_order_relaxed);
    if (idle_ > signalled_) {
      // Only a thread not already woken for an earlier job: a burst of submits would otherwise
      // signal the same sleeping thread once per job (a futex wake each, most of the cost).
      ++signalled_;
      lock.unlock();
      work_ready_.notify_one();
    } else if (threads_.size() < max_workers) {
      ++alive_;
      threads_.emplace_back([core = shared_from_this(), number = threads_.size()] { core->work(number); });
    }
  }

  // Returns the jobs dropped (to cancel outside the lock) and the threads to join.
  std::vector<std::thread> begin_shutdown(bool cancel_futures, std::deque<std::unique_ptr<ThreadJob>>& dropped) {
    bool none_alive;
    std::vector<std::thread> threads;
    {
      std::lock_guard lock(mutex_);
      shutting_down_ = true;
      if (cancel_futures) {
        dropped.swap(queue_);
        queued_.fetch_sub(static_cast<long>(dropped.size()), std::memory_order_relaxed);
      }
      threads.swap(threads_);
      none_alive = alive_ == 0;
    }
    work_ready_.notify_all();
    if (none_alive) all_exited_.try_set_result();
    return threads;
  }

  // Threads still running a job (for shutdown's timeout message).
  std::size_t busy() const {
    std::lock_guard lock(mutex_);
    return alive_ - idle_;
  }
  std::size_t started() const {
    std::lock_guard lock(mutex_);
    return started_;
  }

  const ConcurrentFuture<void>& all_exited() const noexcept { return all_exited_; }
  const std::size_t max_workers;

 private:
  void work(std::size_t number) {
    char name[16];
    std::snprintf(name, sizeof name, "spindle-pool-%zu", number);
    ::pthread_setname_np(::pthread_self(), name);
    {
      std::lock_guard lock(mutex_);
      ++started_;
    }
    bool may_spin = false;  // only after a job: a thread that has never had one sleeps at once
    for (;;) {
      std::unique_ptr<ThreadJob> job;
      {
        std::unique_lock lock(mutex_);
        // The fiber that got the last result often submits the next job within microseconds:
        // one thread spins for it rather than sleeping and needing a futex wake. One at most:
        // more would only burn the cores the jobs need.
        if (may_spin && queue_.empty() && !shutting_down_) spin_for_next_job(lock, spinning_, queued_);
        if (queue_.empty() && !shutting_down_) {
          ++idle_;
          work_ready_.wait(lock, [this] { return !queue_.empty() || shutting_down_; });
          --idle_;
          if (signalled_ > 0) --signalled_;
        }
        if (queue_.empty()) break;  // shutting down and nothing left to run
        job = std::move(queue_.front());
        queue_.pop_front();
        queued_.fetch_sub(1, std::memory_order_relaxed);
      }
      job->run();
      may_spin = true;
    }
    bool last;
    {
      std::lock_guard lock(mutex_);
      last = --alive_ == 0;
    }
    if (last) all_exited_.try_set_result();
  }

  mutable std::mutex mutex_;
  std::condition_variable work_ready_;
  std::deque<std::unique_ptr<ThreadJob>> queue_;
  // Jobs queued, readable without the lock by a spinning thread. Counted up and down (it may dip
  // below zero for a moment: a job can be taken before its submitter counts it).
  std::atomic<long> queued_{0};
  std::vector<std::thread> threads_;
  std::size_t alive_ = 0;  // threads started and not yet exited
  std::size_t idle_ = 0;   // threads waiting for a job
  std::size_t signalled_ = 0;  // of those, how many were notified and have not woken yet
  std::size_t spinning_ = 0;   // threads spinning for a job (at most one), counted as takers
  std::size_t started_ = 0;
  bool shutting_down_ = false;
  ConcurrentFuture<void> all_exited_;
};

}  // namespace detail

ThreadPoolExecutor::ThreadPoolExecutor(std::optional<std::size_t> max_workers) {
  std::size_t count = max_workers.value_or(default_thread_workers());
  if (count == 0) throw std::invalid_argument("ThreadPoolExecutor: max_workers must be at least 1");
  core_ = std::make_shared<detail::ThreadPoolCore>(count);
}

ThreadPoolExecutor::~ThreadPoolExecutor() {
  if (shut_down_) return;
  try {
    shutdown(true);
  } catch (const std::exception& error) {
    detail::emit_diagnostic(std::string("spindle: ~ThreadPoolExecutor: ") + error.what());
  } catch (const CancelledError&) {
    // The destroying fiber was cancelled while waiting; the threads finish detached.
  }
}

void ThreadPoolExecutor::enqueue(std::unique_ptr<detail::ThreadJob> job) { core_->enqueue(std::move(job)); }

void ThreadPoolExecutor::shutdown(bool wait, bool cancel_futures, Duration limit) {
  shut_down_ = true;
  std::deque<std::unique_ptr<detail::ThreadJob>> dropped;
  std::vector<std::thread> threads = core_->begin_shutdown(cancel_futures, dropped);
  for (auto& job : dropped) job->cancel("ThreadPoolExecutor.shutdown(cancel_futures) dropped the job before it started");
  if (!wait) {
    for (auto& thread : threads) thread.detach();  // each holds the core; it exits once the queue is empty
    return;
  }
  try {
    core_->all_exited().result(limit);
  } catch (...) {
    std::size_t busy = core_->busy();
    for (auto& thread : threads) thread.detach();
    if (busy == 0) throw;
    char text[200];
    std::snprintf(text, sizeof text,
                  "ThreadPoolExecutor.shutdown: waited %.3g s for %zu thread(s) still running a job; left them "
                  "running detached (a thread job cannot be stopped)",
                  std::chrono::duration<double>(limit).count(), busy);
    throw TimeoutError(text);
  }
  for (auto& thread : threads) thread.join();
}

std::size_t ThreadPoolExecutor::max_workers() const noexcept { return core_->max_workers; }

std::size_t ThreadPoolExecutor::threads() const { return core_->started(); }

}  // namespace spindle
