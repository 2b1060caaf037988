// The process pool's manager thread.
//
// One thread per pool owns every worker: the submitting threads only queue a job and ring an
// eventfd. The manager polls that eventfd and every worker's socket; it hands the next job to each
// idle worker, reads replies into per-worker buffers, and treats end of file on a socket as the
// worker's death. Having one owner means a worker's state (idle, running job J, being killed) is
// never shared, and crashes, cancellations and shutdown deadlines are noticed whether or not anyone
// is waiting on a future, and whichever loop or thread submitted. A job's request is encoded by the
// submitter, so the manager only moves bytes; replies are decoded on the manager thread, which then
// completes the ConcurrentFuture (that posts the wake-up to a waiting fiber's own loop).
//
// Cancellation: cancelling a future runs its hook, which only rings the eventfd; the manager then
// sees the running job is done and SIGKILLs its worker. A worker's death (for any reason) is
// followed by reap_worker, which gives the wait status for the BrokenProcessPool message, and by a
// replacement worker unless the pool is shutting down.
#include <spindle/compat/process_pool.hpp>

#include <spindle/compat/detail/zygote.hpp>
#include <spindle/compat/errors.hpp>
#include <spindle/fibers/diagnostics.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace spindle {

void start_process_zygote() { detail::ensure_zygote(); }

namespace detail {
namespace {

std::string describe_death(pid_t pid, int status) {
  char text[128];
  if (WIFSIGNALED(status)) {
    const char* name = ::sigabbrev_np(WTERMSIG(status));
    std::snprintf(text, sizeof text, "worker %d was killed by SIG%s", static_cast<int>(pid), name != nullptr ? name : "?");
  } else if (WIFEXITED(status)) {
    std::snprintf(text, sizeof text, "worker %d exited with status %d", static_cast<int>(pid), WEXITSTATUS(status));
  } else {
    std::snprintf(text, sizeof text, "worker %d ended", static_cast<int>(pid));
  }
  return text;
}

struct Worker {
  WorkerProcess process;
  std::unique_ptr<ProcessJob> job;  // the job it runs, if any
  std::size_t written = 0;          // bytes of job->request sent so far
  std::string input;                // reply bytes received so far
  const char* kill_reason = nullptr;  // why the manager killed it, if it did
};

}  // namespace

class ProcessPoolCore : public std::enable_shared_from_this<ProcessPoolCore> {
 public:
  explicit ProcessPoolCore(std::size_t max_workers) : max_workers(max_workers) {
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd for a ProcessPoolExecutor");
  }
  ~ProcessPoolCore() {
    if (manager_.joinable()) manager_.detach();  // only if the pool was never joined (it always is)
    ::close(wake_fd_);
  }

  void start() {
    manager_ = std::thread([self = shared_from_this()] { self->manage(); });
  }

  void wake() const noexcept {
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
  }

  std::function<void()> wake_hook() {
    return [weak = weak_from_this()] {
      if (auto core = weak.lock()) core->wake();
    };
  }

  void enqueue(std::unique_ptr<ProcessJob> job) {
    {
      std::lock_guard lock(mutex_);
      if (shutting_down_) throw InvalidStateError("ProcessPoolExecutor.submit: cannot schedule new jobs after shutdown");
      queue_.push_back(std::move(job));
    }
    wake();
  }

  void begin_shutdown(bool cancel_futures, Duration limit) {
    std::deque<std::unique_ptr<ProcessJob>> dropped;
    {
      std::lock_guard lock(mutex_);
      if (!shutting_down_) {
        shutting_down_ = true;
        limit_ = limit;
        deadline_ = Clock::now() + limit;
      }
      if (cancel_futures) dropped.swap(queue_);
    }
    for (auto& job : dropped) job->cancel("ProcessPoolExecutor.shutdown(cancel_futures) dropped the job before it started");
    wake();
  }

  // Waits (parks a fiber, blocks a thread) until the manager has stopped and reaped every worker.
  void wait_stopped() {
    stopped_.result();
    join_manager();
  }
  // Blocks the thread until the manager thread has ended.
  void join_manager() {
    if (manager_.joinable()) manager_.join();
  }

  std::vector<pid_t> worker_pids() const {
    std::lock_guard lock(mutex_);
    return pids_;
  }

  const std::size_t max_workers;

 private:
  void manage() {
    try {
      run();
    } catch (const std::exception& error) {
      fail_everything(std::string("ProcessPoolExecutor: the manager thread failed: ") + error.what());
    }
    stop_all_workers();
    stopped_.try_set_result();
  }

