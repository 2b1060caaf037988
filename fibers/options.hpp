// Knobs for a scheduler and for one spawn.
#pragma once

#include <chrono>
#include <cstddef>
#include <source_location>
#include <string>

namespace spindle {

// How fiber stacks are protected against overflow.
enum class StackProtection {
  // A PROT_NONE guard page below every stack while the process's memory-map budget allows
  // (each guard page costs two of vm.max_map_count's mappings); beyond it, a zero canary checked at
  // every switch. The change is announced once through the diagnostic sink (stderr by
  // default), never made silently.
  automatic,
  // Guard pages only: a spawn that would exceed the map budget fails with std::system_error.
  guard_pages,
  // Canary only: no guard pages, so any number of fibers, detection after the fact.
  canary,
};

struct SchedulerOptions {
  // Usable stack bytes for fibers spawned without their own size. 0 means: the SPINDLE_STACK_SIZE
  // environment variable (bytes, or with a K/M suffix) if set, otherwise 128 KiB (512 KiB under
  // AddressSanitizer, whose redzones and fake frames need the room).
  std::size_t default_stack_size = 0;
  StackProtection stack_protection = StackProtection::automatic;
  // Time stands still while fibers run and jumps to the next deadline when all are parked. For
  // tests; a deadlock there raises DeadlockError instead of hanging.
  bool virtual_clock = false;
  // Debug mode: warns when a fiber runs longer than stall_threshold without yielding, and dumps
  // every fiber on SIGUSR1. Also switched on by the environment variable SPINDLE_DEBUG=1.
  bool debug = false;
  std::chrono::milliseconds stall_threshold{100};
};

struct SpawnOptions {
  // Shown in dumps, stall warnings, overflow reports and unretrieved-exception reports.
  // Empty means "fiber#<id>".
  std::string name{};
  // Usable stack bytes; 0 means the scheduler's default.
  std::size_t stack_size = 0;
  // Where the fiber was spawned; reported with an exception nobody retrieved.
  std::source_location spawned_at = std::source_location::current();
};

}  // namespace spindle
