// run_real_clock(): run_virtual() on the real clock, for tests whose fibers wait for real servers.
// Under the virtual clock a lookup's deadline would come before an answer still on the wire: the
// scheduler jumps to the next deadline as soon as every fiber is parked.
#pragma once

#include "leak_check.hpp"

namespace spindle::test {

template <class Fn>
auto run_real_clock(Fn&& body) {
  return run_virtual(std::forward<Fn>(body), SchedulerOptions{});
}

}  // namespace spindle::test
