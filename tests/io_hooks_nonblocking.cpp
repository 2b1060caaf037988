// A descriptor the caller made non-blocking keeps behaving non-blocking inside a fiber: the hooks
// never park on it and never change its flags, however it was made so.
#include "hooks_support.hpp"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <vector>

using namespace spindle;

namespace {

// read, recv and write on a non-blocking descriptor that would block give EAGAIN at once.
void check_nonblocking(int reader, int writer) {
  char byte;
  errno = 0;
  CHECK(::read(reader, &byte, 1) == -1);
  CHECK(errno == EAGAIN);
  errno = 0;
  CHECK(::recv(reader, &byte, 1, 0) == -1);
  CHECK(errno == EAGAIN);
  std::vector<char> chunk(1 << 16, 'x');
  ssize_t wrote;
  while ((wrote = ::write(writer, chunk.data(), chunk.size())) > 0) {
  }
  CHECK(wrote == -1);
  CHECK(errno == EAGAIN);
}

}  // namespace

TEST_CASE("O_NONBLOCK set with fcntl, ioctl(FIONBIO) or at creation is honoured in a fiber") {
  test::run_virtual([&] {
    SECTION("fcntl(F_SETFL, O_NONBLOCK)") {
      auto pair = test::BlockingPair::sockets();
      ::fcntl(pair.reader, F_SETFL, ::fcntl(pair.reader, F_GETFL) | O_NONBLOCK);
      ::fcntl(pair.writer, F_SETFL, ::fcntl(pair.writer, F_GETFL) | O_NONBLOCK);
      check_nonblocking(pair.reader, pair.writer);
      CHECK((::fcntl(pair.reader, F_GETFL) & O_NONBLOCK) != 0);
    }
    SECTION("ioctl(FIONBIO)") {
      auto pair = test::BlockingPair::sockets();
      int on = 1;
      ::ioctl(pair.reader, FIONBIO, &on);
      ::ioctl(pair.writer, FIONBIO, &on);
      check_nonblocking(pair.reader, pair.writer);
    }
    SECTION("SOCK_NONBLOCK at creation") {
      int fds[2];
      REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
      test::BlockingPair pair(fds[0], fds[1]);
      check_nonblocking(pair.reader, pair.writer);
    }
    SECTION("a non-blocking pipe") {
      int fds[2];
      REQUIRE(::pipe2(fds, O_NONBLOCK) == 0);
      test::BlockingPair pair(fds[0], fds[1]);
      char byte;
      CHECK(::read(pair.reader, &byte, 1) == -1);
      CHECK(errno == EAGAIN);
    }
    SECTION("MSG_DONTWAIT on a blocking socket") {
      auto pair = test::BlockingPair::sockets();
      char byte;
      CHECK(::recv(pair.reader, &byte, 1, MSG_DONTWAIT) == -1);
      CHECK(errno == EAGAIN);
    }
  });
}

TEST_CASE("a blocking descriptor stays blocking: the hooks wait, and leave its flags alone") {
  test::run_virtual([&] {
    auto pair = test::BlockingPair::sockets();
    int flags_before = ::fcntl(pair.reader, F_GETFL);
    auto reader = spawn([&] {
      char buffer[4];
      CHECK(::recv(pair.reader, buffer, sizeof buffer, MSG_WAITALL) == 4);  // all four, over two writes
    });
    this_fiber::yield();
    REQUIRE(::write(pair.writer, "ab", 2) == 2);
    this_fiber::yield();
    CHECK_FALSE(reader.done());
    REQUIRE(::write(pair.writer, "cd", 2) == 2);
    reader.join();
    CHECK(::fcntl(pair.reader, F_GETFL) == flags_before);
  });
}

TEST_CASE("a large blocking write to a pipe completes while the reader drains it") {
  test::run_virtual([&] {
    auto pair = test::BlockingPair::pipe();
    constexpr std::size_t size = 1 << 20;  // far beyond the pipe's 64 KiB
    std::size_t drained = 0;
    auto drainer = spawn([&] {
      std::vector<char> buffer(8192);
      while (drained < size) {
        ssize_t got = ::read(pair.reader, buffer.data(), buffer.size());
        REQUIRE(got > 0);
        drained += static_cast<std::size_t>(got);
      }
    });
    std::vector<char> data(size, 'p');
    CHECK(::write(pair.writer, data.data(), data.size()) == static_cast<ssize_t>(size));
    drainer.join();
    CHECK(drained == size);
  });
}
