// Stack overflow in a fiber: named by the guard-page handler or the canary check, killing the process.
#include "leak_check.hpp"

#include <sys/mman.h>

#include <spindle/fibers/detail/scheduler_core.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <string>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// Every child starts from the default dispositions for the signals these tests die of. It inherits
// Catch2's fatal-signal handlers from the parent (they would print a bogus "FAILED" report of the
// parent's test case to the shared stdout), and in an AddressSanitizer build ASan's deadly-signal
// handler (which would turn a SIGSEGV into "ERROR: AddressSanitizer: SEGV" and exit(1) instead of
// dying of the signal). This runs before the child's first Scheduler, so the overflow handler that
// scheduler installs sees SIG_DFL as the handler to pass foreign faults on to.
void default_fatal_signals() {
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  for (int signal : {SIGSEGV, SIGBUS, SIGABRT}) ::sigaction(signal, &action, nullptr);
}

bool died_of(int status, int signal) { return WIFSIGNALED(status) && WTERMSIG(status) == signal; }

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "raw wait status " + std::to_string(status);
}

volatile bool stop_recursing = false;  // never set: keeps the recursion unbounded but not provably infinite

// A 1 KiB frame per call, written at both ends (its lowest bytes first, so the growing stack is
// touched every frame and cannot step over the guard page) and read after the recursive call, so
// the recursion can be neither removed nor turned into a loop.
[[gnu::noinline]] int recurse_without_bound(int depth) {
  volatile char buffer[1024];
  buffer[0] = static_cast<char>(depth);
  buffer[sizeof buffer - 1] = static_cast<char>(depth >> 8);
  if (stop_recursing) return buffer[0];
  return recurse_without_bound(depth + 1) + buffer[static_cast<unsigned>(depth) % sizeof buffer];
}

void run_deep_recursion() {
  Scheduler scheduler({.virtual_clock = true});
  scheduler.run([] {
    auto deep = spawn([] { return recurse_without_bound(0); },
                      {.name = "deep-recursion", .stack_size = 64 * 1024});
    deep.join();
  });
}

void overflow_guarded_stack() {
  default_fatal_signals();
  run_deep_recursion();
}

// Claims, with one dynamically sized frame, everything from here down to `overshoot` bytes below
// the bottom of the running fiber's usable stack, and writes that lowest part: the bytes right below
// the usable region are the canary. Nothing crashes, since a canary-protected stack has no guard
// page and the canary zone below it is ordinary mapped memory (a page, far more than `overshoot`).
// (Measured from the frame address, not from a local's address: under AddressSanitizer's
// use-after-return detection, locals whose address is taken live on a heap-allocated fake stack.)
[[gnu::noinline]] void write_past_stack_bottom(std::size_t overshoot) {
  const detail::StackSlot& stack = detail::SchedulerCore::running_fiber()->stack;
  const auto bottom = reinterpret_cast<std::uintptr_t>(stack.top - stack.usable);
  const auto frame_address = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  if (frame_address <= bottom || frame_address > reinterpret_cast<std::uintptr_t>(stack.top)) std::_Exit(2);
  volatile char* frame = static_cast<volatile char*>(__builtin_alloca(frame_address - bottom + overshoot));
  // The lowest bytes really lie below the usable region, within the page below it.
  const auto lowest = reinterpret_cast<std::uintptr_t>(frame);
  if (lowest > bottom - 32 || lowest < bottom - 2048) std::_Exit(3);
  for (std::size_t i = 0; i < 2 * overshoot; ++i) frame[i] = 1;
}

void overflow_canary_stack() {
  default_fatal_signals();
  Scheduler scheduler({.stack_protection = StackProtection::canary, .virtual_clock = true});
  scheduler.run([] {
    auto fiber = spawn(
        [] {
          write_past_stack_bottom(128);
          if (detail::StackPool::canary_intact(detail::SchedulerCore::running_fiber()->stack)) std::_Exit(5);
          this_fiber::yield();  // switches to main, which is ready: the switch out checks the canary
          std::_Exit(4);        // not reached when the overflow is detected
        },
        {.name = "canary-smasher", .stack_size = 64 * 1024});
    this_fiber::yield();  // stays ready while the smasher runs, so its yield is a real switch
    fiber.join();
  });
}

