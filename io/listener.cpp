#include <spindle/io/listener.hpp>

#include <spindle/io/errors.hpp>

#include <netinet/in.h>

#include <stdexcept>

namespace spindle {

SocketStream Listener::accept(Deadline deadline) {
  return SocketStream(socket_.accept(deadline), stream_options_);
}

std::optional<SocketStream> Listener::try_accept() {
  std::optional<Socket> connection = socket_.try_accept();
  if (!connection) return std::nullopt;
  return SocketStream(std::move(*connection), stream_options_);
}

void Listener::close() noexcept {
  socket_file_.remove();
  socket_.close();
}

Listener tcp_listen(const SocketAddress& address, ListenOptions options) {
  if (!address.is_ip()) throw std::invalid_argument("tcp_listen: not an IP address: " + address.to_string());
  Socket socket = Socket::open(address.family(), SOCK_STREAM);
  if (options.reuse_address) socket.set_option(SOL_SOCKET, SO_REUSEADDR, 1, "set SO_REUSEADDR on");
  if (options.reuse_port) socket.set_option(SOL_SOCKET, SO_REUSEPORT, 1, "set SO_REUSEPORT on");
  if (address.family() == AF_INET6 && options.v6_only) {
    socket.set_option(IPPROTO_IPV6, IPV6_V6ONLY, *options.v6_only ? 1 : 0, "set IPV6_V6ONLY on");
  }
  socket.bind(address);
  socket.listen(options.backlog);
  return Listener(std::move(socket), options.stream);
}

namespace {

// One pass over the addresses; nullopt when a shared ephemeral port turned out to be taken.
std::optional<std::vector<Listener>> listen_on_all(std::span<const SocketAddress> addresses, const ListenOptions& options) {
  std::vector<Listener> listeners;
  std::exception_ptr unsupported;  // the first family the kernel refused
  std::uint16_t shared_port = 0;
  for (const SocketAddress& address : addresses) {
    bool takes_shared_port = address.port() == 0 && shared_port != 0;
    try {
      listeners.push_back(tcp_listen(takes_shared_port ? address.with_port(shared_port) : address, options));
    } catch (const IoError& error) {
      if (error.code() == std::errc::address_family_not_supported) {
        if (!unsupported) unsupported = std::current_exception();
        continue;
      }
      if (takes_shared_port && error.code() == std::errc::address_in_use) return std::nullopt;
      throw;
    }
    if (address.port() == 0 && shared_port == 0) shared_port = listeners.back().local_address().port();
  }
  if (listeners.empty()) std::rethrow_exception(unsupported);
  return listeners;
}

}  // namespace

std::vector<Listener> tcp_listen(std::span<const SocketAddress> addresses, ListenOptions options) {
  if (addresses.empty()) throw std::invalid_argument("tcp_listen: no address to listen on");
  for (const SocketAddress& address : addresses) {
    if (!address.is_ip()) throw std::invalid_argument("tcp_listen: not an IP address: " + address.to_string());
  }
  // Another program can take the port between our binds only by racing us for it; a few rounds
  // make losing every one of them vanishingly unlikely.
  constexpr int rounds = 8;
  for (int round = 1;; ++round) {
    if (auto listeners = listen_on_all(addresses, options)) return std::move(*listeners);
    if (round == rounds) {
      throw_io_error(EADDRINUSE, "listen on one port for all of", std::to_string(addresses.size()) + " addresses");
    }
  }
}

}  // namespace spindle
