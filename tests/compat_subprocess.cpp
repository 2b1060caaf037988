// compat subprocess: create_subprocess_exec/shell and Process, asyncio's spellings over Subprocess.
#include "leak_check.hpp"
#include "zombies.hpp"

#include <spindle/compat/subprocess.hpp>

#include <sys/wait.h>

#include <cerrno>
#include <stdexcept>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("create_subprocess_exec and communicate return stdout and stderr and set returncode", "[compat][subprocess]") {
  Loop loop({.virtual_clock = true});
  loop.run_until_complete([] {
    auto proc = create_subprocess_exec({"sh", "-c", "cat; echo oops >&2; exit 4"},
                                       {.stdin_mode = subprocess::PIPE,
                                        .stdout_mode = subprocess::PIPE,
                                        .stderr_mode = subprocess::PIPE});
    auto [out, err] = proc.communicate("piped in");
    CHECK(out == "piped in");
    CHECK(err == "oops\n");
    CHECK(proc.returncode() == 4);
  });
  loop.close();
  CHECK(test::no_zombie_children());
}

TEST_CASE("create_subprocess_shell streams: readline, read(n), read() and stdin.write", "[compat][subprocess]") {
  Loop loop({.virtual_clock = true});
  loop.run_until_complete([] {
    auto proc = create_subprocess_shell("printf 'one\\ntwo\\n'; cat", {.stdin_mode = subprocess::PIPE,
                                                                     .stdout_mode = subprocess::PIPE,
                                                                     .stderr_mode = subprocess::STDOUT});
    CHECK(proc.stdout_stream().readline() == "one\n");
    CHECK(proc.stdout_stream().read(2) == "tw");
    CHECK(proc.stdout_stream().readline() == "o\n");
    proc.stdin_stream().write("tail without newline");
    proc.stdin_stream().drain();
    proc.stdin_stream().close();
    CHECK(proc.stdin_stream().is_closing());
    CHECK(proc.stdout_stream().read() == "tail without newline");
    CHECK(proc.stdout_stream().at_eof());
    CHECK(proc.stdout_stream().readline().empty());
    CHECK(proc.wait() == 0);
    CHECK_THROWS_WITH(proc.stderr_stream(), "stderr of '/bin/sh' is not a pipe (pass subprocess::PIPE)");
  });
  loop.close();
  CHECK(test::no_zombie_children());
}

TEST_CASE("wait_for on a Process times out on the virtual clock; kill then wait reports the signal", "[compat][subprocess]") {
  Loop loop({.virtual_clock = true});
  loop.run_until_complete([] {
    auto proc = create_subprocess_exec({"sleep", "1000"}, {.stdout_mode = subprocess::DEVNULL});
    CHECK_THROWS_AS(wait_for([&] { return proc.wait(); }, 2s), TimeoutError);
    CHECK_FALSE(proc.returncode().has_value());
    proc.kill();
    CHECK(proc.wait() == -SIGKILL);
  });
  loop.close();
  CHECK(test::no_zombie_children());
}

TEST_CASE("a missing program raises an IoError naming it", "[compat][subprocess]") {
  CHECK_THROWS_WITH(create_subprocess_exec({"spindle-missing-tool"}),
                    Catch::StartsWith("spawn 'spindle-missing-tool': No such file or directory"));
}
