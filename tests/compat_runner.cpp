// run(main) and Runner: values, exceptions, reuse, cleanup, debug mode; SIGINT/SIGTERM handling
// (in forked children, since it exits the process).
#include "leak_check.hpp"

#include <spindle/compat/runner.hpp>

#include <csignal>
#include <stdexcept>
#include <string>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("run returns main's value and leaves nothing behind", "[compat][runner]") {
  int value = run([] {
    spindle::sleep(1ms);
    return 42;
  });
  CHECK(value == 42);
  CHECK(Scheduler::current() == nullptr);
}

TEST_CASE("run rethrows main's exception", "[compat][runner]") {
  CHECK_THROWS_WITH(run([]() -> int { throw std::runtime_error("main failed"); }), "main failed");
}

TEST_CASE("run cancels and unwinds the tasks main left running", "[compat][runner]") {
  bool unwound = false;
  run([&] {
    create_task([&] {
      test::SetOnDestroy mark{unwound};
      spindle::sleep(1h);
    });
    spindle::sleep(0s);
  }, SchedulerOptions{.virtual_clock = true});
  CHECK(unwound);
}

TEST_CASE("a Runner runs several mains on one loop; tasks live between runs until close", "[compat][runner]") {
  Runner runner({.virtual_clock = true});
  bool background_done = false;
  runner.run([&] {
    create_task([&] {
      spindle::sleep(2s);
      background_done = true;
    });
  });
  CHECK_FALSE(background_done);
  double before = runner.get_loop().time();
  std::string second = runner.run([] {
    spindle::sleep(5s);
    return std::string("second");
  });
  CHECK(second == "second");
  CHECK(background_done);
  CHECK(runner.get_loop().time() - before == Approx(5.0));
  runner.close();
  CHECK(runner.get_loop().is_closed());
  CHECK_THROWS_AS(runner.run([] {}), InvalidStateError);
}

TEST_CASE("one loop per thread: a second Runner on the thread is refused", "[compat][runner]") {
  Runner runner;
  CHECK_THROWS_AS(Runner(), FiberError);
}

namespace {

// A loop callback that holds the thread for 120 ms, over debug mode's 100 ms threshold.
void schedule_slow_callback() {
  Loop::current().call_soon([] {
    auto until = std::chrono::steady_clock::now() + 120ms;
    while (std::chrono::steady_clock::now() < until) {
    }
  });
}

}  // namespace

TEST_CASE("run(main, debug) names a slow callback and where it was scheduled", "[compat][runner][debug]") {
  test::CapturedDiagnostics diagnostics;
  run([] {
    schedule_slow_callback();
    spindle::sleep(0s);
  }, /*debug=*/true);
  bool named = false;
  for (const std::string& message : diagnostics.messages()) {
    UNSCOPED_INFO(message);
    if (message.find("callback") != std::string::npos && message.find("compat_runner.cpp:") != std::string::npos &&
        message.find("slow callback threshold 100 ms") != std::string::npos) {
      named = true;
    }
  }
  CHECK(named);
}

TEST_CASE("without debug mode a slow callback is not reported", "[compat][runner][debug]") {
  if (const char* env = std::getenv("SPINDLE_DEBUG"); env != nullptr && std::string(env) == "1") return;
  test::CapturedDiagnostics diagnostics;
  run([] {
    schedule_slow_callback();
    spindle::sleep(0s);
  });
  CHECK(diagnostics.messages().empty());
}

TEST_CASE("debug mode reports an unretrieved task exception with where the task was created", "[compat][runner][debug]") {
  test::CapturedDiagnostics diagnostics;
  run([] {
    create_task([] { throw std::runtime_error("nobody looked"); }, "forgotten");
    spindle::sleep(0s);
  }, true);
  REQUIRE(diagnostics.messages().size() == 1);
  const std::string message = diagnostics.messages().front();
  CHECK(message.find("forgotten") != std::string::npos);
  CHECK(message.find("compat_runner.cpp:") != std::string::npos);
  CHECK(message.find("nobody looked") != std::string::npos);
}

namespace {

// The test runner catches SIGINT and SIGTERM itself, and run() leaves handled signals alone: each
// child starts as a plain program would.
void restore_default_signal_actions() {
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
}

}  // namespace

