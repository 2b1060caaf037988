#include <spindle/io/hooks.hpp>

#include <spindle/io/hooks/detail/gate.hpp>

#include <spindle/fibers/errors.hpp>
#include <spindle/fibers/this_fiber.hpp>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <vector>

namespace spindle {
namespace detail::hooks {
namespace {

std::mutex opt_out_mutex;
std::vector<FiberId> opted_out;  // one entry per live scope; a handful at most in practice

[[gnu::constructor]] void read_environment() {
  const char* setting = std::getenv("SPINDLE_PATCH");
  if (setting != nullptr && setting[0] == '0') patched.store(false, std::memory_order_relaxed);
}

}  // namespace

bool fiber_opted_out(FiberId id) noexcept {
  std::lock_guard lock(opt_out_mutex);
  return std::find(opted_out.begin(), opted_out.end(), id) != opted_out.end();
}

}  // namespace detail::hooks

void patch_all() noexcept { detail::hooks::patched.store(true, std::memory_order_relaxed); }
void unpatch() noexcept { detail::hooks::patched.store(false, std::memory_order_relaxed); }
bool is_patched() noexcept { return detail::hooks::patched.load(std::memory_order_relaxed); }

UnpatchedScope::UnpatchedScope() : fiber_(this_fiber::id()) {
  if (fiber_ == 0) throw FiberError("spindle::UnpatchedScope created outside a fiber");
  std::lock_guard lock(detail::hooks::opt_out_mutex);
  detail::hooks::opted_out.push_back(fiber_);
  detail::hooks::unpatched_scopes.fetch_add(1, std::memory_order_relaxed);
}

UnpatchedScope::~UnpatchedScope() {
  std::lock_guard lock(detail::hooks::opt_out_mutex);
  auto& ids = detail::hooks::opted_out;
  ids.erase(std::find(ids.begin(), ids.end(), fiber_));
  detail::hooks::unpatched_scopes.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace spindle
