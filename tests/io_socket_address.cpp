// SocketAddress: parsing numeric literals, formatting, families, Unix paths, bad input.
#include <spindle/io/socket_address.hpp>

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/un.h>

#include <stdexcept>
#include <string>

using spindle::SocketAddress;

TEST_CASE("IPv4 and IPv6 literals parse and print back", "[io][address]") {
  auto v4 = SocketAddress::ip("127.0.0.1", 8080);
  CHECK(v4.family() == AF_INET);
  CHECK(v4.port() == 8080);
  CHECK(v4.host() == "127.0.0.1");
  CHECK(v4.to_string() == "127.0.0.1:8080");
  CHECK(v4.native_size() == sizeof(sockaddr_in));

  auto v6 = SocketAddress::ip("[::1]", 443);
  CHECK(v6.family() == AF_INET6);
  CHECK(v6.host() == "::1");
  CHECK(v6.to_string() == "[::1]:443");
  CHECK(SocketAddress::loopback_v6(443) == v6);
  CHECK(v6.with_port(80).port() == 80);
  CHECK(v6.with_port(80) != v6);
}

TEST_CASE("host:port strings parse, bad ones are named in the error", "[io][address]") {
  CHECK(SocketAddress::parse("10.1.2.3:65535") == SocketAddress::ip("10.1.2.3", 65535));
  CHECK(SocketAddress::parse("[::1]:0") == SocketAddress::loopback_v6(0));
  for (const char* bad : {"localhost:80", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "::1:80", "1.2.3.4:8x"}) {
    INFO(bad);
    CHECK_THROWS_WITH(SocketAddress::parse(bad), Catch::Contains(std::string("'") + bad + "'"));
  }
  CHECK_FALSE(SocketAddress::parse_ip("example.test", 1).has_value());
  CHECK_FALSE(SocketAddress::parse_ip("", 1).has_value());
  CHECK_FALSE(SocketAddress::parse_ip("fe80::1%no-such-interface", 1).has_value());
  CHECK_THROWS_AS(SocketAddress::ip("999.1.1.1", 1), std::invalid_argument);
}

TEST_CASE("Unix paths, abstract names and their limits", "[io][address]") {
  auto path = SocketAddress::unix_path("/run/app.sock");
  CHECK(path.family() == AF_UNIX);
  CHECK(path.host() == "/run/app.sock");
  CHECK(path.to_string() == "unix:/run/app.sock");
  CHECK(path.port() == 0);

  auto abstract = SocketAddress::unix_path(std::string("\0spindle", 8));
  CHECK(abstract.to_string() == "unix:@spindle");
  CHECK(abstract.native_size() == offsetof(sockaddr_un, sun_path) + 8);

  CHECK_THROWS_WITH(SocketAddress::unix_path(""), Catch::Contains("1 to 107 bytes"));
  CHECK_THROWS_WITH(SocketAddress::unix_path(std::string(108, 'x')), Catch::Contains("not 108"));
}

TEST_CASE("from_native copies what the kernel wrote and refuses oversize input", "[io][address]") {
  auto original = SocketAddress::ip("192.0.2.7", 53);
  CHECK(SocketAddress::from_native(original.native(), original.native_size()) == original);
  CHECK_THROWS_AS(SocketAddress::from_native(original.native(), sizeof(sockaddr_storage) + 1), std::invalid_argument);
  CHECK(SocketAddress().to_string() == "unspecified");
}
