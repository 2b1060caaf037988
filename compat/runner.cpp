#include <spindle/compat/runner.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <sys/syscall.h>
#include <unistd.h>

namespace spindle {
namespace {

// What the signal handler may touch: lock-free atomics only.
std::atomic<Doorbell*> signal_doorbell{nullptr};
std::atomic<int> first_signal{0};
std::atomic<int> signals_seen{0};
static_assert(std::atomic<Doorbell*>::is_always_lock_free && std::atomic<int>::is_always_lock_free);

struct sigaction previous_int_action;
struct sigaction previous_term_action;

extern "C" void on_interrupt_signal(int signal_number) {
  if (signals_seen.fetch_add(1, std::memory_order_acq_rel) == 0) {
    first_signal.store(signal_number, std::memory_order_release);
    if (Doorbell* doorbell = signal_doorbell.load(std::memory_order_acquire)) doorbell->ring();
    return;
  }
  // A second signal: main would not stop, so stop the process the way the signal itself would.
  // The signal is blocked while its handler runs; it is delivered, with the default action, on return.
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

bool on_main_thread() { return ::getpid() == static_cast<pid_t>(::syscall(SYS_gettid)); }

// Installs our handler for `signal_number` if nobody else handles it; remembers the old action.
bool install(int signal_number, struct sigaction& previous) {
  if (::sigaction(signal_number, nullptr, &previous) != 0 || previous.sa_handler != SIG_DFL) return false;
  struct sigaction action {};
  action.sa_handler = on_interrupt_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  return ::sigaction(signal_number, &action, nullptr) == 0;
}

}  // namespace

Runner::Runner(SchedulerOptions options) : loop_(options), doorbell_([this] { on_signal(); }) {}

Runner::~Runner() { close(); }

void Runner::close() {
  // As asyncio.Runner.close: the tasks are cancelled first, then the default executor is shut down
  // (Loop::close does both, in that order), then the loop closes.
  if (!loop_.is_closed()) loop_.close();
}

void Runner::on_signal() {
  int signal_number = first_signal.load(std::memory_order_acquire);
  if (signal_number == 0 || interrupted_by_ != 0) return;
  interrupted_by_ = signal_number;
  if (main_task_) main_task_->cancel(signal_number == SIGINT ? "interrupted by SIGINT" : "interrupted by SIGTERM");
}

Runner::SignalScope::SignalScope(Runner& runner) : runner_(runner) {
  runner_.interrupted_by_ = 0;
  if (!on_main_thread()) return;
  Doorbell* expected = nullptr;
  // One Runner at a time owns the process's signals (a nested run on the same thread cannot happen:
  // the loop refuses to run twice).
  if (!signal_doorbell.compare_exchange_strong(expected, &runner_.doorbell_)) return;
  first_signal.store(0);
  signals_seen.store(0);
  installed_int_ = install(SIGINT, previous_int_action);
  installed_term_ = install(SIGTERM, previous_term_action);
}

Runner::SignalScope::~SignalScope() {
  if (installed_int_) ::sigaction(SIGINT, &previous_int_action, nullptr);
  if (installed_term_) ::sigaction(SIGTERM, &previous_term_action, nullptr);
  Doorbell* ours = &runner_.doorbell_;
  signal_doorbell.compare_exchange_strong(ours, nullptr);
}

namespace detail {

void exit_after_interrupt(const Interrupted& interrupted) {
  std::fflush(stdout);
  std::fprintf(stderr, "spindle: %s; the main task was cancelled and every task has unwound\n", interrupted.what());
  std::exit(interrupted.exit_status());
}

}  // namespace detail
}  // namespace spindle