void run_null_writer() {
  Scheduler scheduler({.virtual_clock = true});
  scheduler.run([] {
    auto fiber = spawn(
        [] {
          // A write to a PROT_NONE page: a genuine SIGSEGV far from any stack, which (unlike a
          // null store) UBSan does not intercept first. Both volatile so the store stays.
          void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
          volatile int* volatile target = static_cast<int*>(page);
          *target = 42;
        },
        {.name = "null-writer"});
    fiber.join();
  });
}

void null_write_in_fiber() {
  default_fatal_signals();
  run_null_writer();
}

void custom_segv_handler(int) {
  static const char text[] = "custom SIGSEGV handler ran\n";
  [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, text, sizeof text - 1);
  std::_Exit(7);
}

void null_write_with_application_handler() {
  default_fatal_signals();
  struct sigaction action {};
  action.sa_handler = custom_segv_handler;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGSEGV, &action, nullptr);
  run_null_writer();
}

// What Catch2 does around every test case, and crash reporters around their lifetime: install a
// SIGSEGV handler, and later restore the one found. Here the first scheduler comes and goes in
// between, and the overflow happens on a second scheduler.
void overflow_after_another_handler_came_and_went() {
  default_fatal_signals();
  struct sigaction other {};
  struct sigaction found {};
  other.sa_handler = custom_segv_handler;
  sigemptyset(&other.sa_mask);
  ::sigaction(SIGSEGV, &other, &found);
  { Scheduler first({.virtual_clock = true}); }
  ::sigaction(SIGSEGV, &found, nullptr);
  run_deep_recursion();
}

}  // namespace

TEST_CASE("unbounded recursion on a guarded stack aborts with a report naming the fiber", "[fibers][overflow]") {
  auto [status, err] = test::run_in_child(overflow_guarded_stack);
  INFO("child " << describe_status(status) << ", stderr:\n" << err);
  CHECK(died_of(status, SIGABRT));
  CHECK(err.find("fiber stack overflow in 'deep-recursion' (stack 64 KiB)") != std::string::npos);
  CHECK(err.find("SPINDLE_STACK_SIZE") != std::string::npos);
}

TEST_CASE("an overflow into the canary is reported when the fiber switches out", "[fibers][overflow]") {
  auto [status, err] = test::run_in_child(overflow_canary_stack);
  INFO("child " << describe_status(status) << ", stderr:\n" << err);
  INFO("child exit statuses: 2, 3 = the test could not aim at the canary; 5 = its write missed the canary; "
       "4 = the overflow went undetected");
  CHECK(died_of(status, SIGABRT));
  CHECK(err.find("fiber stack overflow in 'canary-smasher' (stack 64 KiB)") != std::string::npos);
  CHECK(err.find("canary") != std::string::npos);
  CHECK(err.find("SPINDLE_STACK_SIZE") != std::string::npos);
}

TEST_CASE("a null-pointer write in a fiber dies of SIGSEGV and is not called a stack overflow", "[fibers][overflow]") {
  auto [status, err] = test::run_in_child(null_write_in_fiber);
  INFO("child " << describe_status(status) << ", stderr:\n" << err);
  CHECK(died_of(status, SIGSEGV));
  CHECK(err.find("stack overflow") == std::string::npos);
}

TEST_CASE("a fault that is not an overflow goes to the SIGSEGV handler installed before the scheduler",
          "[fibers][overflow]") {
  auto [status, err] = test::run_in_child(null_write_with_application_handler);
  INFO("child " << describe_status(status) << ", stderr:\n" << err);
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 7));
  CHECK(err.find("custom SIGSEGV handler ran") != std::string::npos);
  CHECK(err.find("stack overflow") == std::string::npos);
}

// Fails against the current library: install_overflow_guard_on_this_thread() installs the handler
// once per process (std::call_once), so once the other component restores SIG_DFL no later scheduler
// reinstalls it, and the overflow dies as a bare SIGSEGV without the report.
TEST_CASE("the overflow report survives a SIGSEGV handler installed before the first scheduler and restored after it",
          "[fibers][overflow]") {
  auto [status, err] = test::run_in_child(overflow_after_another_handler_came_and_went);
  INFO("child " << describe_status(status) << ", stderr:\n" << err);
  CHECK(died_of(status, SIGABRT));
  CHECK(err.find("fiber stack overflow in 'deep-recursion' (stack 64 KiB)") != std::string::npos);
}
