// Fiber stacks: per-spawn and default sizes, SPINDLE_STACK_SIZE, pooled reuse, canary mode at scale, the guard-page budget and its fallback.
#include "leak_check.hpp"

#include <spindle/fibers/detail/scheduler_core.hpp>
#include <spindle/fibers/detail/stack_pool.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t KiB = 1024;
constexpr std::size_t MiB = 1024 * KiB;

#if defined(__SANITIZE_ADDRESS__)
constexpr std::size_t built_in_default = 512 * KiB;
#else
constexpr std::size_t built_in_default = 128 * KiB;
#endif

std::size_t running_stack_size() { return detail::SchedulerCore::running_fiber()->stack.usable; }
bool running_stack_guarded() { return detail::SchedulerCore::running_fiber()->stack.guarded; }

// Writes every page of a 200 KiB local buffer and reads it back: needs more than the 128 KiB default.
[[gnu::noinline]] long use_200_kib_of_stack() {
  volatile char buffer[200 * KiB];
  for (std::size_t i = 0; i < sizeof buffer; i += 512) buffer[i] = static_cast<char>(i / 512);
  long sum = 0;
  for (std::size_t i = 0; i < sizeof buffer; i += 512) sum += buffer[i];
  return sum;
}

long expected_200_kib_sum() {
  long sum = 0;
  for (std::size_t i = 0; i < 200 * KiB; i += 512) sum += static_cast<char>(i / 512);
  return sum;
}

std::size_t mapping_count() {
  std::ifstream maps("/proc/self/maps");
  std::size_t lines = 0;
  for (std::string line; std::getline(maps, line);) ++lines;
  return lines;
}

// Sets (or clears) an environment variable for one scope and restores what was there before.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) previous_ = old;
    if (value != nullptr) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (previous_) {
      ::setenv(name_, previous_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> previous_;
};

// The default stack size a scheduler built with `options` gives a fiber spawned without a size.
std::size_t default_stack_of(SchedulerOptions options) {
  options.virtual_clock = true;
  return test::run_virtual([] { return spawn([] { return running_stack_size(); }).join(); }, options);
}

std::string status_text(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "raw wait status " + std::to_string(status);
}

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (std::size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++count;
  return count;
}

// Child: spends the whole guard budget through a guard_pages pool, checks the next acquire fails,
// then gives everything back. Reports on stderr; exits non-zero if something is off.
void exhaust_guard_budget() {
  const long initial = detail::StackPool::guard_budget_left();
  std::fprintf(stderr, "initial budget %ld\n", initial);
  {
    detail::StackPool pool(16 * KiB, StackProtection::guard_pages);
    std::vector<detail::StackSlot> held;
    while (detail::StackPool::guard_budget_left() > 0) {
      held.push_back(pool.acquire(0));
      if (!held.back().guarded) std::_Exit(10);
    }
    std::fprintf(stderr, "held %zu guarded stacks\n", held.size());
    try {
      pool.acquire(0);
      std::_Exit(11);  // no error
    } catch (const std::system_error& error) {
      std::fprintf(stderr, "acquire failed: %s\n", error.what());
    }
    if (detail::StackPool::guard_budget_left() != 0) std::_Exit(12);  // the failed attempt gave its slot back
    for (const detail::StackSlot& slot : held) pool.release(slot);
  }
  if (detail::StackPool::guard_budget_left() != initial) std::_Exit(13);
  std::fprintf(stderr, "budget restored\n");
}

// Child: with the guard budget spent, automatic protection falls back to canaries, announces it
// once on stderr, and a scheduler still runs fibers on canary stacks.
void fall_back_to_canaries() {
  detail::StackPool guarded(16 * KiB, StackProtection::guard_pages);
  std::vector<detail::StackSlot> held;
  while (detail::StackPool::guard_budget_left() > 0) held.push_back(guarded.acquire(0));
  std::fprintf(stderr, "budget spent\n");
  {
    detail::StackPool automatic(16 * KiB, StackProtection::automatic);
    detail::StackSlot first = automatic.acquire(0);
    detail::StackSlot second = automatic.acquire(32 * KiB);
    if (first.guarded || second.guarded) std::_Exit(20);
    if (!detail::StackPool::canary_intact(first) || !detail::StackPool::canary_intact(second)) std::_Exit(21);
    automatic.release(first);
    automatic.release(second);
  }
  {
    Scheduler scheduler({.virtual_clock = true});
    bool guarded_stack = scheduler.run([] { return spawn([] { return running_stack_guarded(); }).join(); });
    if (guarded_stack) std::_Exit(22);
  }
  for (const detail::StackSlot& slot : held) guarded.release(slot);
  std::fprintf(stderr, "fibers ran on canary stacks\n");
}

}  // namespace

