#include <spindle/fibers/detail/stack_pool.hpp>

#include <spindle/fibers/diagnostics.hpp>

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <system_error>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

namespace spindle::detail {
namespace {

constexpr std::size_t stacks_per_slab = 64;
constexpr std::size_t warm_cache_limit = 4096;  // per size class
constexpr std::size_t canary_zone = StackSlot::canary_words * sizeof(std::uint64_t);

std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

std::size_t round_to_pages(std::size_t bytes) {
  const std::size_t page = page_size();
  return (bytes + page - 1) / page * page;
}

long read_max_map_count() {
  std::ifstream file("/proc/sys/vm/max_map_count");
  long count = 65530;
  file >> count;
  return count;
}

// Half of vm.max_map_count, less a reserve for the rest of the process (libraries, malloc arenas,
// thread stacks), may hold guard pages; each guarded stack takes two mappings.
std::atomic<long>& guard_budget() {
  static std::atomic<long> budget{[] {
    long usable_maps = read_max_map_count() - 16384;
    return usable_maps > 0 ? usable_maps / 2 / 2 : 0;
  }()};
  return budget;
}

void announce_canary_fallback() {
  static std::atomic<bool> announced{false};
  if (announced.exchange(true)) return;
  char text[512];
  std::snprintf(text, sizeof text,
               "spindle: fiber stacks have used this process's memory-map budget for guard pages "
               "(vm.max_map_count=%ld); further stacks are protected by a canary checked at every "
               "switch instead, which detects an overflow after the fact rather than stopping it. "
               "Raise vm.max_map_count to keep guard pages, or choose StackProtection::canary to "
               "silence this notice.",
               read_max_map_count());
  emit_diagnostic(text);
}

}  // namespace

StackPool::StackPool(std::size_t default_usable, StackProtection protection)
    : default_usable_(round_to_pages(default_usable)), protection_(protection) {}

StackPool::~StackPool() {
  for (SizeClass& cls : classes_) {
    for (const StackSlot& slot : cls.warm) {
      if (slot.from_slab) continue;
      ::munmap(slot.mapping, slot.usable + page_size());
      guard_budget().fetch_add(1, std::memory_order_relaxed);
    }
  }
  for (auto [base, bytes] : slabs_) ::munmap(base, bytes);
}

std::size_t StackPool::cached() const noexcept {
  std::size_t count = 0;
  for (const SizeClass& cls : classes_) count += cls.warm.size() + cls.cold.size();
  return count;
}

StackPool::SizeClass& StackPool::size_class(std::size_t usable) {
  for (SizeClass& cls : classes_) {
    if (cls.usable == usable) return cls;
  }
  classes_.push_back(SizeClass{usable, {}, {}});
  return classes_.back();
}

StackSlot StackPool::acquire(std::size_t usable) {
  usable = usable == 0 ? default_usable_ : round_to_pages(usable);
  SizeClass& cls = size_class(usable);
  if (!cls.warm.empty()) {
    StackSlot slot = cls.warm.back();
    cls.warm.pop_back();
    return slot;
  }
  if (protection_ != StackProtection::canary) {
    if (guard_budget().fetch_sub(1, std::memory_order_relaxed) > 0) return map_guarded(usable);
    guard_budget().fetch_add(1, std::memory_order_relaxed);
    if (protection_ == StackProtection::guard_pages) {
      throw std::system_error(ENOMEM, std::generic_category(),
                              "spindle: no memory-map budget left for another guard-paged fiber "
                              "stack (vm.max_map_count); raise it or use StackProtection::automatic");
    }
    announce_canary_fallback();
  }
  if (!cls.cold.empty()) {
    StackSlot slot = cls.cold.back();
    cls.cold.pop_back();
    return slot;
  }
  return carve_from_slab(cls);
}

StackSlot StackPool::map_guarded(std::size_t usable) {
  const std::size_t guard = page_size();
  void* base = ::mmap(nullptr, usable + guard, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (base == MAP_FAILED || ::mprotect(base, guard, PROT_NONE) != 0) {
    int error = errno;
    if (base != MAP_FAILED) ::munmap(base, usable + guard);
    guard_budget().fetch_add(1, std::memory_order_relaxed);
    throw std::system_error(error, std::generic_category(), "spindle: cannot map a fiber stack");
  }
  char* mapping = static_cast<char*>(base);
  return StackSlot{mapping, usable, mapping + guard + usable, true, false};
}

StackSlot StackPool::carve_from_slab(SizeClass& cls) {
  // Each slot: [canary zone, rounded up to a page][usable]. The whole slab is one mapping.
  const std::size_t slot_bytes = cls.usable + page_size();
  const std::size_t slab_bytes = slot_bytes * stacks_per_slab;
  void* base = ::mmap(nullptr, slab_bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (base == MAP_FAILED) {
    throw std::system_error(errno, std::generic_category(), "spindle: cannot map a fiber stack slab");
  }
  slabs_.emplace_back(static_cast<char*>(base), slab_bytes);
  char* slab = static_cast<char*>(base);
  // Hand out the first slot now; the rest wait in `cold` (never touched, so free of resident pages).
  for (std::size_t i = stacks_per_slab; i-- > 1;) {
    char* mapping = slab + i * slot_bytes;
    cls.cold.push_back(StackSlot{mapping, cls.usable, mapping + slot_bytes, false, true});
  }
  static_assert(canary_zone <= 4096);
  return StackSlot{slab, cls.usable, slab + slot_bytes, false, true};
}

void StackPool::release(const StackSlot& slot) noexcept {
#if defined(__SANITIZE_ADDRESS__)
  // A fiber ends by switching away, so its last frames never return and their redzones stay
  // poisoned; the next fiber on this stack would trip over them.
  ASAN_UNPOISON_MEMORY_REGION(slot.top - slot.usable, slot.usable);
#endif
  SizeClass& cls = size_class(slot.usable);
  cls.warm.push_back(slot);
  if (cls.warm.size() > warm_cache_limit) ++excess_;
}

void StackPool::trim_some() noexcept {
  constexpr int stacks_per_step = 32;
  for (SizeClass& cls : classes_) {
    for (int trimmed = 0; trimmed < stacks_per_step && cls.warm.size() > warm_cache_limit; ++trimmed) {
      StackSlot slot = cls.warm.back();
      cls.warm.pop_back();
      --excess_;
      if (slot.from_slab) {
        // Keep the address range, give back the pages; the canary reads as zero again.
        ::madvise(slot.mapping, static_cast<std::size_t>(slot.top - slot.mapping), MADV_DONTNEED);
        cls.cold.push_back(slot);
      } else {
        ::munmap(slot.mapping, slot.usable + page_size());
        guard_budget().fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
}

bool StackPool::canary_intact(const StackSlot& slot) noexcept {
  const volatile std::uint64_t* words = slot.canary();
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < StackSlot::canary_words; ++i) seen |= words[i];
  return seen == 0;
}

long StackPool::guard_budget_left() noexcept { return guard_budget().load(std::memory_order_relaxed); }

}  // namespace spindle::detail
