// Hooked libc calls outside a fiber, on other threads, with patching off or opted out: libc's
// results and errno exactly. Inside a fiber: only the calling fiber waits.
#include "hooks_support.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/syscall.h>

#include <csignal>
#include <cstring>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

struct CallResult {
  long result;
  int error;
  bool operator==(const CallResult&) const = default;
};

template <class Call>
CallResult outcome_of(Call call) {
  errno = 0;
  long result = static_cast<long>(call());
  return {result, errno};
}

// A blocking read of one byte from `fd`, recorded in `order` before and after.
void read_one(int fd, std::vector<std::string>& order, const char* name) {
  order.push_back(std::string(name) + " reads");
  char byte = 0;
  REQUIRE(::read(fd, &byte, 1) == 1);
  order.push_back(std::string(name) + " got " + byte);
}

}  // namespace

TEST_CASE("outside a fiber the hooks return libc's results and errno") {
  std::signal(SIGPIPE, SIG_IGN);
  auto pair = test::BlockingPair::pipe();
  char buffer[8];
  CHECK(outcome_of([&] { return ::read(-1, buffer, 1); }) == outcome_of([&] { return ::syscall(SYS_read, -1, buffer, 1); }));
  CHECK(outcome_of([&] { return ::recv(pair.reader, buffer, 1, 0); }) ==
        outcome_of([&] { return ::syscall(SYS_recvfrom, pair.reader, buffer, 1, 0, nullptr, nullptr); }));
  CHECK(outcome_of([&] { return ::close(-5); }) == outcome_of([&] { return ::syscall(SYS_close, -5); }));
  CHECK(outcome_of([&] { return ::dup2(-1, 40); }) == (CallResult{-1, EBADF}));
  timespec bad{0, -1};
  CHECK(outcome_of([&] { return ::nanosleep(&bad, nullptr); }) == (CallResult{-1, EINVAL}));
  CHECK(outcome_of([&] { return ::select(-1, nullptr, nullptr, nullptr, nullptr); }) == (CallResult{-1, EINVAL}));

  ::fcntl(pair.reader, F_SETFL, O_NONBLOCK);
  CHECK(outcome_of([&] { return ::read(pair.reader, buffer, 1); }) == (CallResult{-1, EAGAIN}));
  ::close(pair.reader);
  pair.reader = -1;
  CHECK(outcome_of([&] { return ::write(pair.writer, "x", 1); }) == (CallResult{-1, EPIPE}));

  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(listener);  // nobody listens on that port now
  int client = ::socket(AF_INET, SOCK_STREAM, 0);
  CHECK(outcome_of([&] { return ::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof address); }) ==
        (CallResult{-1, ECONNREFUSED}));
  ::close(client);

  // Success leaves errno alone, as libc does.
  errno = EDOM;
  CHECK(::usleep(1) == 0);
  CHECK(::poll(nullptr, 0, 0) == 0);
  CHECK(errno == EDOM);
}

TEST_CASE("in a fiber a blocking read parks only that fiber") {
  std::vector<std::string> order;
  bool released = false;
  test::run_virtual([&] {
    auto pair = test::BlockingPair::pipe();
    test::SafetyRelease release(pair.writer, 'S');
    auto reader = spawn([&] { read_one(pair.reader, order, "reader"); });
    this_fiber::yield();
    order.push_back("writer writes");
    REQUIRE(::write(pair.writer, "W", 1) == 1);
    reader.join();
    released = release.fired();
  });
  CHECK(order == std::vector<std::string>{"reader reads", "writer writes", "reader got W"});
  CHECK_FALSE(released);
}

TEST_CASE("a plain thread's blocking calls block that thread, not the fibers") {
  auto pair = test::BlockingPair::pipe();
  std::atomic<bool> thread_got{false};
  std::thread plain([&] {
    char byte = 0;
    if (::read(pair.reader, &byte, 1) == 1 && byte == 'T') thread_got = true;
  });
  test::run_virtual([&] {
    this_fiber::sleep_for(1s);  // fibers go on while the thread blocks
    REQUIRE(::write(pair.writer, "T", 1) == 1);
  });
  plain.join();
  CHECK(thread_got);
}

TEST_CASE("unpatch() makes blocking calls block the thread again; patch_all() restores them") {
  auto pair = test::BlockingPair::pipe();
  test::SafetyRelease release(pair.writer, 'S', 100ms);
  std::vector<std::string> order;
  unpatch();
  CHECK_FALSE(is_patched());
  test::run_virtual([&] {
    auto reader = spawn([&] { read_one(pair.reader, order, "reader"); });
    this_fiber::yield();
    order.push_back("writer writes");
    REQUIRE(::write(pair.writer, "W", 1) == 1);
    reader.join();
  });
  patch_all();
  CHECK(is_patched());
  // The reader held the thread until the safety thread wrote: nothing else ran meanwhile.
  CHECK(order == std::vector<std::string>{"reader reads", "reader got S", "writer writes"});
  CHECK(release.fired());
  char left = 0;
  CHECK(::read(pair.reader, &left, 1) == 1);
}

TEST_CASE("UnpatchedScope opts one fiber out while the others still cooperate") {
  std::vector<std::string> order;
  test::run_virtual([&] {
    auto blocking = test::BlockingPair::pipe();
    auto cooperating = test::BlockingPair::pipe();
    test::SafetyRelease release(blocking.writer, 'S', 100ms);
    auto other = spawn([&] { read_one(cooperating.reader, order, "other"); });
    this_fiber::yield();  // `other` parks in its hooked read
    {
      UnpatchedScope opt_out;
      read_one(blocking.reader, order, "opted-out");  // holds the thread until the safety thread writes
    }
    REQUIRE(::write(cooperating.writer, "W", 1) == 1);
    other.join();
  });
  CHECK(order == std::vector<std::string>{"other reads", "opted-out reads", "opted-out got S", "other got W"});
  CHECK_THROWS_AS(UnpatchedScope(), FiberError);
}

TEST_CASE("a cancelled fiber's hooked call fails with ECANCELED and the cancellation stays pending") {
  int read_error = 0;
  bool next_call_cancelled = false;
  test::run_virtual([&] {
    auto pair = test::BlockingPair::sockets();
    test::SafetyRelease release(pair.writer, 'S');
    auto reader = spawn([&] {
      char byte;
      if (::recv(pair.reader, &byte, 1, 0) < 0) read_error = errno;
      try {
        this_fiber::yield();
      } catch (const CancelledError&) {
        next_call_cancelled = true;
        throw;
      }
    });
    this_fiber::yield();
    reader.cancel("stop");
    CHECK_THROWS_AS(reader.join(), CancelledError);
  });
  CHECK(read_error == ECANCELED);
  CHECK(next_call_cancelled);
}
