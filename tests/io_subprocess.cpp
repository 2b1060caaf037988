// Subprocess: spawn with pipes, communicate, wait through a pidfd, kill; no zombies, no leaked fds.
#include "leak_check.hpp"
#include "zombies.hpp"
#include "patterned.hpp"

#include <spindle/io/signals.hpp>
#include <spindle/io/subprocess.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

bool is_running(pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) == 0; }

SubprocessOptions piped_out() { return {.stdout_mode = Stdio::pipe}; }

}  // namespace

TEST_CASE("echo's output comes back through a stdout pipe and its exit status is 0", "[io][subprocess]") {
  test::run_virtual([] {
    auto child = Subprocess::spawn({"echo", "hello", "world"}, piped_out());
    CHECK(child.stdin_pipe() == nullptr);
    CHECK(child.stdout_pipe()->read_to_end() == "hello world\n");
    CHECK_FALSE(child.returncode().has_value());
    CHECK(child.wait() == 0);
    CHECK(child.returncode() == 0);
    CHECK(child.wait() == 0);  // a second wait returns the same status at once
  });
  CHECK(test::no_zombie_children());
}

TEST_CASE("cat echoes what is written to its stdin pipe, and ends when stdin is closed", "[io][subprocess]") {
  test::run_virtual([] {
    auto child = Subprocess::spawn({"cat"}, {.stdin_mode = Stdio::pipe, .stdout_mode = Stdio::pipe});
    char buffer[64];
    child.stdin_pipe()->write_all("first line\n");
    std::size_t got = child.stdout_pipe()->read_some(buffer);
    CHECK(std::string(buffer, got) == "first line\n");
    child.stdin_pipe()->write_all("second");
    child.stdin_pipe()->close();
    CHECK(child.stdout_pipe()->read_to_end() == "second");
    CHECK(child.wait() == 0);
  });
  CHECK(test::no_zombie_children());
}

TEST_CASE("communicate moves 10 MiB in and 10 MiB out of both stdout and stderr without deadlock",
          "[io][subprocess]") {
  test::run_virtual([] {
    const std::string input = test::patterned(10 << 20);
    auto child = Subprocess::spawn({"sh", "-c", "tee /dev/stderr"},
                                   {.stdin_mode = Stdio::pipe, .stdout_mode = Stdio::pipe, .stderr_mode = Stdio::pipe});
    SubprocessOutput output = child.communicate(input);
    CHECK(output.out.size() == input.size());
    CHECK(output.out == input);
    CHECK(output.err == input);
    CHECK(child.returncode() == 0);
    CHECK_FALSE(child.stdin_pipe()->is_open());
  });
  CHECK(test::no_zombie_children());
}

TEST_CASE("wait times out on the virtual clock and the child keeps running until killed", "[io][subprocess]") {
  test::run_virtual([] {
    auto child = Subprocess::spawn({"sleep", "1000"});
    TimePoint start = now();
    CHECK_THROWS_MATCHES(child.wait(5s), TimeoutError, Catch::Message("wait for 'sleep' (pid " + std::to_string(child.pid()) + ") timed out"));
    CHECK(now() - start == 5s);
    CHECK(is_running(child.pid()));
    child.kill();
    CHECK(child.wait() == -SIGKILL);
    CHECK(describe_returncode(*child.returncode()) == "killed by SIGKILL");
    child.kill();  // after the reap: nothing to signal, not an error
  });
  CHECK(test::no_zombie_children());
}

TEST_CASE("exit statuses and death by signal are reported", "[io][subprocess]") {
  test::run_virtual([] {
    auto exits = Subprocess::spawn({"sh", "-c", "exit 3"});
    CHECK(exits.wait() == 3);
    CHECK(describe_returncode(3) == "exit status 3");
    auto killed = Subprocess::spawn({"sh", "-c", "kill -TERM $$"});
    CHECK(killed.wait() == -SIGTERM);
    auto terminated = Subprocess::spawn({"sleep", "1000"});
    terminated.terminate();
    CHECK(terminated.wait() == -SIGTERM);
  });
  CHECK(test::no_zombie_children());
}

TEST_CASE("a missing program or directory is an IoError that names it", "[io][subprocess]") {
  test::run_virtual([] {
    std::size_t fds_before = test::open_fd_count();
    try {
      Subprocess::spawn({"spindle-no-such-program", "x"}, {.stdin_mode = Stdio::pipe, .stdout_mode = Stdio::pipe});
      FAIL("spawned a program that does not exist");
    } catch (const IoError& error) {
      CHECK(error.code() == std::errc::no_such_file_or_directory);
      CHECK_THAT(error.what(), Catch::StartsWith("spawn 'spindle-no-such-program': No such file or directory"));
    }
    CHECK(test::open_fd_count() == fds_before);  // the pipes made for it are closed
    CHECK_THROWS_WITH(Subprocess::spawn({"true"}, {.cwd = "/spindle/no/such/dir"}),
                      Catch::StartsWith("spawn 'true' in directory '/spindle/no/such/dir'"));
    CHECK_THROWS_AS(Subprocess::spawn({}), std::invalid_argument);
  });
  CHECK(test::no_zombie_children());
}

