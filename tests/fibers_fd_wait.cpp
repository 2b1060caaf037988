// I/O readiness: wait_readable / wait_writable / forget_fd on sockets and regular files.
#include "leak_check.hpp"

#include <spindle/fibers/detail/scheduler_core.hpp>

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// A connected non-blocking AF_UNIX stream pair. Every end is forgotten by the scheduler, then
// closed, exactly once.
struct SocketPair {
  int a = -1;
  int b = -1;
  SocketPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
    a = fds[0];
    b = fds[1];
  }
  ~SocketPair() {
    close_a();
    close_b();
  }
  SocketPair(const SocketPair&) = delete;
  SocketPair& operator=(const SocketPair&) = delete;
  void close_a() { close_end(a); }
  void close_b() { close_end(b); }

 private:
  static void close_end(int& fd) {
    if (fd < 0) return;
    forget_fd(fd);
    ::close(fd);
    fd = -1;
  }
};

// Writes into `fd` until the kernel refuses with EAGAIN; returns the bytes accepted.
std::size_t fill_send_buffer(int fd) {
  std::vector<char> chunk(4096, 'f');
  std::size_t total = 0;
  for (std::size_t size : {chunk.size(), std::size_t{1}}) {
    for (;;) {
      ssize_t wrote = ::write(fd, chunk.data(), size);
      if (wrote < 0) {
        REQUIRE(errno == EAGAIN);
        break;
      }
      total += static_cast<std::size_t>(wrote);
    }
  }
  return total;
}

// Reads from `fd` until EAGAIN; returns the bytes read.
std::size_t drain(int fd) {
  std::vector<char> buffer(65536);
  std::size_t total = 0;
  for (;;) {
    ssize_t got = ::read(fd, buffer.data(), buffer.size());
    if (got < 0) {
      REQUIRE(errno == EAGAIN);
      return total;
    }
    REQUIRE(got > 0);
    total += static_cast<std::size_t>(got);
  }
}

std::uint64_t switches() { return Scheduler::current()->switches(); }

}  // namespace

TEST_CASE("a parked reader gets its data within a bounded number of spins while other fibers never stop yielding",
          "[fibers][fd]") {
  test::run_virtual([] {
    SocketPair pair;
    constexpr int spinner_count = 4;
    constexpr long spin_cap = 1'000'000;  // a regression fails the bound below instead of hanging
    bool stop = false;
    long spins = 0;
    long spins_at_write = -1;
    std::vector<JoinHandle<void>> spinners;
    for (int i = 0; i < spinner_count; ++i) {
      spinners.push_back(spawn([&] {
        while (!stop && spins < spin_cap) {
          ++spins;
          this_fiber::yield();
        }
      }));
    }
    auto reader = spawn([&] {
      char buffer[16];
      int waits = 0;
      for (;;) {
        ssize_t got = ::read(pair.a, buffer, sizeof buffer);
        if (got >= 0) return std::make_pair(std::string(buffer, static_cast<std::size_t>(got)), spins);
        REQUIRE(errno == EAGAIN);
        REQUIRE(++waits < 10);
        CHECK(wait_readable(pair.a));
      }
    });
    auto writer = spawn([&] {
      for (int i = 0; i < 10; ++i) this_fiber::yield();  // the reader is parked by now
      spins_at_write = spins;
      REQUIRE(::write(pair.b, "ping", 4) == 4);
    });
    auto [data, spins_at_read] = reader.join();
    stop = true;
    writer.join();
    for (auto& spinner : spinners) spinner.join();
    CHECK(data == "ping");
    REQUIRE(spins_at_write >= 0);
    // The scheduler polls epoll every poll_interval switches even though a fiber is always ready;
    // after that the reader queues behind at most every spinner once.
    CHECK(spins_at_read - spins_at_write <= long{detail::SchedulerCore::poll_interval} + spinner_count);
  });
}

TEST_CASE("a readable wait with a deadline times out at exactly the deadline on the virtual clock",
          "[fibers][fd]") {
  test::run_virtual([] {
    SocketPair pair;
    TimePoint start = now();
    CHECK_FALSE(wait_readable(pair.a, start + 250ms));
    CHECK(now() - start == 250ms);
    // A deadline already past returns false at once, without switching.
    std::uint64_t before = switches();
    CHECK_FALSE(wait_readable(pair.a, now() - 1s));
    CHECK(switches() == before);
    CHECK(now() - start == 250ms);
    // The descriptor still works after the timeouts.
    REQUIRE(::write(pair.b, "x", 1) == 1);
    CHECK(wait_readable(pair.a, now() + 1h));
    CHECK(now() - start == 250ms);
    char byte;
    CHECK(::read(pair.a, &byte, 1) == 1);
  });
}