  void run() {
    std::vector<pollfd> polled;
    for (;;) {
      bool shutting_down;
      bool drained;
      TimePoint deadline;
      {
        std::lock_guard lock(mutex_);
        shutting_down = shutting_down_;
        deadline = deadline_;
        assign_jobs_locked();
        drained = queue_.empty();
      }
      kill_cancelled();
      bool busy = false;
      for (const Worker& worker : workers_) busy = busy || worker.job != nullptr;
      if (shutting_down && drained && !busy) return;
      if (shutting_down && Clock::now() >= deadline) {
        give_up_at_deadline();
        return;
      }

      polled.assign(1, pollfd{wake_fd_, POLLIN, 0});
      for (const Worker& worker : workers_) {
        short events = POLLIN;
        if (worker.job && worker.written < worker.job->request.size()) events |= POLLOUT;
        polled.push_back(pollfd{worker.process.socket, events, 0});
      }
      int timeout = -1;
      if (shutting_down) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
        timeout = static_cast<int>(std::max<long long>(0, left));
      }
      if (::poll(polled.data(), polled.size(), timeout) < 0 && errno != EINTR) {
        throw std::system_error(errno, std::generic_category(), "poll in the ProcessPoolExecutor manager");
      }
      if (polled[0].revents != 0) {
        std::uint64_t count;
        [[maybe_unused]] ssize_t ignored = ::read(wake_fd_, &count, sizeof count);
      }
      // Backwards: a dead worker is erased from the vector.
      for (std::size_t i = workers_.size(); i-- > 0;) {
        short revents = polled[i + 1].revents;
        if (revents & POLLOUT) send_more(workers_[i]);
        if (revents & (POLLIN | POLLHUP | POLLERR)) {
          if (!receive(workers_[i])) bury(i);
        }
      }
    }
  }

  // Under the lock: gives queued jobs to idle workers, starting workers up to max_workers.
  void assign_jobs_locked() {
    while (!queue_.empty()) {
      if (queue_.front()->done()) {  // cancelled while queued
        queue_.pop_front();
        continue;
      }
      Worker* idle = nullptr;
      for (Worker& worker : workers_) {
        if (!worker.job) {
          idle = &worker;
          break;
        }
      }
      if (idle == nullptr) {
        if (workers_.size() >= max_workers) return;
        idle = &start_worker_locked();
      }
      idle->job = std::move(queue_.front());
      queue_.pop_front();
      idle->written = 0;
      send_more(*idle);
    }
  }

  Worker& start_worker_locked() {
    Worker worker;
    worker.process = spawn_worker();
    int flags = ::fcntl(worker.process.socket, F_GETFL);
    ::fcntl(worker.process.socket, F_SETFL, flags | O_NONBLOCK);
    pids_.push_back(worker.process.pid);
    workers_.push_back(std::move(worker));
    return workers_.back();
  }

  void send_more(Worker& worker) {
    const std::string& request = worker.job->request;
    while (worker.written < request.size()) {
      ssize_t put = ::send(worker.process.socket, request.data() + worker.written, request.size() - worker.written,
                           MSG_NOSIGNAL);
      if (put > 0) {
        worker.written += static_cast<std::size_t>(put);
      } else if (put < 0 && errno == EINTR) {
        continue;
      } else {
        return;  // EAGAIN: poll for POLLOUT; EPIPE: the read side sees the death
      }
    }
  }

