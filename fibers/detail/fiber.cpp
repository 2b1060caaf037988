#include <spindle/fibers/detail/fiber.hpp>

#include <spindle/fibers/diagnostics.hpp>

#include <cxxabi.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <typeinfo>

namespace spindle::detail {
namespace {

std::atomic<std::size_t> live_blocks{0};

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> readable(abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && readable ? readable.get() : mangled;
}

// Free lists of control blocks in 64-byte size classes up to 1 KiB, capped per class. The state is
// trivially destructible so the thread_local needs no init wrapper (which would call
// __tls_get_addr on every access); the blocks are freed at thread exit by a separate cleanup object,
// registered on first use.
struct BlockCache {
  static constexpr std::size_t granule = 64;
  static constexpr std::size_t class_count = 16;
  static constexpr std::size_t cap = 65536;  // per class: a burst of that many spawns reuses every block

  void* heads[class_count];
  std::size_t counts[class_count];
  bool cleanup_registered;
};

[[gnu::tls_model("initial-exec")]] thread_local BlockCache block_cache;

struct BlockCacheCleanup {
  ~BlockCacheCleanup() {
    for (void*& head : block_cache.heads) {
      while (head != nullptr) {
        void* next = *static_cast<void**>(head);
        ::operator delete(head);
        head = next;
      }
    }
  }
};

[[gnu::noinline]] void register_block_cache_cleanup() {
  static thread_local BlockCacheCleanup cleanup;
  (void)cleanup;
  block_cache.cleanup_registered = true;
}

std::size_t block_class(std::size_t size) noexcept { return (size + BlockCache::granule - 1) / BlockCache::granule - 1; }

}  // namespace

void* FiberBase::operator new(std::size_t size) {
  std::size_t index = block_class(size);
  if (index >= BlockCache::class_count) return ::operator new(size);
  if (void* block = block_cache.heads[index]) {
    block_cache.heads[index] = *static_cast<void**>(block);
    --block_cache.counts[index];
    return block;
  }
  return ::operator new((index + 1) * BlockCache::granule);
}

void FiberBase::operator delete(void* block, std::size_t size) noexcept {
  std::size_t index = block_class(size);
  if (index >= BlockCache::class_count || block_cache.counts[index] >= BlockCache::cap) {
    ::operator delete(block);
    return;
  }
  if (!block_cache.cleanup_registered) [[unlikely]] register_block_cache_cleanup();
  *static_cast<void**>(block) = block_cache.heads[index];
  block_cache.heads[index] = block;
  ++block_cache.counts[index];
}

FiberBase::FiberBase(std::string name, std::size_t stack_size, std::source_location spawned_at)
    : stack_size(stack_size), name(std::move(name)), spawned_at(spawned_at) {
  live_blocks.fetch_add(1, std::memory_order_relaxed);
}

FiberBase::~FiberBase() { live_blocks.fetch_sub(1, std::memory_order_relaxed); }

bool is_cancellation(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const CancelledError&) {
    return true;
  } catch (...) {
    return false;
  }
}

std::size_t live_fiber_blocks() noexcept { return live_blocks.load(std::memory_order_relaxed); }

std::string FiberBase::display_name() const { return name.empty() ? "fiber#" + std::to_string(id) : name; }

std::string describe_exception(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const CancelledError& cancelled) {
    return "spindle::CancelledError: " + std::string(cancelled.what());
  } catch (const std::exception& exception) {
    return demangle(typeid(exception).name()) + ": " + exception.what();
  } catch (...) {
    const std::type_info* type = abi::__cxa_current_exception_type();
    return type != nullptr ? demangle(type->name()) : std::string("unknown exception");
  }
}

void release(FiberBase* fiber) noexcept {
  if (--fiber->refs != 0) return;
  if (fiber->failure && !fiber->outcome_observed && !is_cancellation(fiber->failure)) {
    try {
      emit_diagnostic("spindle: exception in fiber '" + fiber->display_name() +
                      "' was never retrieved: " + describe_exception(fiber->failure) + " (spawned at " +
                      fiber->spawned_at.file_name() + ":" + std::to_string(fiber->spawned_at.line()) + ")");
    } catch (...) {
    }
  }
  delete fiber;
}

}  // namespace spindle::detail
