// FileDescriptor: ownership, moves, and dropping the scheduler's registration before close.
#include "leak_check.hpp"

#include <spindle/io/errors.hpp>
#include <spindle/io/file_descriptor.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

using namespace spindle;

namespace {

// A connected pair of non-blocking stream sockets.
std::pair<FileDescriptor, FileDescriptor> raw_socket_pair() {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
  return {FileDescriptor(fds[0]), FileDescriptor(fds[1])};
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

}  // namespace

TEST_CASE("a FileDescriptor closes once, and moves transfer ownership", "[io][fd]") {
  auto [a, b] = raw_socket_pair();
  int raw = a.get();
  FileDescriptor moved = std::move(a);
  CHECK_FALSE(a);
  CHECK(moved.get() == raw);
  moved = std::move(b);  // closes the first socket
  CHECK_FALSE(is_open(raw));
  int kept = moved.release();
  CHECK_FALSE(moved);
  CHECK(is_open(kept));
  ::close(kept);
}

TEST_CASE("closing a watched descriptor drops its registration and wakes its waiter with EBADF", "[io][fd]") {
  test::run_virtual([] {
    auto [reader, writer] = raw_socket_pair();
    auto waiter = spawn([&reader] {
      try {
        wait_readable(reader.get());
        return 0;
      } catch (const std::system_error& error) {
        return error.code().value();
      }
    });
    this_fiber::yield();
    CHECK(Scheduler::current()->watched_fds() == 1);
    reader.close();
    CHECK(Scheduler::current()->watched_fds() == 0);
    CHECK(waiter.join() == EBADF);
  });
}

TEST_CASE("make_nonblocking sets the flags and names the descriptor when it fails", "[io][fd]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  FileDescriptor read_end(fds[0]), write_end(fds[1]);
  make_nonblocking(read_end.get(), "pipe");
  CHECK((::fcntl(read_end.get(), F_GETFL) & O_NONBLOCK) != 0);
  CHECK((::fcntl(read_end.get(), F_GETFD) & FD_CLOEXEC) != 0);
  try {
    make_nonblocking(-1, "the test's bad descriptor");
    FAIL("no error for a bad descriptor");
  } catch (const IoError& error) {
    CHECK(error.code() == std::errc::bad_file_descriptor);
    CHECK_THAT(error.what(), Catch::Contains("set O_NONBLOCK on the test's bad descriptor"));
  }
}
