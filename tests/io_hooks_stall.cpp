// Debug mode names a fiber stuck in a blocking call that escaped the hooks, and the call itself.
#include "hooks_support.hpp"

#include <string>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("the stall watchdog names the fiber and the system call it is blocked in") {
  test::CapturedDiagnostics diagnostics;
  {
    Scheduler scheduler({.debug = true, .stall_threshold = 50ms});
    scheduler.run([&] {
      auto pair = test::BlockingPair::pipe();
      test::SafetyRelease release(pair.writer, 'S', 400ms);  // what finally frees the thread
      auto stuck = spawn(
          [&] {
            UnpatchedScope escaped;  // the read below goes straight to the kernel and blocks the thread
            char byte = 0;
            CHECK(::read(pair.reader, &byte, 1) == 1);
          },
          SpawnOptions{.name = "stuck-reader"});
      stuck.join();
    });
  }
  bool named = false;
  std::string expected_call = "read(fd ";
  for (const std::string& message : diagnostics.messages()) {
    INFO(message);
    if (message.find("fiber 'stuck-reader'") != std::string::npos &&
        message.find("blocked in the system call " + expected_call) != std::string::npos) {
      named = true;
    }
  }
  CHECK(named);
}