TEST_CASE("SIGINT cancels main, run cleans up and exits with status 130", "[compat][runner][signals]") {
  auto [status, errors] = test::run_in_child([] {
    restore_default_signal_actions();
    struct ReportUnwind {
      ~ReportUnwind() { std::fprintf(stderr, "background task unwound\n"); }
    };
    run([] {
      create_task([] {
        ReportUnwind report;
        spindle::sleep(1h);
      });
      Loop::current().call_later(1s, [] { ::raise(SIGINT); });
      try {
        spindle::sleep(1h);
      } catch (const CancelledError& cancelled) {
        std::fprintf(stderr, "main saw: %s\n", cancelled.what());
        throw;
      }
    }, SchedulerOptions{.virtual_clock = true});
    std::_Exit(0);
  });
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 130);
  auto main_saw = errors.find("main saw: interrupted by SIGINT");
  auto unwound = errors.find("background task unwound");
  auto reported = errors.find("spindle: interrupted by SIGINT");
  REQUIRE(main_saw != std::string::npos);
  REQUIRE(unwound != std::string::npos);
  REQUIRE(reported != std::string::npos);
  CHECK(main_saw < unwound);
  CHECK(unwound < reported);  // cleanup first, then the report and the exit
}

TEST_CASE("SIGTERM cancels main and run exits with status 143", "[compat][runner][signals]") {
  auto [status, errors] = test::run_in_child([] {
    restore_default_signal_actions();
    run([] {
      Loop::current().call_later(1s, [] { ::raise(SIGTERM); });
      spindle::sleep(1h);
    }, SchedulerOptions{.virtual_clock = true});
    std::_Exit(0);
  });
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 143);
  CHECK(errors.find("interrupted by SIGTERM") != std::string::npos);
}

TEST_CASE("a second SIGINT kills a main that will not stop", "[compat][runner][signals]") {
  auto [status, errors] = test::run_in_child([] {
    restore_default_signal_actions();
    run([] {
      Loop::current().call_later(1s, [] { ::raise(SIGINT); });
      Loop::current().call_later(2s, [] { ::raise(SIGINT); });
      try {
        spindle::sleep(1h);
      } catch (const CancelledError&) {
        std::fprintf(stderr, "ignoring the first signal\n");
        spindle::sleep(1h);  // ignores the first signal: only the second one ends this
      }
    }, SchedulerOptions{.virtual_clock = true});
    std::_Exit(0);
  });
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGINT);
  CHECK(errors.find("ignoring the first signal") != std::string::npos);
}

TEST_CASE("a main that handles the cancellation and returns ends run normally", "[compat][runner][signals]") {
  auto [status, errors] = test::run_in_child([] {
    restore_default_signal_actions();
    int value = run([] {
      Loop::current().call_later(1s, [] { ::raise(SIGINT); });
      try {
        spindle::sleep(1h);
      } catch (const CancelledError&) {
        return 7;
      }
      return 0;
    }, SchedulerOptions{.virtual_clock = true});
    std::_Exit(value);
  });
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 7);
}

TEST_CASE("run restores the signal dispositions it found and leaves handled signals alone", "[compat][runner][signals]") {
  auto [status, errors] = test::run_in_child([] {
    restore_default_signal_actions();
    run([] {});
    struct sigaction after {};
    ::sigaction(SIGINT, nullptr, &after);
    if (after.sa_handler != SIG_DFL) std::_Exit(1);
    // A program with its own SIGTERM handler keeps it: run does not take the signal over.
    static volatile std::sig_atomic_t own_handler_ran = 0;
    ::signal(SIGTERM, [](int) { own_handler_ran = 1; });
    run([] {
      ::raise(SIGTERM);
      spindle::sleep(0s);
    });
    std::_Exit(own_handler_ran == 1 ? 0 : 2);
  });
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("off the main thread run installs no signal handlers", "[compat][runner][signals]") {
  struct sigaction before {}, during {};
  ::sigaction(SIGINT, nullptr, &before);
  std::thread([&] {
    run([&] { ::sigaction(SIGINT, nullptr, &during); });
  }).join();
  CHECK(during.sa_handler == before.sa_handler);
}
