// The Catch2 runner for every test binary, with the per-test leak check (see leak_check.hpp).
#define CATCH_CONFIG_RUNNER
#include "leak_check.hpp"

#include <spindle/fibers/detail/fiber.hpp>

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iostream>

namespace spindle::test {

std::size_t open_fd_count() {
  std::size_t count = 0;
  if (DIR* dir = ::opendir("/proc/self/fd")) {
    while (dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
    --count;  // the descriptor opendir() itself holds
  }
  return count;
}

std::pair<int, std::string> run_in_child(void (*child)()) {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  std::cout.flush();
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    child();
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string text;
  char buffer[4096];
  ssize_t got;
  while ((got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(got));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {status, text};
}

namespace {

std::vector<std::string> leaks;

struct LeakListener : Catch::TestEventListenerBase {
  using TestEventListenerBase::TestEventListenerBase;
  std::size_t fds_before = 0;
  std::size_t fibers_before = 0;

  void testCaseStarting(const Catch::TestCaseInfo&) override {
    fds_before = open_fd_count();
    fibers_before = detail::live_fiber_blocks();
  }
  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    std::size_t fds_after = open_fd_count();
    std::size_t fibers_after = detail::live_fiber_blocks();
    if (fds_after != fds_before || fibers_after != fibers_before) {
      leaks.push_back("'" + stats.testInfo.name + "': open fds " + std::to_string(fds_before) + " -> " +
                      std::to_string(fds_after) + ", fiber control blocks " + std::to_string(fibers_before) +
                      " -> " + std::to_string(fibers_after));
    }
  }
};

}  // namespace
}  // namespace spindle::test

using spindle::test::LeakListener;
CATCH_REGISTER_LISTENER(LeakListener)

// CancelledError is deliberately not a std::exception; let Catch2 show (and match) its message.
CATCH_TRANSLATE_EXCEPTION(const spindle::CancelledError& cancelled) { return cancelled.what(); }

int main(int argc, char** argv) {
  // Debug mode opens one process-wide eventfd for its SIGUSR1 dumps and keeps it for the life of
  // the process. Open it before the first test, so the per-test fd check does not count it.
  { spindle::Scheduler warm_up({.virtual_clock = true, .debug = true}); }
  int failed = Catch::Session().run(argc, argv);
  for (const std::string& leak : spindle::test::leaks) std::cerr << "LEAK after test " << leak << "\n";
  return failed != 0 ? failed : (spindle::test::leaks.empty() ? 0 : 1);
}
