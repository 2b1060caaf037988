#include <spindle/io/listener.hpp>

#include <netinet/in.h>

namespace spindle {

SocketStream Listener::accept(Deadline deadline) {
  return SocketStream(socket_.accept(deadline), stream_options_);
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

}  // namespace spindle
