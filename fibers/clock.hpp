// Time as the fibers runtime sees it.
//
// Deadlines are `TimePoint`s on the steady clock. A scheduler either follows the real steady clock
// or runs a virtual clock (SchedulerOptions::virtual_clock) that stands still while fibers run and
// jumps straight to the next deadline when every fiber is parked. Tests use the virtual clock, so a
// 30-second timeout costs no wall time and fires in exactly the same order every run.
#pragma once

#include <chrono>

namespace spindle {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

// The current time of the calling thread's scheduler: virtual or real, as that scheduler was built.
// Outside a scheduler it is Clock::now(). Never blocks; callable from any fiber or plain thread.
TimePoint now() noexcept;

}  // namespace spindle
