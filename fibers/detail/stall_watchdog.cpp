#include <spindle/fibers/detail/stall_watchdog.hpp>

#include <spindle/fibers/diagnostics.hpp>

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace spindle::detail {
namespace {

// The blocking system calls a stalled fiber is most likely stuck in.
const char* blocking_syscall_name(long number) {
  switch (number) {
#define SPINDLE_SYSCALL(name) case SYS_##name: return #name;
    SPINDLE_SYSCALL(read) SPINDLE_SYSCALL(write) SPINDLE_SYSCALL(readv) SPINDLE_SYSCALL(writev)
    SPINDLE_SYSCALL(recvfrom) SPINDLE_SYSCALL(sendto) SPINDLE_SYSCALL(recvmsg) SPINDLE_SYSCALL(sendmsg)
    SPINDLE_SYSCALL(connect) SPINDLE_SYSCALL(accept) SPINDLE_SYSCALL(accept4) SPINDLE_SYSCALL(ppoll)
    SPINDLE_SYSCALL(pselect6) SPINDLE_SYSCALL(nanosleep) SPINDLE_SYSCALL(clock_nanosleep)
    SPINDLE_SYSCALL(futex) SPINDLE_SYSCALL(wait4) SPINDLE_SYSCALL(epoll_pwait) SPINDLE_SYSCALL(openat)
    SPINDLE_SYSCALL(fsync) SPINDLE_SYSCALL(flock)
#if defined(SYS_poll)
    SPINDLE_SYSCALL(poll) SPINDLE_SYSCALL(select) SPINDLE_SYSCALL(epoll_wait) SPINDLE_SYSCALL(pause)
#endif
#undef SPINDLE_SYSCALL
    default: return nullptr;
  }
}

// " It is blocked in the system call read(fd 7)...", or "" when the thread is not in a system call.
void describe_syscall(int thread_id, char* text, std::size_t size) {
  text[0] = '\0';
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/syscall", thread_id);
  std::FILE* file = std::fopen(path, "re");
  if (file == nullptr) return;
  long number = -1;
  unsigned long first_argument = 0;
  int fields = std::fscanf(file, "%ld %lx", &number, &first_argument);
  std::fclose(file);
  if (fields < 1 || number < 0) return;  // "running", or not in a system call
  const char* name = blocking_syscall_name(number);
  char call[48];
  if (name == nullptr) {
    std::snprintf(call, sizeof call, "number %ld", number);
  } else if (fields == 2 && std::strcmp(name, "nanosleep") != 0 && std::strcmp(name, "futex") != 0 &&
             std::strcmp(name, "clock_nanosleep") != 0) {
    std::snprintf(call, sizeof call, "%s(fd %lu)", name, first_argument);
  } else {
    std::snprintf(call, sizeof call, "%s", name);
  }
  std::snprintf(text, size,
                ". It is blocked in the system call %s, which no hook made cooperative "
                "(link spindle_hooks, or keep the call out of fibers)",
                call);
}

}  // namespace

StallWatchdog::StallWatchdog(std::chrono::milliseconds threshold)
    : threshold_(threshold), thread_id_(static_cast<int>(::syscall(SYS_gettid))), thread_([this] { watch(); }) {}

StallWatchdog::~StallWatchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void StallWatchdog::resumed(std::uint64_t fiber_id, std::string_view name) noexcept {
  std::lock_guard lock(mutex_);
  running_ = true;
  reported_ = false;
  fiber_id_ = fiber_id;
  std::size_t length = std::min(name.size(), sizeof name_ - 1);
  std::memcpy(name_, name.data(), length);
  name_[length] = '\0';
  since_ = Clock::now();
}

void StallWatchdog::idle() noexcept {
  std::lock_guard lock(mutex_);
  running_ = false;
}

bool StallWatchdog::reported_current_run() noexcept {
  std::lock_guard lock(mutex_);
  return reported_;
}

void StallWatchdog::watch() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, threshold_ / 2);
    if (stopping_ || !running_ || reported_) continue;
    auto ran = Clock::now() - since_;
    if (ran < threshold_) continue;
    reported_ = true;
    char name[sizeof name_ + 24];
    if (name_[0] == '\0') {
      std::snprintf(name, sizeof name, "fiber#%llu", static_cast<unsigned long long>(fiber_id_));
    } else {
      std::snprintf(name, sizeof name, "%s", name_);
    }
    char blocked_in[200];
    describe_syscall(thread_id_, blocked_in, sizeof blocked_in);
    char text[520];
    std::snprintf(text, sizeof text,
                  "spindle: fiber '%s' has run %.0f ms without yielding and still holds its thread "
                  "(stall threshold %lld ms); every other fiber on that thread is waiting%s",
                  name,
                  std::chrono::duration<double, std::milli>(ran).count(),
                  static_cast<long long>(threshold_.count()), blocked_in);
    lock.unlock();
    emit_diagnostic(text);
    lock.lock();
  }
}

}  // namespace spindle::detail