TEST_CASE("a fiber spawned with stack_size 512 KiB gets it and can use a 200 KiB local buffer", "[fibers][stacks]") {
  test::run_virtual([] {
    auto big = spawn([] { return std::pair{running_stack_size(), use_200_kib_of_stack()}; },
                     {.name = "big", .stack_size = 512 * KiB});
    auto [size, sum] = big.join();
    CHECK(size == 512 * KiB);
    CHECK(sum == expected_200_kib_sum());
  });
}

TEST_CASE("a stack_size that is not a page multiple is rounded up, never down", "[fibers][stacks]") {
  test::run_virtual([] {
    std::size_t size = spawn([] { return running_stack_size(); }, {.stack_size = 100'000}).join();
    CHECK(size >= 100'000);
    CHECK(size % static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)) == 0);
    CHECK(size < 100'000 + static_cast<std::size_t>(::sysconf(_SC_PAGESIZE)));
  });
}

TEST_CASE("SchedulerOptions::default_stack_size sizes every fiber spawned without its own size", "[fibers][stacks]") {
  test::run_virtual(
      [] {
        CHECK(running_stack_size() == 384 * KiB);  // main too
        auto roomy = spawn([] { return std::pair{running_stack_size(), use_200_kib_of_stack()}; });
        auto [size, sum] = roomy.join();
        CHECK(size == 384 * KiB);
        CHECK(sum == expected_200_kib_sum());
        CHECK(spawn([] { return running_stack_size(); }, {.stack_size = 64 * KiB}).join() == 64 * KiB);
      },
      {.default_stack_size = 384 * KiB, .virtual_clock = true});
}

TEST_CASE("SPINDLE_STACK_SIZE sets the default stack size, with K and M suffixes", "[fibers][stacks]") {
  SECTION("unset: the built-in default") {
    ScopedEnv env("SPINDLE_STACK_SIZE", nullptr);
    CHECK(default_stack_of({}) == built_in_default);
  }
  SECTION("256K") {
    ScopedEnv env("SPINDLE_STACK_SIZE", "256K");
    CHECK(default_stack_of({}) == 256 * KiB);
  }
  SECTION("1M") {
    ScopedEnv env("SPINDLE_STACK_SIZE", "1M");
    CHECK(default_stack_of({}) == 1 * MiB);
  }
  SECTION("lower-case suffix") {
    ScopedEnv env("SPINDLE_STACK_SIZE", "192k");
    CHECK(default_stack_of({}) == 192 * KiB);
  }
  SECTION("plain bytes") {
    ScopedEnv env("SPINDLE_STACK_SIZE", "327680");
    CHECK(default_stack_of({}) == 320 * KiB);
  }
  SECTION("a fiber under it can use what it grants") {
    ScopedEnv env("SPINDLE_STACK_SIZE", "1M");
    long sum = test::run_virtual([] { return spawn(use_200_kib_of_stack).join(); });
    CHECK(sum == expected_200_kib_sum());
  }
  SECTION("an explicit default_stack_size wins over the variable") {
    ScopedEnv env("SPINDLE_STACK_SIZE", "1M");
    CHECK(default_stack_of({.default_stack_size = 64 * KiB}) == 64 * KiB);
  }
  SECTION("read when the scheduler is built, not later") {
    ScopedEnv env("SPINDLE_STACK_SIZE", "256K");
    test::run_virtual([] {
      ScopedEnv changed("SPINDLE_STACK_SIZE", "1M");
      CHECK(spawn([] { return running_stack_size(); }).join() == 256 * KiB);
    });
  }
}

TEST_CASE("stacks are pooled: 1000 sequential spawn+join map a couple of stacks, not 1000", "[fibers][stacks]") {
  const long budget_before = detail::StackPool::guard_budget_left();
  const std::size_t maps_before = mapping_count();
  long lowest_budget = budget_before;
  std::size_t most_maps = maps_before;
  test::run_virtual([&] {
    for (int i = 0; i < 1000; ++i) {
      spawn([&] {
        lowest_budget = std::min(lowest_budget, detail::StackPool::guard_budget_left());
        CHECK(running_stack_guarded());
      }).join();
      if (i % 100 == 99) most_maps = std::max(most_maps, mapping_count());
    }
  });
  // main's stack and one worker stack, used over and over.
  CHECK(budget_before - lowest_budget <= 2);
  CHECK(most_maps - maps_before < 20);
  // Everything is given back when the scheduler goes.
  CHECK(detail::StackPool::guard_budget_left() == budget_before);
}

TEST_CASE("automatic protection guards stacks while the map budget lasts; canary protection never does",
          "[fibers][stacks]") {
  const long budget_before = detail::StackPool::guard_budget_left();
  REQUIRE(budget_before > 10);
  CHECK(test::run_virtual([] { return spawn(running_stack_guarded).join(); }));
  CHECK_FALSE(test::run_virtual([] { return spawn(running_stack_guarded).join(); },
                                {.stack_protection = StackProtection::canary, .virtual_clock = true}));
  CHECK(detail::StackPool::guard_budget_left() == budget_before);
}

TEST_CASE("canary protection holds 100,000 fibers parked at once, and all of them finish", "[fibers][stacks]") {
  constexpr std::size_t count = 100'000;
  const long budget_before = detail::StackPool::guard_budget_left();
  test::run_virtual(
      [&] {
        WaitList gate;
        std::size_t arrived = 0;
        std::size_t finished = 0;
        std::vector<JoinHandle<void>> fibers;
        fibers.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
          fibers.push_back(spawn(
              [&] {
                ++arrived;
                gate.wait("gate");
                ++finished;
              },
              {.stack_size = 32 * KiB}));
        }
        this_fiber::yield();  // every one runs up to the gate
        REQUIRE(arrived == count);
        CHECK(gate.size() == count);
        CHECK(Scheduler::current()->live_fibers() == count + 1);
        CHECK(detail::StackPool::guard_budget_left() == budget_before);  // no guard page was spent
        CHECK(gate.wake_all() == count);
        for (JoinHandle<void>& fiber : fibers) fiber.join();
        CHECK(finished == count);
      },
      {.stack_protection = StackProtection::canary, .virtual_clock = true});
}

TEST_CASE("guard_pages protection refuses a stack beyond the map budget with an error naming max_map_count",
          "[fibers][stacks]") {
  // The budget is process-wide: spend it in a child process.
  auto [status, err] = test::run_in_child(exhaust_guard_budget);
  INFO("child " << status_text(status) << ", stderr:\n" << err);
  REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK(err.find("acquire failed: ") != std::string::npos);
  CHECK(err.find("max_map_count") != std::string::npos);
  CHECK(err.find("budget restored") != std::string::npos);
}

TEST_CASE("automatic protection beyond the map budget falls back to canaries and says so once on stderr",
          "[fibers][stacks]") {
  auto [status, err] = test::run_in_child(fall_back_to_canaries);
  INFO("child " << status_text(status) << ", stderr:\n" << err);
  REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  CHECK(err.find("fibers ran on canary stacks") != std::string::npos);
  CHECK(count_of(err, "memory-map budget") == 1);
  CHECK(err.find("canary") != std::string::npos);
  CHECK(err.find("vm.max_map_count") != std::string::npos);
}
