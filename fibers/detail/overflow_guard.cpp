#include <spindle/fibers/detail/overflow_guard.hpp>

#include <spindle/fibers/detail/scheduler_core.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>

namespace spindle::detail {
namespace {

struct sigaction previous_segv_action;
struct sigaction previous_bus_action;
thread_local void* own_alt_stack = nullptr;
thread_local std::size_t own_alt_stack_size = 0;

// Async-signal-safe output: no allocation, no locks, no stdio.
void write_text(const char* text) noexcept {
  std::size_t length = std::strlen(text);
  while (length > 0) {
    ssize_t written = ::write(STDERR_FILENO, text, length);
    if (written <= 0) return;
    text += written;
    length -= static_cast<std::size_t>(written);
  }
}

void write_number(unsigned long long value) noexcept {
  char digits[24];
  char* end = digits + sizeof digits - 1;
  *end = '\0';
  char* cursor = end;
  do {
    *--cursor = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  write_text(cursor);
}

void write_report(const FiberBase& fiber, const char* how) noexcept {
  write_text("spindle: fiber stack overflow in '");
  if (fiber.name.empty()) {
    write_text("fiber#");
    write_number(fiber.id);
  } else {
    write_text(fiber.name.c_str());
  }
  write_text("' (stack ");
  write_number(fiber.stack.usable / 1024);
  write_text(" KiB)");
  write_text(how);
  write_text("\nspindle: give this fiber a larger stack with SpawnOptions::stack_size, or every fiber "
             "with SchedulerOptions::default_stack_size or the SPINDLE_STACK_SIZE environment "
             "variable (for example SPINDLE_STACK_SIZE=1M)\n");
}

bool in_guard_region(const FiberBase& fiber, const char* address) noexcept {
  if (!fiber.stack.guarded) return false;
  // The guard page itself, plus some slack below it for frames that jumped over it.
  const char* guard_end = fiber.stack.guard_end();
  const char* region_start = fiber.stack.mapping - 64 * 1024;
  return address >= region_start && address < guard_end;
}

void pass_on(int signal, siginfo_t* info, void* context) noexcept {
  const struct sigaction& previous = signal == SIGBUS ? previous_bus_action : previous_segv_action;
  if (previous.sa_flags & SA_SIGINFO) {
    previous.sa_sigaction(signal, info, context);
  } else if (previous.sa_handler == SIG_IGN) {
    return;
  } else if (previous.sa_handler != SIG_DFL) {
    previous.sa_handler(signal);
  } else {
    // Restore the default action; returning re-executes the faulting access, which then kills us
    // with the original signal (and a core dump where enabled).
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    ::sigaction(signal, &default_action, nullptr);
  }
}

void on_fault(int signal, siginfo_t* info, void* context) {
  const FiberBase* fiber = SchedulerCore::running_fiber();
  if (fiber != nullptr && in_guard_region(*fiber, static_cast<const char*>(info->si_addr))) {
    write_report(*fiber, "");
    std::abort();
  }
  pass_on(signal, info, context);
}

}  // namespace

bool install_overflow_guard_on_this_thread() {
  // Checked on every scheduler construction, not once: test frameworks and crash reporters install
  // their own SIGSEGV handler and later restore what they found, which would silently drop ours.
  static std::mutex install_mutex;
  {
    std::lock_guard lock(install_mutex);
    for (auto [signal, previous] : {std::pair{SIGSEGV, &previous_segv_action}, std::pair{SIGBUS, &previous_bus_action}}) {
      struct sigaction current {};
      ::sigaction(signal, nullptr, &current);
      if ((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == on_fault) continue;
      struct sigaction action {};
      action.sa_sigaction = on_fault;
      action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
      sigemptyset(&action.sa_mask);
      ::sigaction(signal, &action, previous);
    }
  }
  stack_t current{};
  if (::sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE)) return false;
  const std::size_t size = std::max<std::size_t>(64 * 1024, static_cast<std::size_t>(::sysconf(_SC_SIGSTKSZ)));
  void* memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return false;
  stack_t alternate{};
  alternate.ss_sp = memory;
  alternate.ss_size = size;
  if (::sigaltstack(&alternate, nullptr) != 0) {
    ::munmap(memory, size);
    return false;
  }
  own_alt_stack = memory;
  own_alt_stack_size = size;
  return true;
}

void remove_overflow_guard_from_this_thread() noexcept {
  if (own_alt_stack == nullptr) return;
  stack_t disable{};
  disable.ss_flags = SS_DISABLE;
  ::sigaltstack(&disable, nullptr);
  ::munmap(own_alt_stack, own_alt_stack_size);
  own_alt_stack = nullptr;
}

void abort_with_overflow_report(const FiberBase& fiber, const char* how) noexcept {
  write_report(fiber, how);
  std::abort();
}

}  // namespace spindle::detail