  // Reads what the worker sent; completes its job once the reply is whole. False at end of file.
  bool receive(Worker& worker) {
    char buffer[65536];
    bool open = true;
    while (open) {
      ssize_t got = ::recv(worker.process.socket, buffer, sizeof buffer, 0);
      if (got > 0) {
        worker.input.append(buffer, static_cast<std::size_t>(got));
      } else if (got < 0 && errno == EINTR) {
        continue;
      } else if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        break;
      } else {
        open = false;  // end of file, or ECONNRESET: a reply already whole still counts
      }
    }
    std::uint32_t size;
    if (!worker.job || worker.input.size() < sizeof size) return open;
    std::memcpy(&size, worker.input.data(), sizeof size);
    if (worker.input.size() < sizeof size + size) return open;
    CodecReader reply(worker.input.data() + sizeof size, size);
    std::unique_ptr<ProcessJob> job = std::move(worker.job);
    try {
      if (reply.read<ReplyKind>() == ReplyKind::value) {
        job->finish(reply);
      } else {
        auto type = reply.read<std::string>();
        auto message = reply.read<std::string>();
        job->fail(std::make_exception_ptr(RemoteError(std::move(type), std::move(message))));
      }
    } catch (...) {
      job->fail(std::current_exception());  // the value did not decode
    }
    worker.input.erase(0, sizeof size + size);
    return open;
  }

  // The worker at `index` died: fail its job, reap it, and (unless shutting down) let the next
  // assign_jobs_locked start a replacement.
  void bury(std::size_t index) {
    Worker& worker = workers_[index];
    ::close(worker.process.socket);
    int status = reap_worker(worker.process.pid);
    if (worker.job) {
      std::string what = describe_death(worker.process.pid, status);
      if (worker.kill_reason != nullptr) what += std::string(" (") + worker.kill_reason + ")";
      worker.job->fail(std::make_exception_ptr(BrokenProcessPool("ProcessPoolExecutor: " + what + " while running the job")));
    }
    std::lock_guard lock(mutex_);
    std::erase(pids_, worker.process.pid);
    workers_.erase(workers_.begin() + static_cast<std::ptrdiff_t>(index));
  }

  void kill_worker(Worker& worker, const char* reason) {
    if (worker.kill_reason != nullptr) return;
    worker.kill_reason = reason;
    ::kill(worker.process.pid, SIGKILL);
  }

  // A running job whose future is done was cancelled: its worker is killed (end of file follows).
  void kill_cancelled() {
    for (Worker& worker : workers_) {
      if (worker.job && worker.job->done()) kill_worker(worker, "its job was cancelled");
    }
  }

  void give_up_at_deadline() {
    std::deque<std::unique_ptr<ProcessJob>> never_started;
    {
      std::lock_guard lock(mutex_);
      never_started.swap(queue_);
    }
    std::string pids;
    std::size_t running = 0;
    for (Worker& worker : workers_) {
      if (!worker.job) continue;
      ++running;
      pids += " " + std::to_string(worker.process.pid);
      kill_worker(worker, "killed by shutdown at its wait limit");
    }
    for (auto& job : never_started) job->cancel("ProcessPoolExecutor.shutdown: the wait limit passed before the job started");
    char text[256];
    std::snprintf(text, sizeof text,
                  "spindle: ProcessPoolExecutor.shutdown waited %.3g s for %zu running job(s) and %zu queued; killed "
                  "worker(s)%s",
                  std::chrono::duration<double>(limit_).count(), running, never_started.size(), pids.c_str());
    emit_diagnostic(text);
  }

  // Stops every worker: closing its socket ends an idle one; SIGKILL (inside reap_worker) ends any
  // other. Fails the jobs they still held.
  void stop_all_workers() {
    while (!workers_.empty()) {
      if (!workers_.back().job) workers_.back().kill_reason = "stopped at shutdown";
      bury(workers_.size() - 1);
    }
  }

  void fail_everything(const std::string& why) {
    std::deque<std::unique_ptr<ProcessJob>> queued;
    {
      std::lock_guard lock(mutex_);
      shutting_down_ = true;
      queued.swap(queue_);
    }
    for (auto& job : queued) job->fail(std::make_exception_ptr(BrokenProcessPool(why)));
    for (Worker& worker : workers_) {
      if (worker.job) worker.job->fail(std::make_exception_ptr(BrokenProcessPool(why)));
    }
  }

  int wake_fd_ = -1;
  mutable std::mutex mutex_;  // guards queue_, shutting_down_, deadline_, limit_, pids_
  std::deque<std::unique_ptr<ProcessJob>> queue_;
  bool shutting_down_ = false;
  TimePoint deadline_ = TimePoint::max();
  Duration limit_{};
  std::vector<pid_t> pids_;
  std::vector<Worker> workers_;  // the manager thread's alone (pids_ mirrors it for other threads)
  std::thread manager_;
  ConcurrentFuture<void> stopped_;
};

}  // namespace detail

ProcessPoolExecutor::ProcessPoolExecutor(std::optional<std::size_t> max_workers) {
  std::size_t count = max_workers.value_or(available_cpus());
  if (count == 0) throw std::invalid_argument("ProcessPoolExecutor: max_workers must be at least 1");
  detail::ensure_zygote();
  core_ = std::make_shared<detail::ProcessPoolCore>(count);
  core_->start();
}

ProcessPoolExecutor::~ProcessPoolExecutor() {
  try {
    if (!shut_down_) shutdown(false);
    core_->wait_stopped();
  } catch (const std::exception& error) {
    detail::emit_diagnostic(std::string("spindle: ~ProcessPoolExecutor: ") + error.what());
  } catch (const CancelledError&) {
    core_->join_manager();  // a cancelled fiber still must not leave the manager thread running
  }
}

void ProcessPoolExecutor::enqueue(std::unique_ptr<detail::ProcessJob> job,
                                  const std::function<bool(std::function<void()>)>& install_hook) {
  install_hook(core_->wake_hook());
  core_->enqueue(std::move(job));
}

void ProcessPoolExecutor::shutdown(bool wait, bool cancel_futures, Duration limit) {
  shut_down_ = true;
  core_->begin_shutdown(cancel_futures, limit);
  if (wait) core_->wait_stopped();
}

std::size_t ProcessPoolExecutor::max_workers() const noexcept { return core_->max_workers; }

std::vector<pid_t> ProcessPoolExecutor::worker_pids() const { return core_->worker_pids(); }

}  // namespace spindle
