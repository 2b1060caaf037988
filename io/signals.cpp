#include <spindle/io/signals.hpp>

#include <spindle/fibers/errors.hpp>
#include <spindle/fibers/fd_wait.hpp>
#include <spindle/io/errors.hpp>

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <string>

namespace spindle {
namespace {

void check_catchable(int signal) {
  if (signal <= 0 || signal >= NSIG) throw std::invalid_argument("not a signal number: " + std::to_string(signal));
  if (signal == SIGKILL || signal == SIGSTOP) {
    throw std::invalid_argument(std::string("SIG") + ::sigabbrev_np(signal) + " cannot be caught or blocked");
  }
}

// Per thread, per signal: how many live SignalSets hold it, and whether the first of them blocked
// it (it was unblocked before), so the last one knows whether to unblock it.
struct ThreadSignalOwners {
  std::array<int, NSIG> holders{};
  std::array<bool, NSIG> blocked_by_us{};
};
thread_local ThreadSignalOwners owners;

// Consumes the pending instances of `signals` (thread- or process-directed), without waiting.
void discard_pending(const sigset_t& signals) {
  const timespec no_wait{};
  while (::sigtimedwait(&signals, nullptr, &no_wait) > 0) {
  }
}

// "SIGINT|SIGTERM", for messages.
std::string describe(const sigset_t& signals) {
  std::string text;
  for (int signal = 1; signal < NSIG; ++signal) {
    if (sigismember(&signals, signal) != 1) continue;
    if (!text.empty()) text += '|';
    const char* name = ::sigabbrev_np(signal);
    text += name != nullptr ? std::string("SIG") + name : "signal " + std::to_string(signal);
  }
  return text;
}

SignalInfo to_info(const signalfd_siginfo& raw) {
  return SignalInfo{.signal = static_cast<int>(raw.ssi_signo),
                    .sender_pid = static_cast<pid_t>(raw.ssi_pid),
                    .sender_uid = static_cast<uid_t>(raw.ssi_uid),
                    .code = raw.ssi_code,
                    .value = raw.ssi_int};
}

}  // namespace

SignalSet::SignalSet(std::initializer_list<int> signals) {
  sigemptyset(&signals_);
  for (int signal : signals) {
    check_catchable(signal);
    sigaddset(&signals_, signal);
  }
  sigset_t current;
  ::pthread_sigmask(SIG_BLOCK, nullptr, &current);
  sigset_t to_block;
  sigemptyset(&to_block);
  for (int signal = 1; signal < NSIG; ++signal) {
    if (sigismember(&signals_, signal) != 1) continue;
    if (owners.holders[signal]++ == 0) {
      owners.blocked_by_us[signal] = sigismember(&current, signal) != 1;
      if (owners.blocked_by_us[signal]) sigaddset(&to_block, signal);
    }
  }
  ::pthread_sigmask(SIG_BLOCK, &to_block, nullptr);
  int fd = ::signalfd(-1, &signals_, SFD_NONBLOCK | SFD_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    release_signals();
    throw_io_error(error, "signalfd for", describe(signals_));
  }
  fd_.reset(fd);
}

SignalSet::~SignalSet() {
  fd_.close();
  release_signals();
}

void SignalSet::release_signals() noexcept {
  sigset_t to_unblock;
  sigemptyset(&to_unblock);
  for (int signal = 1; signal < NSIG; ++signal) {
    if (sigismember(&signals_, signal) != 1) continue;
    if (--owners.holders[signal] == 0 && owners.blocked_by_us[signal]) sigaddset(&to_unblock, signal);
  }
  discard_pending(to_unblock);
  ::pthread_sigmask(SIG_UNBLOCK, &to_unblock, nullptr);
}

std::optional<SignalInfo> SignalSet::poll() {
  signalfd_siginfo raw;
  for (;;) {
    ssize_t got = ::read(fd_.get(), &raw, sizeof raw);
    if (got == static_cast<ssize_t>(sizeof raw)) return to_info(raw);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) return std::nullopt;
    throw_io_error(got < 0 ? errno : EIO, "read", "signalfd");
  }
}

SignalInfo SignalSet::wait(std::optional<Duration> timeout) {
  std::optional<TimePoint> deadline;
  if (timeout) deadline = now() + *timeout;
  for (;;) {
    if (auto info = poll()) return *info;
    if (!wait_readable(fd_.get(), deadline)) throw TimeoutError("wait for " + describe(signals_) + " timed out");
  }
}

SignalInfo wait_signal(int signal, std::optional<Duration> timeout) { return SignalSet{signal}.wait(timeout); }

void block_signals(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : signals) {
    check_catchable(signal);
    sigaddset(&set, signal);
  }
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace spindle
