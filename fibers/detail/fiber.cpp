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

bool is_cancellation(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const CancelledError&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace

FiberBase::FiberBase(std::string name, std::size_t stack_size, std::source_location spawned_at)
    : stack_size(stack_size), name(std::move(name)), spawned_at(spawned_at) {
  live_blocks.fetch_add(1, std::memory_order_relaxed);
}

FiberBase::~FiberBase() { live_blocks.fetch_sub(1, std::memory_order_relaxed); }

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
