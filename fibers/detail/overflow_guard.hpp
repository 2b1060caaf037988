// Turns a guard-page hit into a report that names the fiber.
//
// A fiber that overflows its stack faults on the PROT_NONE page below it. The SIGSEGV handler runs
// on an alternate signal stack (the fiber's own stack is exhausted), checks whether the fault
// address lies in the running fiber's guard region, and if so writes
//   fiber stack overflow in '<name>' (stack <N> KiB)
// and how to raise the size, using only async-signal-safe calls, then aborts. Any other fault is
// passed to the handler that was installed before ours, or to the default action.
#pragma once

#include <spindle/fibers/detail/fiber.hpp>

namespace spindle::detail {

// Installs the process-wide handler (once) and an alternate signal stack for the calling thread if
// it has none. Returns whether this call created the alternate stack.
bool install_overflow_guard_on_this_thread();
// Removes the alternate stack created by install_overflow_guard_on_this_thread().
void remove_overflow_guard_from_this_thread() noexcept;

// The report for an overflow found by the canary check; never returns.
[[noreturn]] void abort_with_overflow_report(const FiberBase& fiber, const char* how) noexcept;

}  // namespace spindle::detail
