// Fiber stacks: pooled, guarded while the memory-map budget lasts, canaried beyond it.
//
// Why this shape. A guard page below each stack turns an overflow into an immediate SIGSEGV that
// names the fiber, but each guarded stack splits its mapping in two, and Linux caps a process at
// vm.max_map_count mappings (65530 by default): about 32k guarded stacks. A runtime that must hold
// a million parked fibers therefore needs a second policy. Beyond the budget, stacks are carved
// from large slabs (one mapping for many stacks) and the lowest bytes of each are kept zero; the
// scheduler checks them at every switch away from the fiber. Reading never-written pages maps the
// shared zero page, so the canary costs no resident memory. The change of policy is announced once.
//
// Stacks are reused LIFO so the most recently touched (already faulted-in) pages go out first: a
// first touch costs a page fault (about 1.8 us here), a warm reuse nothing. Releasing is always a
// push: giving pages back (munmap, or MADV_DONTNEED inside a slab) costs several microseconds per
// stack, so the scheduler trims the cache down to its limit only when idle, a few stacks per step.
//
// One pool per scheduler, used only on that scheduler's thread; the map budget is process-wide.
#pragma once

#include <spindle/fibers/options.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace spindle::detail {

struct StackSlot {
  char* mapping = nullptr;      // lowest address of the region this stack occupies
  std::size_t usable = 0;       // bytes handed to the fiber, ending at `top`
  char* top = nullptr;          // highest address (the stack grows down from here)
  bool guarded = false;         // a PROT_NONE page lies at `mapping`
  bool from_slab = false;       // part of a canary slab; never unmapped on its own

  char* guard_end() const noexcept { return guarded ? top - usable : nullptr; }
  // The zero canary: the words right below the usable region, which an overflow writes first.
  const std::uint64_t* canary() const noexcept {
    return guarded ? nullptr : reinterpret_cast<const std::uint64_t*>(top - usable) - canary_words;
  }
  static constexpr std::size_t canary_words = 4;
};

class StackPool {
 public:
  StackPool(std::size_t default_usable, StackProtection protection);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  // Returns a stack with at least `usable` bytes (0: the default). Throws std::system_error when the
  // kernel refuses memory, or under StackProtection::guard_pages when the map budget is spent.
  StackSlot acquire(std::size_t usable);
  void release(const StackSlot& slot) noexcept;

  // Whether more stacks are cached than the warm limit, and giving back some of the excess (a
  // bounded amount of work, for the scheduler's idle moments).
  bool has_excess() const noexcept { return excess_ > 0; }
  void trim_some() noexcept;

  std::size_t default_usable() const noexcept { return default_usable_; }
  std::size_t cached() const noexcept;

  // Whether the canary at the bottom of `slot` is still intact.
  static bool canary_intact(const StackSlot& slot) noexcept;
  // Stacks this process may still guard (two mappings each) before falling back to canaries.
  static long guard_budget_left() noexcept;

 private:
  struct SizeClass {
    std::size_t usable;
    std::vector<StackSlot> warm;  // pages probably resident: reuse first
    std::vector<StackSlot> cold;  // slab stacks whose pages were returned
  };
  SizeClass& size_class(std::size_t usable);
  StackSlot map_guarded(std::size_t usable);
  StackSlot carve_from_slab(SizeClass& cls);

  std::size_t default_usable_;
  StackProtection protection_;
  std::vector<SizeClass> classes_;
  std::vector<std::pair<char*, std::size_t>> slabs_;
  std::size_t excess_ = 0;  // warm stacks beyond the limit, summed over size classes
};

}  // namespace spindle::detail
