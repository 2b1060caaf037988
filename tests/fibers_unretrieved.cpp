// Exceptions nobody retrieved: reported once through the diagnostic sink with fiber name, type, message and spawn site.
#include "leak_check.hpp"

#include <stdexcept>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace spindle_test_errors {
struct DiskOnFire : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace spindle_test_errors

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string joined(const std::vector<std::string>& messages) {
  std::string text;
  for (const std::string& message : messages) text += message + "\n";
  return text;
}

// "fibers_unretrieved.cpp:<line>", as the report prints the spawn site (after the directory).
std::string this_file_at(int line) { return std::string("fibers_unretrieved.cpp:") + std::to_string(line); }

void throw_runtime_error() { throw std::runtime_error("the disk is full"); }

}  // namespace

TEST_CASE("an exception in a fiber whose handle is dropped unretrieved is reported once, with name, type, "
          "message and spawn site",
          "[fibers][unretrieved]") {
  test::CapturedDiagnostics diagnostics;
  int spawn_line = 0;
  test::run_virtual([&] {
    {
      spawn_line = __LINE__; auto handle = spawn(throw_runtime_error, {.name = "writer"});
      this_fiber::yield();  // it runs and fails
      CHECK(handle.done());
      CHECK(diagnostics.messages().empty());  // the handle could still retrieve it
    }
    CHECK(diagnostics.messages().size() == 1);  // reported when the handle went
  });
  const std::vector<std::string> messages = diagnostics.messages();
  INFO(joined(messages));
  REQUIRE(messages.size() == 1);
  CHECK(contains(messages[0], "'writer'"));
  CHECK(contains(messages[0], "std::runtime_error"));
  CHECK(contains(messages[0], "the disk is full"));
  CHECK(contains(messages[0], this_file_at(spawn_line)));
}

TEST_CASE("the report of an unretrieved exception names the spawn site when spawned without options",
          "[fibers][unretrieved]") {
  test::CapturedDiagnostics diagnostics;
  int spawn_line = 0;
  test::run_virtual([&] {
    spawn_line = __LINE__; auto handle = spawn(throw_runtime_error);
    handle.wait();
  });
  const std::vector<std::string> messages = diagnostics.messages();
  INFO(joined(messages));
  REQUIRE(messages.size() == 1);
  CHECK(contains(messages[0], this_file_at(spawn_line)));
}

TEST_CASE("the report demangles the exception type and names an unnamed fiber by id", "[fibers][unretrieved]") {
  test::CapturedDiagnostics diagnostics;
  FiberId id = 0;
  test::run_virtual([&] {
    auto handle = spawn([] { throw spindle_test_errors::DiskOnFire("smoke everywhere"); });
    id = handle.id();
    handle.wait();
  });
  const std::vector<std::string> messages = diagnostics.messages();
  INFO(joined(messages));
  REQUIRE(messages.size() == 1);
  CHECK(contains(messages[0], "'fiber#" + std::to_string(id) + "'"));
  CHECK(contains(messages[0], "spindle_test_errors::DiskOnFire"));
  CHECK(contains(messages[0], "smoke everywhere"));
}

TEST_CASE("an exception that is not a std::exception is reported by its type", "[fibers][unretrieved]") {
  test::CapturedDiagnostics diagnostics;
  test::run_virtual([] {
    auto handle = spawn([] { throw 42; }, {.name = "int-thrower"});
    handle.wait();
  });
  const std::vector<std::string> messages = diagnostics.messages();
  INFO(joined(messages));
  REQUIRE(messages.size() == 1);
  CHECK(contains(messages[0], "'int-thrower'"));
  CHECK(contains(messages[0], ": int (spawned at"));
}

TEST_CASE("retrieving the exception with join() or exception() suppresses the report", "[fibers][unretrieved]") {
  test::CapturedDiagnostics diagnostics;
  test::run_virtual([] {
    auto joined_handle = spawn(throw_runtime_error, {.name = "joined"});
    CHECK_THROWS_AS(joined_handle.join(), std::runtime_error);
    auto asked = spawn(throw_runtime_error, {.name = "asked"});
    CHECK(asked.exception() != nullptr);
    // Retrieved before the fiber ended: exception() waits for it.
    auto late = spawn([] {
      this_fiber::sleep_for(1s);
      throw_runtime_error();
    });
    CHECK(late.exception() != nullptr);
  });
  INFO(joined(diagnostics.messages()));
  CHECK(diagnostics.messages().empty());
}

TEST_CASE("a fiber that ends by CancelledError is not reported", "[fibers][unretrieved]") {
  test::CapturedDiagnostics diagnostics;
  test::run_virtual([] {
    auto sleeper = spawn([] { this_fiber::sleep_for(1h); }, {.name = "sleeper"});
    this_fiber::yield();
    sleeper.cancel("no longer needed");
    sleeper.wait();
    // Also one cancelled before it ever ran, and one detached while cancelled.
    auto never_started = spawn([] {}, {.name = "never-started"});
    never_started.cancel();
    never_started.wait();
    {
      auto detached = spawn([] { this_fiber::sleep_for(1h); }, {.name = "detached"});
      this_fiber::yield();
      detached.cancel();
    }
    this_fiber::sleep_for(1ms);
  });
  INFO(joined(diagnostics.messages()));
  CHECK(diagnostics.messages().empty());
}

TEST_CASE("a detached fiber that throws later is reported when it ends", "[fibers][unretrieved]") {
  test::CapturedDiagnostics diagnostics;
  int spawn_line = 0;
  test::run_virtual([&] {
    spawn_line = __LINE__; spawn([] { this_fiber::sleep_for(5s); throw std::logic_error("late failure"); }, {.name = "detached"});
    this_fiber::sleep_for(4s);
    CHECK(diagnostics.messages().empty());  // still running
    this_fiber::sleep_for(2s);
    CHECK(diagnostics.messages().size() == 1);  // it ended at 5 s, and nobody holds its handle
  });
  const std::vector<std::string> messages = diagnostics.messages();
  INFO(joined(messages));
  REQUIRE(messages.size() == 1);
  CHECK(contains(messages[0], "'detached'"));
  CHECK(contains(messages[0], "std::logic_error"));
  CHECK(contains(messages[0], "late failure"));
  CHECK(contains(messages[0], this_file_at(spawn_line)));
}

TEST_CASE("wait() does not retrieve: a failed fiber that was only waited for is still reported",
          "[fibers][unretrieved]") {
  test::CapturedDiagnostics diagnostics;
  test::run_virtual([&] {
    {
      auto handle = spawn(throw_runtime_error, {.name = "waited"});
      handle.wait();
      CHECK(handle.done());
      CHECK(diagnostics.messages().empty());
    }
    CHECK(diagnostics.messages().size() == 1);
  });
  const std::vector<std::string> messages = diagnostics.messages();
  INFO(joined(messages));
  REQUIRE(messages.size() == 1);
  CHECK(contains(messages[0], "'waited'"));
}

TEST_CASE("a fiber that returns normally is never reported, whether joined or dropped", "[fibers][unretrieved]") {
  test::CapturedDiagnostics diagnostics;
  test::run_virtual([] {
    spawn([] { return 1; });
    auto kept = spawn([] { return 2; });
    kept.wait();
    this_fiber::yield();
  });
  CHECK(diagnostics.messages().empty());
}
