// Pipes as Streams (asyncio's connect_read_pipe / connect_write_pipe): lines and end of file, a
// full pipe parking the writer, EPIPE instead of SIGPIPE, the wrong direction, timeouts and
// cancellation without leaked descriptors.
#include "leak_check.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

using namespace spindle;
using namespace std::chrono_literals;

TEST_CASE("lines written to a pipe are read back as lines, then end of file", "[io][pipe]") {
  test::run_virtual([] {
    auto [reader, writer] = open_pipe();
    writer.write("first line\nsecond ");
    writer.write_all("line\nno newline at the end");
    writer.shutdown_write();
    CHECK(reader.readline() == "first line\n");
    CHECK(reader.read_until("\n") == "second line\n");
    CHECK(reader.readline() == "no newline at the end");
    CHECK(reader.at_eof());
    char byte;
    CHECK(reader.read_some(std::span(&byte, 1)) == 0);
  });
}

TEST_CASE("a full pipe parks the writer until a reader drains it; every byte arrives", "[io][pipe]") {
  test::run_virtual([] {
    auto [reader, writer] = open_pipe();
    std::string payload(1 << 20, '\0');  // 16 times a default pipe's 64 KiB
    for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>('a' + i % 23);
    auto sender = spawn([&writer, &payload] {
      writer.write_all(payload);
      writer.close();
    });
    std::string received = reader.read_to_end(payload.size() + 1);
    sender.join();
    CHECK(received.size() == payload.size());
    CHECK(received == payload);
  });
}

TEST_CASE("writing to a pipe whose reader is gone is EPIPE, not SIGPIPE", "[io][pipe]") {
  test::run_virtual([] {
    auto [reader, writer] = open_pipe();
    reader.close();
    try {
      writer.write_all("nobody reads this");
      FAIL("the write succeeded");
    } catch (const IoError& error) {
      CHECK(error.code() == std::errc::broken_pipe);
      CHECK(std::string(error.what()).find("pipe") != std::string::npos);
    }
  });
}

TEST_CASE("pipe_reader and pipe_writer over descriptors of the caller's; the wrong direction is EBADF",
          "[io][pipe]") {
  test::run_virtual([] {
    int ends[2];
    REQUIRE(::pipe2(ends, O_CLOEXEC) == 0);
    Stream reader = pipe_reader(FileDescriptor(ends[0]), "control fifo");
    Stream writer = pipe_writer(FileDescriptor(ends[1]), "control fifo");
    CHECK((::fcntl(ends[0], F_GETFL) & O_NONBLOCK) != 0);
    writer.write_all("ping\n");
    CHECK(reader.readline() == "ping\n");
    try {
      reader.write_all("x");
      FAIL("writing the read end succeeded");
    } catch (const IoError& error) {
      CHECK(error.code() == std::errc::bad_file_descriptor);
      CHECK(std::string(error.what()).find("control fifo (it has no write end)") != std::string::npos);
    }
    char byte;
    CHECK_THROWS_AS(writer.read_some(std::span(&byte, 1)), IoError);
  });
}

TEST_CASE("a read from a silent pipe times out, and a cancelled one leaks no descriptor", "[io][pipe]") {
  test::run_virtual([] {
    std::size_t fds_before = test::open_fd_count();
    {
      auto [reader, writer] = open_pipe();
      TimePoint start = now();
      CHECK_THROWS_AS(reader.readline(5s), TimeoutError);
      CHECK(now() - start == 5s);
      auto blocked = spawn([&reader] { reader.read_exactly(10); });
      this_fiber::sleep_for(1s);
      CHECK(blocked.cancel("test cancels"));
      CHECK_THROWS_AS(blocked.join(), CancelledError);
    }
    CHECK(test::open_fd_count() == fds_before);
  });
}
