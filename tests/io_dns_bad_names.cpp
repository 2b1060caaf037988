// Names no DNS server could hold fail at once with DnsError(bad_name) and a message saying what is
// wrong, before anything is sent. Literals are answered without DNS, and a literal of the other
// family is no_address.
#include "fake_dns.hpp"
#include "leak_check.hpp"

using namespace spindle;
using namespace std::chrono_literals;

namespace {

std::string bad_name_message(std::string_view host, const SocketAddress& server) {
  try {
    resolve(host, 80, {.servers = {server}});
  } catch (const DnsError& error) {
    CHECK(error.code() == DnsError::Code::bad_name);
    CHECK(error.host() == host);
    return error.what();
  }
  FAIL("'" << host << "' was accepted");
  return "";
}

std::string repeated(std::string_view piece, int times) {
  std::string text;
  for (int i = 0; i < times; ++i) text += piece;
  return text;
}

}  // namespace

TEST_CASE("too long names, long labels, empty labels and illegal characters are bad_name", "[io][dns]") {
  test::SilentDns silent;
  test::run_virtual([&] {
    auto server = silent.address();
    std::string long_label(64, 'a');
    CHECK(bad_name_message(long_label + ".test", server) ==
          "resolve '" + long_label + ".test': not a host name: its label at offset 0 is 64 characters long; "
          "a label holds at most 63");
    std::string long_name = repeated("abcdefghi.", 30) + "test";
    CHECK(bad_name_message(long_name, server) ==
          "resolve '" + long_name.substr(0, 80) + "'... (304 characters): not a host name: it is 304 characters "
          "long; a DNS name holds at most 253");
    CHECK(bad_name_message("a..b", server) ==
          "resolve 'a..b': not a host name: it has an empty label at offset 2 (two dots, or a leading dot)");
    CHECK(bad_name_message(".a", server).find("empty label at offset 0") != std::string::npos);
    CHECK(bad_name_message("", server) == "resolve '': not a host name: it is empty");
    CHECK(bad_name_message("has space.test", server) ==
          "resolve 'has space.test': not a host name: ' ' at offset 3 cannot be in a host name (letters, digits, "
          "'-', '_' and dots; internationalised names in their xn-- form)");
    CHECK(bad_name_message("semi;colon", server).find("';' at offset 4") != std::string::npos);
    CHECK(bad_name_message("new\nline", server).find("'new\\x0aline': not a host name: byte 0x0a at offset 3") !=
          std::string::npos);
    CHECK(bad_name_message("caf\xc3\xa9.test", server).find("byte 0xc3 at offset 3") != std::string::npos);
    CHECK(silent.drain() == 0);  // none of them reached the server
  });
}

TEST_CASE("a name of exactly 253 characters (and a root dot) is sent, one more is not", "[io][dns]") {
  test::SilentDns silent;
  test::run_virtual([&] {
    std::string longest = repeated("abcdefghij.", 22) + "abcdefghijk";
    REQUIRE(longest.size() == 253);
    for (const std::string& name : {longest, longest + "."}) {
      CHECK_THROWS_AS(resolve(name, 80, {.family = AF_INET, .timeout = 1s, .servers = {silent.address()}}),
                      TimeoutError);
    }
    CHECK(silent.drain() >= 2);
    CHECK(bad_name_message(longest + "y", silent.address()).find("it is 254 characters long") != std::string::npos);
  });
}

TEST_CASE("literals are answered without DNS, in the family asked for", "[io][dns]") {
  test::SilentDns silent;
  test::run_virtual([&] {
    TimePoint start = now();
    CHECK(resolve("127.0.0.1", 80, {.servers = {silent.address()}}) ==
          std::vector<SocketAddress>{SocketAddress::ip("127.0.0.1", 80)});
    CHECK(resolve("::1", 443) == std::vector<SocketAddress>{SocketAddress::ip("::1", 443)});
    CHECK(resolve("[::1]", 443, {.family = AF_INET6}) == std::vector<SocketAddress>{SocketAddress::ip("::1", 443)});
    CHECK(now() == start);
    CHECK(silent.drain() == 0);
    try {
      resolve("127.0.0.1", 80, {.family = AF_INET6});
      FAIL("an IPv4 literal was returned for AF_INET6");
    } catch (const DnsError& error) {
      CHECK(error.code() == DnsError::Code::no_address);
      CHECK(std::string(error.what()) ==
            "resolve '127.0.0.1': is an IPv4 literal, and only IPv6 addresses were asked for");
    }
    CHECK_THROWS_AS(resolve("localhost", 80, {.family = AF_UNIX}), std::invalid_argument);
  });
}
