#include <spindle/io/tcp.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

namespace spindle {
namespace {

// Numeric literals and "localhost" need no resolver (RFC 6761: localhost is always loopback).
std::vector<SocketAddress> addresses_of(std::string_view host, std::uint16_t port, Deadline deadline,
                                        ResolveOptions options) {
  if (auto literal = SocketAddress::parse_ip(host, port)) return {*literal};
  if (host == "localhost") return {SocketAddress::loopback_v6(port), SocketAddress::loopback_v4(port)};
  if (!options.timeout && deadline) options.timeout = std::max(Duration::zero(), *deadline.when() - now());
  return resolve(host, port, std::move(options));
}

TcpStream finish(Socket socket, const ConnectOptions& options) {
  TcpStream stream(std::move(socket), options.stream);
  if (options.nodelay) stream.set_nodelay(true);
  return stream;
}

}  // namespace

TcpStream tcp_connect(const SocketAddress& address, ConnectOptions options) {
  if (!address.is_ip()) throw std::invalid_argument("tcp_connect: not an IP address: " + address.to_string());
  Deadline deadline(options.timeout);
  return finish(connect_happy_eyeballs(std::span(&address, 1), deadline), options);
}

TcpStream tcp_connect(std::string_view host, std::uint16_t port, ConnectOptions options) {
  Deadline deadline(options.timeout);
  std::vector<SocketAddress> addresses = addresses_of(host, port, deadline, std::move(options.resolve));
  return finish(connect_happy_eyeballs(addresses, deadline, options.attempt_delay), options);
}

}  // namespace spindle
