// TCP: connecting. (Listening is io/listener.hpp; the stream is io/socket_stream.hpp.)
//
//   TcpStream s = tcp_connect("127.0.0.1", 8080, {.timeout = 5s});
//   s.write_all(request);
//   std::string head = s.read_until("\r\n\r\n");
#pragma once

#include <spindle/io/dns.hpp>
#include <spindle/io/happy_eyeballs.hpp>
#include <spindle/io/socket_stream.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace spindle {

struct ConnectOptions {
  // For the whole connect: name resolution and every attempt. nullopt: none (the kernel's SYN
  // retries still end a hopeless attempt after about two minutes).
  std::optional<Duration> timeout{};
  // Happy Eyeballs' Connection Attempt Delay (RFC 8305 recommends 250 ms).
  Duration attempt_delay = default_attempt_delay;
  // TCP_NODELAY on the new stream.
  bool nodelay = false;
  StreamOptions stream{};
  // How a host name is looked up (family, servers); its timeout defaults to what is left of ours.
  ResolveOptions resolve{};
};

// Connects to `address`. Parks the calling fiber until connected; a cancellation point. Throws
// IoError ("connect to 127.0.0.1:9: Connection refused"), TimeoutError at options.timeout.
TcpStream tcp_connect(const SocketAddress& address, ConnectOptions options = {});

// Connects to `host` at `port`: a numeric IPv4/IPv6 literal directly, "localhost" as ::1 and
// 127.0.0.1 (RFC 6761), any other name through resolve() (io/dns.hpp), then races the addresses
// with Happy Eyeballs. Errors as above, plus DnsError when the name does not resolve.
TcpStream tcp_connect(std::string_view host, std::uint16_t port, ConnectOptions options = {});

}  // namespace spindle
