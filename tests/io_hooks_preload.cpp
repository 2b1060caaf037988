// LD_PRELOAD=libspindle_hooks.so makes an unmodified spindle binary's blocking calls cooperative.
#include "hooks_support.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

// Runs the probe program (five fibers, each usleep(100 ms)) and returns the wall time it printed.
long probe_milliseconds(const char* preload) {
  int out[2];
  REQUIRE(::pipe(out) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    if (preload != nullptr) {
      ::setenv("LD_PRELOAD", preload, 1);
      // A sanitizer build's runtime insists on coming first; the hooks forward to it anyway.
      ::setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=0", 1);
    }
    ::execl(SPINDLE_HOOKS_PRELOAD_PROBE, SPINDLE_HOOKS_PRELOAD_PROBE, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buffer[64];
  ssize_t got;
  while ((got = ::read(out[0], buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(got));
  ::close(out[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return std::stol(text);
}

}  // namespace

TEST_CASE("LD_PRELOAD of the hooks makes an unmodified binary's sleeps overlap") {
  long preloaded = probe_milliseconds(SPINDLE_HOOKS_LIBRARY);
  long plain = probe_milliseconds(nullptr);
  INFO("5 x usleep(100 ms): " << preloaded << " ms preloaded, " << plain << " ms without");
  CHECK(preloaded < 400);  // one 100 ms round plus start-up, on a loaded machine
  CHECK(plain >= 500);
}
