// Looking at live fibers from inside the process.
#pragma once

#include <spindle/fibers/clock.hpp>
#include <spindle/fibers/join_handle.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace spindle {

struct FiberInfo {
  FiberId id;
  std::string name;
  std::string state;       // "running", "ready" or "parked"
  std::string parked_on;   // what a parked fiber waits for ("sleep", "join", "fd readable", ...)
  Duration in_state;       // measured at the scheduler's last poll step
};

// The calling thread's live fibers, newest first; empty without a scheduler. Never blocks.
std::vector<FiberInfo> list_fibers();
// Prints them, one line each, as SIGUSR1 does in debug mode. Never blocks.
void dump_fibers(std::ostream& out);

}  // namespace spindle