TEST_CASE("a readiness hint is not lost: data that arrived before the wait makes it return at once",
          "[fibers][fd]") {
  SECTION("data written before the first wait on the descriptor") {
    test::run_virtual([] {
      SocketPair pair;
      REQUIRE(::write(pair.b, "early", 5) == 5);
      TimePoint start = now();
      CHECK(wait_readable(pair.a, start + 1h));
      CHECK(now() == start);
      char buffer[8];
      CHECK(::read(pair.a, buffer, sizeof buffer) == 5);
    });
  }
  SECTION("an edge seen by the poll step while nobody waited is kept for the next wait") {
    test::run_virtual([] {
      SocketPair pair;
      CHECK_FALSE(wait_readable(pair.a, now() + 1ms));  // registers the descriptor with epoll
      REQUIRE(::write(pair.b, "later", 5) == 5);
      this_fiber::sleep_for(1s);  // a poll step sees the edge; nobody waits for it
      TimePoint start = now();
      std::uint64_t before = switches();
      CHECK(wait_readable(pair.a, start + 1h));
      CHECK(switches() == before);  // returned from the hint, without parking
      CHECK(now() == start);
      char buffer[8];
      CHECK(::read(pair.a, buffer, sizeof buffer) == 5);
    });
  }
}

TEST_CASE("a writable wait on a full send buffer completes once the peer drains it", "[fibers][fd]") {
  test::run_virtual([] {
    SocketPair pair;
    const std::size_t filled = fill_send_buffer(pair.a);
    REQUIRE(filled > 0);
    bool drained = false;
    std::size_t drained_bytes = 0;
    auto writer = spawn([&] {
      int waits = 0;
      for (;;) {
        if (::write(pair.a, "!", 1) == 1) return waits;
        REQUIRE(errno == EAGAIN);
        REQUIRE(++waits < 10);
        CHECK(wait_writable(pair.a));
        CHECK(drained);  // there is no way to become writable before the peer has read
      }
    });
    auto drainer = spawn([&] {
      drained_bytes = drain(pair.b);
      drained = true;
    });
    CHECK(writer.join() >= 1);
    drainer.join();
    CHECK(drained_bytes == filled);
    char byte;
    CHECK(::read(pair.b, &byte, 1) == 1);
    CHECK(byte == '!');
  });
}

TEST_CASE("one reader and one writer may wait on the same descriptor at once", "[fibers][fd]") {
  test::run_virtual([] {
    SocketPair pair;
    fill_send_buffer(pair.a);
    bool read_ready = false;
    bool write_ready = false;
    auto reader = spawn([&] { read_ready = wait_readable(pair.a); });
    auto writer = spawn([&] { write_ready = wait_writable(pair.a); });
    this_fiber::yield();  // both park on pair.a
    CHECK_FALSE(read_ready);
    CHECK_FALSE(write_ready);
    REQUIRE(::write(pair.b, "r", 1) == 1);
    reader.join();
    CHECK(read_ready);
    CHECK_FALSE(write_ready);
    drain(pair.b);
    writer.join();
    CHECK(write_ready);
  });
}

TEST_CASE("a second fiber waiting to read the same descriptor gets FiberError", "[fibers][fd]") {
  test::run_virtual([] {
    SocketPair pair;
    auto first = spawn([&] { return wait_readable(pair.a); });
    this_fiber::yield();  // first parks
    std::string message;
    try {
      wait_readable(pair.a);
    } catch (const FiberError& error) {
      message = error.what();
    }
    CHECK_THAT(message, Catch::Matchers::Contains("two fibers wait to read fd"));
    // The first waiter is undisturbed and still gets the data.
    REQUIRE(::write(pair.b, "x", 1) == 1);
    CHECK(first.join());
  });
}

