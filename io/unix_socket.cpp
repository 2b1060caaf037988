#include <spindle/io/datagram_socket.hpp>
#include <spindle/io/errors.hpp>
#include <spindle/io/socket_pair.hpp>
#include <spindle/io/unix_socket.hpp>

#include <sys/socket.h>

#include <stdexcept>
#include <string>

namespace spindle {
namespace {

std::pair<Socket, Socket> connected_pair(int type) {
  int fds[2];
  if (::socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) throw_io_error(errno, "socketpair");
  return {Socket(FileDescriptor(fds[0]), {}, type == SOCK_STREAM), Socket(FileDescriptor(fds[1]), {}, type == SOCK_STREAM)};
}

}  // namespace

void DatagramSocket::connect(const SocketAddress& peer) { socket_.connect(peer); }

UdpSocket udp_bind(const SocketAddress& address) {
  if (!address.is_ip()) throw std::invalid_argument("udp_bind: not an IP address: " + address.to_string());
  Socket socket = Socket::open(address.family(), SOCK_DGRAM);
  socket.bind(address);
  return UdpSocket(std::move(socket));
}

UdpSocket udp_open(int family) { return UdpSocket(Socket::open(family, SOCK_DGRAM)); }

UnixDatagramSocket unix_datagram_bind(std::string_view path) {
  Socket socket = Socket::open(AF_UNIX, SOCK_DGRAM);
  socket.bind(SocketAddress::unix_path(path));
  return UnixDatagramSocket(std::move(socket));
}

UnixListener unix_listen(std::string_view path, ListenOptions options) {
  SocketAddress address = SocketAddress::unix_path(path);
  Socket socket = Socket::open(AF_UNIX, SOCK_STREAM);
  socket.bind(address);
  // Recorded before listen(), so that a failure from here on removes the file we just made.
  detail::SocketFile file;
  if (path.front() != '\0') file = detail::SocketFile(std::string(path));
  Listener listener(std::move(socket), options.stream, std::move(file));
  listener.socket().listen(options.backlog);
  return listener;
}

UnixStream unix_connect(std::string_view path, Deadline deadline, StreamOptions options) {
  SocketAddress address = SocketAddress::unix_path(path);
  Socket socket = Socket::open(AF_UNIX, SOCK_STREAM);
  socket.connect(address, deadline);
  return UnixStream(std::move(socket), options);
}

std::pair<UnixStream, UnixStream> socket_pair(StreamOptions options) {
  auto [a, b] = connected_pair(SOCK_STREAM);
  return {UnixStream(std::move(a), options), UnixStream(std::move(b), options)};
}

std::pair<UnixDatagramSocket, UnixDatagramSocket> datagram_socket_pair() {
  auto [a, b] = connected_pair(SOCK_DGRAM);
  return {UnixDatagramSocket(std::move(a)), UnixDatagramSocket(std::move(b))};
}

}  // namespace spindle