TEST_CASE("cancelling wait leaves the child running, and nothing leaks", "[io][subprocess]") {
  test::run_virtual([] {
    std::size_t fds_before = test::open_fd_count();
    auto child = Subprocess::spawn({"sleep", "1000"});
    auto waiter = spawn([&] { return child.wait(); });
    this_fiber::yield();
    waiter.cancel();
    CHECK_THROWS_AS(waiter.join(), CancelledError);
    CHECK(is_running(child.pid()));
    CHECK_FALSE(child.returncode().has_value());
    child.kill();
    CHECK(child.wait() == -SIGKILL);
    CHECK(test::open_fd_count() == fds_before);  // the pidfd closes once the child is reaped
  });
  CHECK(test::no_zombie_children());
}

TEST_CASE("cancelling communicate ends its helper fibers, leaves the child running, leaks nothing",
          "[io][subprocess]") {
  test::run_virtual([] {
    std::size_t fds_before = test::open_fd_count();
    {
      auto child = Subprocess::spawn({"sh", "-c", "echo partial; exec sleep 1000"},
                                     {.stdin_mode = Stdio::pipe, .stdout_mode = Stdio::pipe, .stderr_mode = Stdio::pipe});
      auto talker = spawn([&] { return child.communicate(test::patterned(1 << 20)); });
      for (int i = 0; i < 10; ++i) this_fiber::yield();
      CHECK(Scheduler::current()->live_fibers() == 4);  // main, talker, stdin writer, stderr reader
      talker.cancel();
      CHECK_THROWS_AS(talker.join(), CancelledError);
      CHECK(Scheduler::current()->live_fibers() == 1);
      CHECK(is_running(child.pid()));
      child.kill();
      CHECK(child.wait() == -SIGKILL);
    }
    CHECK(test::open_fd_count() == fds_before);
  });
  CHECK(test::no_zombie_children());
}

TEST_CASE("destroying a Subprocess whose child still runs kills and reaps it: no zombie", "[io][subprocess]") {
  pid_t pid = -1;
  test::run_virtual([&] {
    auto child = Subprocess::spawn({"sleep", "1000"}, {.stdin_mode = Stdio::pipe, .stdout_mode = Stdio::pipe});
    pid = child.pid();
    Subprocess moved = std::move(child);  // the moved-from one owns nothing
    CHECK(moved.pid() == pid);
  });
  REQUIRE(pid > 0);
  CHECK(::kill(pid, 0) == -1);
  CHECK(errno == ESRCH);
  CHECK(test::no_zombie_children());
}

TEST_CASE("env, cwd, /dev/null and 2>&1 reach the child", "[io][subprocess]") {
  test::run_virtual([] {
    auto child = Subprocess::spawn({"sh", "-c", "echo \"$GREETING\"; pwd; echo to-stderr >&2; cat"},
                                   {.stdin_mode = Stdio::devnull,
                                    .stdout_mode = Stdio::pipe,
                                    .stderr_mode = Stdio::to_stdout,
                                    .env = std::vector<std::string>{"GREETING=hi there", "PATH=/usr/bin:/bin"},
                                    .cwd = "/tmp"});
    CHECK(child.communicate().out == "hi there\n/tmp\nto-stderr\n");
    CHECK(child.returncode() == 0);
  });
  CHECK(test::no_zombie_children());
}

TEST_CASE("the child starts with an empty signal mask and only descriptors 0-2", "[io][subprocess]") {
  test::run_virtual([] {
    SignalSet signals{SIGUSR2};  // blocked here; must not be blocked in the child
    FileDescriptor inheritable(::open("/dev/null", O_RDONLY));  // no O_CLOEXEC
    REQUIRE(inheritable);
    std::string script = "grep SigBlk /proc/self/status; test -e /proc/self/fd/" + std::to_string(inheritable.get()) +
                         " && echo leaked || echo closed";
    auto child = Subprocess::spawn({"sh", "-c", script}, piped_out());
    CHECK(child.communicate().out == "SigBlk:\t0000000000000000\nclosed\n");
  });
  CHECK(test::no_zombie_children());
}

TEST_CASE("writing to a child that closed its stdin is EPIPE naming the pipe, not a SIGPIPE death",
          "[io][subprocess]") {
  test::run_virtual([] {
    auto child = Subprocess::spawn({"true"}, {.stdin_mode = Stdio::pipe});
    CHECK(child.wait() == 0);
    CHECK_THROWS_MATCHES(child.stdin_pipe()->write_all("nobody reads this"), IoError,
                         Catch::Message("write to stdin of 'true': Broken pipe"));
    // communicate treats it as the child's choice, as Python does.
    auto early_exit = Subprocess::spawn({"sh", "-c", "exit 0"}, {.stdin_mode = Stdio::pipe});
    early_exit.communicate(test::patterned(1 << 20));
    CHECK(early_exit.returncode() == 0);
    CHECK_THROWS_AS(Subprocess::spawn({"true"}).communicate("input without a pipe"), std::logic_error);
  });
  CHECK(test::no_zombie_children());
}