TEST_CASE("forget_fd while a fiber waits makes that wait throw std::system_error(EBADF)", "[fibers][fd]") {
  test::run_virtual([] {
    SocketPair pair;
    auto waiter = spawn([&]() -> int {
      try {
        wait_readable(pair.a);
        return 0;
      } catch (const std::system_error& error) {
        return error.code().value();
      }
    });
    this_fiber::yield();  // waiter parks; pair.a is watched
    CHECK(Scheduler::current()->watched_fds() == 1);
    forget_fd(pair.a);
    CHECK(Scheduler::current()->watched_fds() == 0);
    CHECK(waiter.join() == EBADF);
    // A forgotten descriptor can be waited on again: it is registered afresh.
    REQUIRE(::write(pair.b, "x", 1) == 1);
    CHECK(wait_readable(pair.a, now() + 1s));
    CHECK(Scheduler::current()->watched_fds() == 1);
  });
}

TEST_CASE("a hang-up counts as readable and the read then returns 0", "[fibers][fd]") {
  SECTION("peer closes while the reader waits") {
    test::run_virtual([] {
      SocketPair pair;
      auto reader = spawn([&] {
        bool ready = wait_readable(pair.a, now() + 1h);
        char byte;
        return std::make_pair(ready, ::read(pair.a, &byte, 1));
      });
      this_fiber::yield();  // reader parks
      TimePoint start = now();
      pair.close_b();
      auto [ready, got] = reader.join();
      CHECK(ready);
      CHECK(got == 0);
      CHECK(now() == start);
    });
  }
  SECTION("peer closed before the wait; the writable side reports it too") {
    test::run_virtual([] {
      SocketPair pair;
      pair.close_b();
      TimePoint start = now();
      CHECK(wait_readable(pair.a, start + 1h));
      char byte;
      CHECK(::read(pair.a, &byte, 1) == 0);
      CHECK(wait_writable(pair.a, start + 1h));
      ssize_t sent = ::send(pair.a, "x", 1, MSG_NOSIGNAL);
      int error = errno;
      CHECK(sent == -1);
      CHECK(error == EPIPE);
      CHECK(now() == start);
    });
  }
}

TEST_CASE("after the peer shut down, every readable wait returns at once: a short read may wait first",
          "[fibers][fd]") {
  test::run_virtual([] {
    SocketPair pair;
    // The last bytes and the end of stream arrive together, before the first wait: one edge for both.
    REQUIRE(::write(pair.b, "last", 4) == 4);
    REQUIRE(::shutdown(pair.b, SHUT_WR) == 0);
    TimePoint start = now();
    CHECK(wait_readable(pair.a, start + 1h));
    char buffer[64];
    CHECK(::read(pair.a, buffer, sizeof buffer) == 4);  // short: the socket is drained
    // A reader trusting the short read waits before reading again; no edge will come, and yet:
    CHECK(wait_readable(pair.a, start + 1h));
    CHECK(::read(pair.a, buffer, sizeof buffer) == 0);
    CHECK(wait_readable(pair.a, start + 1h));  // and it stays readable
    CHECK(now() == start);
  });
}

TEST_CASE("a regular file is always ready and never registered with epoll", "[fibers][fd]") {
  auto check_always_ready = [](int fd) {
    REQUIRE(fd >= 0);
    std::uint64_t before = switches();
    TimePoint start = now();
    CHECK(wait_readable(fd));
    CHECK(wait_writable(fd));
    CHECK(wait_readable(fd, start + 1s));
    CHECK(switches() == before);
    CHECK(now() == start);
    CHECK(Scheduler::current()->watched_fds() == 0);
  };
  SECTION("memfd") {
    test::run_virtual([&] {
      int fd = ::memfd_create("spindle-fd-wait-test", MFD_CLOEXEC);
      check_always_ready(fd);
      forget_fd(fd);
      ::close(fd);
    });
  }
  SECTION("tmpfile") {
    test::run_virtual([&] {
      std::FILE* file = std::tmpfile();
      REQUIRE(file != nullptr);
      check_always_ready(::fileno(file));
      forget_fd(::fileno(file));
      std::fclose(file);
    });
  }
}

TEST_CASE("waiting on a descriptor outside a fiber throws FiberError", "[fibers][fd]") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
  CHECK_THROWS_AS(wait_readable(fds[0]), FiberError);
  {
    Scheduler scheduler({.virtual_clock = true});
    CHECK_THROWS_AS(wait_writable(fds[0]), FiberError);
    CHECK(scheduler.watched_fds() == 0);
  }
  forget_fd(fds[0]);  // no scheduler on this thread: a no-op
  ::close(fds[0]);
  ::close(fds[1]);
}
