// Introspection: list_fibers() and dump_fibers() (names, states, parked reasons, time in state) and the SIGUSR1 dump of debug mode.
#include "leak_check.hpp"

#include <unistd.h>

#include <csignal>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

std::map<std::string, FiberInfo> by_name(const std::vector<FiberInfo>& fibers) {
  std::map<std::string, FiberInfo> named;
  for (const FiberInfo& fiber : fibers) named.emplace(fiber.name, fiber);
  return named;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The line of a dump that names fiber `name` (quoted, as the dump prints it), or "".
std::string line_naming(const std::vector<std::string>& lines, const std::string& name) {
  for (const std::string& line : lines) {
    if (line.find("'" + name + "'") != std::string::npos) return line;
  }
  return {};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A pipe whose read end a fiber can wait on; forgets the descriptors before closing them.
struct Pipe {
  int fds[2];
  Pipe() { REQUIRE(::pipe(fds) == 0); }
  ~Pipe() {
    forget_fd(fds[0]);
    forget_fd(fds[1]);
    ::close(fds[0]);
    ::close(fds[1]);
  }
};


}  // namespace


TEST_CASE("list_fibers is empty on a thread without a scheduler", "[fibers][introspect]") {
  CHECK(list_fibers().empty());
  std::ostringstream out;
  dump_fibers(out);
  CHECK(out.str().empty());
}

TEST_CASE("list_fibers shows the caller running and a fiber not yet started ready, newest first",
          "[fibers][introspect]") {
  test::run_virtual([] {
    auto worker = spawn([] {}, {.name = "worker"});
    std::vector<FiberInfo> fibers = list_fibers();
    REQUIRE(fibers.size() == 2);
    CHECK(fibers[0].name == "worker");
    CHECK(fibers[0].id == worker.id());
    CHECK(fibers[0].state == "ready");
    CHECK(fibers[0].parked_on.empty());
    CHECK(fibers[1].name == "main");
    CHECK(fibers[1].id == this_fiber::id());
    CHECK(fibers[1].state == "running");
    CHECK(fibers[1].parked_on.empty());
    worker.join();
    CHECK(list_fibers().size() == 1);
  });
}

TEST_CASE("list_fibers seen from a spawned fiber shows it running and main parked on the join",
          "[fibers][introspect]") {
  test::run_virtual([] {
    auto looker = spawn([] { return list_fibers(); }, {.name = "looker"});
    auto named = by_name(looker.join());
    REQUIRE(named.count("looker") == 1);
    CHECK(named["looker"].state == "running");
    REQUIRE(named.count("main") == 1);
    CHECK(named["main"].state == "parked");
    CHECK(named["main"].parked_on == "join");
  });
}

TEST_CASE("list_fibers names what each parked fiber waits for", "[fibers][introspect]") {
  test::run_virtual([] {
    Pipe pipe;
    WaitList answers;
    auto sleeper = spawn([] { this_fiber::sleep_for(10s); }, {.name = "sleeper"});
    auto target = spawn([] { this_fiber::sleep_for(20s); }, {.name = "target"});
    auto joiner = spawn([&] { target.join(); }, {.name = "joiner"});
    auto reader = spawn([&] { return wait_readable(pipe.fds[0]); }, {.name = "reader"});
    auto asker = spawn([&] { answers.wait("waiting for the answer"); }, {.name = "asker"});
    auto anonymous = spawn([&] { answers.wait("waiting for the answer"); });
    auto idle = spawn([] {}, {.name = "idle"});
    this_fiber::yield();  // every fiber spawned runs up to its wait; "idle" ends

    auto named = by_name(list_fibers());
    CHECK(named.size() == 7);  // main and the six that wait
    CHECK(named.count("idle") == 0);
    const std::map<std::string, std::string> expected = {
        {"sleeper", "sleep"},
        {"target", "sleep"},
        {"joiner", "join"},
        {"reader", "fd readable"},
        {"asker", "waiting for the answer"},
        {"fiber#" + std::to_string(anonymous.id()), "waiting for the answer"},
    };
    for (const auto& [name, reason] : expected) {
      INFO("fiber " << name);
      REQUIRE(named.count(name) == 1);
      CHECK(named[name].state == "parked");
      CHECK(named[name].parked_on == reason);
    }
    CHECK(named["main"].state == "running");

    REQUIRE(::write(pipe.fds[1], "x", 1) == 1);
    CHECK(answers.wake_all() == 2);
    CHECK(reader.join());
    asker.join();
    anonymous.join();
    sleeper.join();
    joiner.join();
    CHECK(list_fibers().size() == 1);
  });
}

TEST_CASE("in_state of a parked fiber grows as virtual time passes", "[fibers][introspect]") {
  test::run_virtual([] {
    WaitList never;
    auto parked = spawn([&] { never.wait("parked for the test"); }, {.name = "parked"});
    this_fiber::yield();  // it parks now, at t0
    const TimePoint t0 = now();

    this_fiber::sleep_for(5s);
    auto named = by_name(list_fibers());
    REQUIRE(named.count("parked") == 1);
    CHECK(named["parked"].in_state >= 5s);
    CHECK(named["parked"].in_state < 6s);
    CHECK(named["main"].in_state < 1s);  // it has only just resumed

    this_fiber::sleep_for(2s);
    named = by_name(list_fibers());
    CHECK(named["parked"].in_state >= now() - t0);
    CHECK(named["parked"].in_state >= 7s);

    never.wake_all();
    parked.join();
  });
}

TEST_CASE("dump_fibers prints one line per live fiber with its name, state and reason", "[fibers][introspect]") {
  test::run_virtual([] {
    WaitList list;
    auto sleeper = spawn([] { this_fiber::sleep_for(1h); }, {.name = "sleeper"});
    auto waiter = spawn([&] { list.wait("custom wait"); }, {.name = "waiter"});
    this_fiber::yield();
    auto fresh = spawn([] {}, {.name = "fresh"});

    std::ostringstream out;
    dump_fibers(out);
    INFO(out.str());
    const std::vector<std::string> lines = lines_of(out.str());
    REQUIRE(lines.size() == 1 + 4);  // a header, then main, sleeper, waiter, fresh
    CHECK(contains(lines[0], "4 live fiber(s)"));

    const std::string sleeper_line = line_naming(lines, "sleeper");
    CHECK(contains(sleeper_line, "parked"));
    CHECK(contains(sleeper_line, "sleep"));
    const std::string waiter_line = line_naming(lines, "waiter");
    CHECK(contains(waiter_line, "parked"));
    CHECK(contains(waiter_line, "custom wait"));
    CHECK(contains(line_naming(lines, "fresh"), "ready"));
    CHECK(contains(line_naming(lines, "main"), "running"));
    CHECK(contains(sleeper_line, std::to_string(sleeper.id())));

    // The scheduler's own dump() prints the same thing.
    std::ostringstream direct;
    Scheduler::current()->dump(direct);
    CHECK(direct.str() == out.str());

    sleeper.cancel();
    list.wake_all();
    fresh.join();
    waiter.join();
    CHECK_THROWS_AS(sleeper.join(), CancelledError);
  });
}

TEST_CASE("in debug mode SIGUSR1 makes the scheduler dump its fibers through the sink at its next poll",
          "[fibers][introspect]") {
  test::CapturedDiagnostics diagnostics;
  test::run_virtual(
      [&] {
        WaitList list;
        auto napper = spawn([] { this_fiber::sleep_for(1h); }, {.name = "napper"});
        auto waiter = spawn([&] { list.wait("waiting for SIGUSR1"); }, {.name = "waiter"});
        this_fiber::yield();

        REQUIRE(std::raise(SIGUSR1) == 0);
        CHECK(diagnostics.messages().empty());  // the handler only writes an eventfd
        this_fiber::sleep_for(1ms);             // all parked: the loop polls
        std::vector<std::string> messages = diagnostics.messages();
        REQUIRE(messages.size() == 1);
        INFO(messages[0]);
        const std::vector<std::string> lines = lines_of(messages[0]);
        CHECK(lines.size() == 1 + 3);
        CHECK(contains(line_naming(lines, "napper"), "sleep"));
        CHECK(contains(line_naming(lines, "waiter"), "waiting for SIGUSR1"));
        CHECK(contains(line_naming(lines, "main"), "parked"));  // it was asleep when the poll ran

        this_fiber::sleep_for(1ms);
        CHECK(diagnostics.messages().size() == 1);  // one dump per signal

        REQUIRE(std::raise(SIGUSR1) == 0);
        this_fiber::sleep_for(1ms);
        CHECK(diagnostics.messages().size() == 2);

        napper.cancel();
        list.wake_all();
        waiter.join();
        CHECK_THROWS_AS(napper.join(), CancelledError);
      },
      {.virtual_clock = true, .debug = true});
}
