// File, read_file, write_file: file I/O on the blocking pool, safe under cancellation.
#include "leak_check.hpp"
#include "patterned.hpp"
#include "temp_dir.hpp"

#include <spindle/io/detail/blocking_pool.hpp>
#include <spindle/io/file.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using namespace spindle;

TEST_CASE("write_file then read_file round-trips; File reads and writes at offsets and positions", "[io][file]") {
  test::TempDir dir;
  test::run_virtual([&] {
    const std::string path = dir.file("round-trip");
    write_file(path, "hello, file");
    CHECK(read_file(path) == "hello, file");

    File file = File::open(path, O_RDWR);
    CHECK(file.size() == 11);
    file.pwrite("HELLO", 0);
    char buffer[32];
    std::size_t got = file.pread(buffer, 7);
    CHECK(std::string(buffer, got) == "file");
    CHECK(file.pread(buffer, 100) == 0);  // past the end
    CHECK(file.read(std::span<char>(buffer, 5)) == 5);
    CHECK(std::string(buffer, 5) == "HELLO");
    CHECK(file.position() == 5);
    file.write("!!");
    CHECK(file.position() == 7);
    file.sync();
    file.close();
    CHECK_FALSE(file.is_open());
    CHECK(read_file(path) == "HELLO!!file");
  });
}

TEST_CASE("a 16 MiB file round-trips through write_file and read_file", "[io][file]") {
  test::TempDir dir;
  test::run_virtual([&] {
    const std::string path = dir.file("large");
    const std::string data = test::patterned(16 << 20);
    write_file(path, data);
    CHECK(std::filesystem::file_size(path) == data.size());
    std::string back = read_file(path);
    CHECK(back.size() == data.size());
    CHECK(back == data);
  });
}

TEST_CASE("file errors name the operation and the path", "[io][file]") {
  test::TempDir dir;
  test::run_virtual([&] {
    const std::string missing = dir.file("no-such-file");
    try {
      read_file(missing);
      FAIL("read a file that does not exist");
    } catch (const IoError& error) {
      CHECK(error.code() == std::errc::no_such_file_or_directory);
      CHECK(std::string(error.what()) == "open '" + missing + "': No such file or directory");
    }
    const std::string path = dir.file("read-only");
    write_file(path, "x");
    File read_only = File::open(path);
    CHECK_THROWS_WITH(read_only.pwrite("y", 0), "write to '" + path + "': Bad file descriptor");
    read_only.close();
    char byte;
    CHECK_THROWS_WITH(read_only.pread(std::span<char>(&byte, 1), 0),
                      "read from '" + path + "' (the File is closed): Bad file descriptor");
  });
}

TEST_CASE("other fibers keep running while a read is on the pool", "[io][file]") {
  test::TempDir dir;
  test::run_virtual([&] {
    const std::string path = dir.file("slowish");
    write_file(path, test::patterned(2 << 20));
    bool read_done = false;
    long ticks = 0;
    long ticks_when_read_done = -1;
    auto ticker = spawn([&] {
      while (!read_done) {
        ++ticks;
        this_fiber::yield();
      }
    });
    auto reader = spawn([&] {
      std::string data = read_file(path);
      ticks_when_read_done = ticks;
      read_done = true;
      return data.size();
    });
    CHECK(reader.join() == std::size_t{2 << 20});
    ticker.join();
    // A read that held the thread would have let the ticker run zero times.
    CHECK(ticks_when_read_done > 0);
  });
}

TEST_CASE("a read cancelled in flight returns at once; the pool never writes the caller's buffer, nothing leaks",
          "[io][file]") {
  test::TempDir dir;
  const std::string path = dir.file("cancelled");
  test::run_virtual([&] { write_file(path, test::patterned(4 << 20)); });
  test::run_virtual([&] {
    std::size_t fds_before = test::open_fd_count();
    std::vector<char> buffer(4 << 20, 'x');
    File file = File::open(path);
    auto reader = spawn([&] { return file.pread(buffer, 0); });
    this_fiber::yield();  // the reader submits its pread and parks
    file.close();         // the pool call keeps the descriptor open until it has finished
    reader.cancel("no longer needed");
    CHECK_THROWS_AS(reader.join(), CancelledError);
    detail::wait_for_blocking_pool_idle();
    this_fiber::yield();  // the pool's completion post arrives with nobody waiting for it
    CHECK(std::all_of(buffer.begin(), buffer.end(), [](char c) { return c == 'x'; }));
    CHECK(test::open_fd_count() == fds_before);
  });
}

TEST_CASE("an open cancelled in flight closes the descriptor it opened", "[io][file]") {
  test::TempDir dir;
  const std::string path = dir.file("opened");
  test::run_virtual([&] {
    write_file(path, "x");
    std::size_t fds_before = test::open_fd_count();
    auto opener = spawn([&] { return File::open(path).is_open(); });
    this_fiber::yield();  // the opener submits its open and parks
    opener.cancel();
    CHECK_THROWS_AS(opener.join(), CancelledError);
    detail::wait_for_blocking_pool_idle();
    this_fiber::yield();
    CHECK(test::open_fd_count() == fds_before);
  });
}
