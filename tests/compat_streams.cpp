// asyncio streams: open_connection / start_server, the reader's and writer's calls, asyncio's
// errors, timeout scopes around stream calls.
#include "leak_check.hpp"

#include <string>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// The seed's echo handler: one line back, then close.
void echo_once(StreamReader reader, StreamWriter writer) {
  std::string line = reader.readline();
  writer.write(line);
  writer.drain();
  writer.close();
  writer.wait_closed();
}

}  // namespace

TEST_CASE("open_connection talks to start_server's handler", "[compat][streams]") {
  test::run_virtual([] {
    Server server = start_server(echo_once, "127.0.0.1", 0);
    REQUIRE(server.sockets().size() == 1);
    std::uint16_t port = server.sockets()[0].port();
    auto [reader, writer] = open_connection("127.0.0.1", port);
    CHECK(writer.get_extra_info("peername") == server.local_address());
    CHECK(writer.get_extra_info("sockname")->host() == "127.0.0.1");
    CHECK_FALSE(writer.get_extra_info("cipher").has_value());
    writer.write("Hello World!\n");
    writer.drain();
    CHECK(reader.readline() == "Hello World!\n");
    CHECK(reader.read() == "");  // the handler closed its side
    CHECK(reader.at_eof());
    writer.close();
    CHECK(writer.is_closing());
    writer.wait_closed();
    server.close();
    server.wait_closed();
    CHECK_FALSE(server.serving());
  });
}

TEST_CASE("read(n), read(-1), write_eof and writelines", "[compat][streams]") {
  test::run_virtual([] {
    Server server = start_server([](StreamReader reader, StreamWriter writer) {
      std::string everything = reader.read();  // until the client's write_eof
      writer.writelines({"got ", std::to_string(everything.size()), " bytes"});
      writer.close();
    }, "", 0);
    auto [reader, writer] = open_connection("localhost", server.local_address().port());
    CHECK(writer.can_write_eof());
    writer.write("twelve bytes");
    writer.write_eof();
    CHECK(reader.read(0) == "");
    CHECK(reader.read(4) == "got ");
    CHECK(reader.read() == "12 bytes");
    CHECK(reader.read(10) == "");
    server.close();
  });
}

TEST_CASE("readexactly's IncompleteReadError and readuntil's LimitOverrunError keep asyncio's fields",
          "[compat][streams]") {
  test::run_virtual([] {
    Server server = start_server([](StreamReader, StreamWriter writer) {
      writer.write(std::string(40, 'a'));
      writer.close();
    }, "127.0.0.1", 0);
    auto [reader, writer] = open_connection("127.0.0.1", server.local_address().port(), {.limit = 32});
    try {
      reader.readuntil("\r\n");
      FAIL("readuntil returned");
    } catch (const LimitOverrunError& error) {
      CHECK(error.consumed() >= 32);
    }
    try {
      reader.readexactly(100);
      FAIL("readexactly returned");
    } catch (const IncompleteReadError& error) {
      CHECK(error.partial() == std::string(40, 'a'));
      CHECK(error.expected() == 100u);
    }
    server.close();
  });
}

TEST_CASE("a timeout scope around a stream call turns into TimeoutError", "[compat][streams]") {
  test::run_virtual([] {
    Server server = start_server([](StreamReader reader, StreamWriter) { reader.read(); }, "127.0.0.1", 0);
    auto [reader, writer] = open_connection("127.0.0.1", server.local_address().port(), {.timeout = 5s});
    TimePoint began = now();
    CHECK_THROWS_AS(timeout(2s, [&reader] { return reader.readline(); }), TimeoutError);
    CHECK(test::seconds_since(began) == Approx(2.0));
    writer.close();
    server.stop(1s);
  });
}

TEST_CASE("Unix-domain servers and connections", "[compat][streams]") {
  test::run_virtual([] {
    std::string path("\0spindle-compat-streams-", 23);
    path += std::to_string(::getpid());
    Server server = start_unix_server(echo_once, path);
    auto [reader, writer] = open_unix_connection(path);
    writer.write("over unix\n");
    writer.drain();
    CHECK(reader.readline() == "over unix\n");
    server.stop();
  });
}
