// Subprocess without a pidfd (kernels before 5.3): wait() polls waitpid on a backing-off timer and
// signals go through kill(2). Forced through the test seam in io/detail/subprocess_wait.hpp.
#include "leak_check.hpp"
#include "real_clock.hpp"
#include "zombies.hpp"

#include <spindle/io/detail/subprocess_wait.hpp>
#include <spindle/io/subprocess.hpp>

#include <sys/wait.h>

#include <string>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// Children spawned while this lives get no pidfd.
struct WithoutPidfd {
  WithoutPidfd() { detail::set_pidfd_disabled(true); }
  ~WithoutPidfd() { detail::set_pidfd_disabled(false); }
  WithoutPidfd(const WithoutPidfd&) = delete;
  WithoutPidfd& operator=(const WithoutPidfd&) = delete;
};

bool is_running(pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) == 0; }

}  // namespace

TEST_CASE("without a pidfd, wait polls until the child exits and returns its status", "[io][subprocess]") {
  WithoutPidfd no_pidfd;
  // The real clock: the child exits in real time, and under the virtual clock the polls would use
  // up any timeout in no time at all.
  test::run_real_clock([] {
    std::size_t fds_before = test::open_fd_count();
    // Long enough for several polls as the interval grows; the timeout is far beyond it.
    auto exits = Subprocess::spawn({"sh", "-c", "sleep 0.2; exit 3"});
    CHECK(test::open_fd_count() == fds_before);  // no pidfd was opened
    CHECK(exits.wait(60s) == 3);
    CHECK(exits.returncode() == 3);
    auto killed = Subprocess::spawn({"sh", "-c", "kill -TERM $$"});
    CHECK(killed.wait(60s) == -SIGTERM);
    CHECK(test::open_fd_count() == fds_before);
  });
  CHECK(test::no_zombie_children());
}

TEST_CASE("without a pidfd, a wait that overruns its timeout throws at the deadline; kill then reaps",
          "[io][subprocess]") {
  WithoutPidfd no_pidfd;
  test::run_virtual([] {
    std::size_t fds_before = test::open_fd_count();
    auto child = Subprocess::spawn({"sleep", "1000"});
    CHECK(test::open_fd_count() == fds_before);
    TimePoint start = now();
    // 5 s is no sum of the doubling intervals: the last sleep is cut short at the deadline.
    CHECK_THROWS_MATCHES(child.wait(5s), TimeoutError,
                         Catch::Message("wait for 'sleep' (pid " + std::to_string(child.pid()) + ") timed out"));
    CHECK(now() - start == 5s);
    CHECK(is_running(child.pid()));
    CHECK_FALSE(child.returncode().has_value());
    child.kill();  // through kill(2), with no pidfd to signal
    CHECK(child.wait() == -SIGKILL);
    CHECK_FALSE(test::process_exists(child.pid()));  // reaped, not a zombie
  });
  CHECK(test::no_zombie_children());
}

TEST_CASE("without a pidfd, destroying a Subprocess whose child runs kills and reaps it", "[io][subprocess]") {
  WithoutPidfd no_pidfd;
  pid_t pid = -1;
  test::run_virtual([&pid] {
    auto child = Subprocess::spawn({"sleep", "1000"});
    pid = child.pid();
  });
  REQUIRE(pid > 0);
  CHECK_FALSE(test::process_exists(pid));
  CHECK(test::no_zombie_children());
}
