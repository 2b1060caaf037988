// boostfiber_peer: Boost.Fiber peer for spindle's fiber benchmarks.
//
// Prints the same `metric=NAME value=NUMBER unit=UNIT` lines (and only those)
// on stdout as spindle's own benchmarks so a script can compare them as
// ratios; diagnostics go to stderr. Everything runs on one thread with the
// default round_robin scheduler.
//
//   yield  - two fibers ping-pong through this_fiber::yield(): cost of one
//            yield/context switch.
//   spawn  - create, run and join 1M trivial fibers; run twice so the second
//            ("warm") run reuses the stack pool filled by the first.
//   parked - 1M fibers blocked on one condition variable: resident memory
//            per parked fiber.
//
// Stacks: both spawn and parked use pooled_fixedsize_stack with 16 KiB
// stacks. With the 128 KiB default, 1M live stacks would need ~128 GiB of
// address space in a few huge malloc()s that overcommit refuses; at 16 KiB
// all 1M fibers can be live at once, so no batching is needed. The pool gets
// its memory from malloc() in a handful of doubling blocks (not one mmap per
// stack), so vm.max_map_count (65530) is not the limit it would be with
// protected_fixedsize_stack.
//
// Build: g++ -O2 -std=c++20 boostfiber_peer.cpp -lboost_fiber -lboost_context
// Usage: boostfiber_peer [--workload yield|spawn|parked|all] [--scale F]

#include <boost/fiber/all.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bf = boost::fibers;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kStackSize = 16 * 1024;

double g_scale = 1.0;

// base*scale, at least 1, so smoke runs still do some work.
std::size_t scaled(double base) {
    const double n = std::round(base * g_scale);
    return n < 1 ? 1 : static_cast<std::size_t>(n);
}

void report(const char* name, double value, const char* unit) {
    std::printf("metric=%s value=%.3f unit=%s\n", name, value, unit);
    std::fflush(stdout);
}

double ns_since(Clock::time_point t0) {
    return std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
}

// VmRSS from /proc/self/status, in bytes.
long rss_bytes() {
    std::ifstream in("/proc/self/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6) * 1024;
    }
    std::fprintf(stderr, "rss: VmRSS not found\n");
    std::exit(1);
}

void yield_bench() {
    const std::size_t n = scaled(10'000'000);
    auto body = [n] {
        for (std::size_t i = 0; i < n; ++i) boost::this_fiber::yield();
    };
    const auto t0 = Clock::now();
    bf::fiber a(body), b(body);
    a.join();
    b.join();
    report("yield_pingpong", ns_since(t0) / double(2 * n), "ns");
}

// All m fibers are live at once: launch::post means none runs until main
// blocks in the first join().
double spawn_once(std::size_t m, bf::pooled_fixedsize_stack& salloc) {
    std::vector<bf::fiber> fibers;
    fibers.reserve(m);
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < m; ++i) fibers.emplace_back(std::allocator_arg, salloc, [] {});
    for (auto& f : fibers) f.join();
    return ns_since(t0) / double(m);
}

void spawn_bench() {
    const std::size_t m = scaled(1'000'000);
    // One allocator (copies share its pool), so the warm run reuses the
    // stacks the cold run allocated and freed.
    bf::pooled_fixedsize_stack salloc(kStackSize);
    report("spawn_complete_cold", spawn_once(m, salloc), "ns");
    report("spawn_complete_warm", spawn_once(m, salloc), "ns");
}

void parked_bench() {
    const std::size_t m = scaled(1'000'000);
    bf::pooled_fixedsize_stack salloc(kStackSize);
    bf::mutex mtx;
    bf::condition_variable all_parked, release;
    std::size_t parked = 0, target = 0;
    bool released = false;

    auto body = [&] {
        std::unique_lock lk(mtx);
        // target is final by now: no fiber runs before main blocks below.
        if (++parked == target) all_parked.notify_one();
        release.wait(lk, [&] { return released; });
    };

    std::vector<bf::fiber> fibers;
    fibers.reserve(m);  // handles are 8 bytes each; counted in the delta
    const long before = rss_bytes();
    try {
        while (fibers.size() < m) fibers.emplace_back(std::allocator_arg, salloc, body);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "parked: fiber #%zu failed to start (%s); measuring with %zu fibers\n",
                     fibers.size() + 1, e.what(), fibers.size());
    }
    const std::size_t count = fibers.size();
    if (count == 0) {
        std::fprintf(stderr, "parked: no fiber could be started\n");
        std::exit(1);
    }
    {
        std::unique_lock lk(mtx);
        target = count;
        // Wait until every fiber has run and is parked on `release`.
        all_parked.wait(lk, [&] { return parked == count; });
    }
    const long after = rss_bytes();
    report("parked_rss_per_fiber", double(after - before) / double(count), "bytes");
    if (count < m) report("parked_max_fibers", double(count), "fibers");

    {
        std::unique_lock lk(mtx);
        released = true;
    }
    release.notify_all();
    for (auto& f : fibers) f.join();
}

[[noreturn]] void usage() {
    std::fprintf(stderr, "usage: boostfiber_peer [--workload yield|spawn|parked|all] [--scale F]\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    std::string workload = "all";
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--workload" && i + 1 < argc) {
            workload = argv[++i];
        } else if (arg == "--scale" && i + 1 < argc) {
            g_scale = std::atof(argv[++i]);
            if (!(g_scale > 0)) usage();
        } else {
            usage();
        }
    }

    const struct {
        const char* name;
        void (*run)();
    } benches[] = {{"yield", yield_bench}, {"spawn", spawn_bench}, {"parked", parked_bench}};

    bool ran = false;
    for (const auto& b : benches) {
        if (workload == "all" || workload == b.name) {
            b.run();
            ran = true;
        }
    }
    if (!ran) usage();
    return 0;
}
