#include <spindle/compat/streams.hpp>

#include <spindle/io/dns.hpp>
#include <spindle/io/errors.hpp>
#include <spindle/io/tcp.hpp>
#include <spindle/io/unix_socket.hpp>

#include <algorithm>
#include <limits>

namespace spindle {
namespace {

std::pair<StreamReader, StreamWriter> reader_and_writer(SocketStream stream) {
  auto shared = std::make_shared<SocketStream>(std::move(stream));
  return {StreamReader(shared), StreamWriter(shared)};
}

Server::Handler adapt(StreamHandler handler) {
  return [handler = std::move(handler)](SocketStream& connection) {
    auto [reader, writer] = reader_and_writer(std::move(connection));
    handler(std::move(reader), std::move(writer));
  };
}

// asyncio's choice of addresses for create_server's hosts, duplicates dropped (asyncio keeps a set).
std::vector<SocketAddress> listen_addresses(const std::vector<std::string>& hosts, std::uint16_t port) {
  std::vector<SocketAddress> addresses;
  auto add = [&addresses](const SocketAddress& address) {
    if (std::find(addresses.begin(), addresses.end(), address) == addresses.end()) addresses.push_back(address);
  };
  for (const std::string& host : hosts) {
    if (host.empty()) {
      // IPv4 first, so that local_address() is 0.0.0.0 as it always was. tcp_listen drops :: if
      // the kernel has no IPv6.
      add(SocketAddress::any_v4(port));
      add(SocketAddress::any_v6(port));
    } else if (auto literal = SocketAddress::parse_ip(host, port)) {
      add(*literal);
    } else {
      for (const SocketAddress& address : resolve(host, port)) add(address);
    }
  }
  return addresses;
}

}  // namespace

std::string StreamReader::read(std::ptrdiff_t n) {
  if (n < 0) return stream_->read_to_end(std::numeric_limits<std::size_t>::max() / 2);
  std::string bytes(static_cast<std::size_t>(n), '\0');
  bytes.resize(stream_->read_some(std::span<char>(bytes)));
  return bytes;
}

void StreamWriter::writelines(const std::vector<std::string>& lines) {
  for (const std::string& line : lines) stream_->write(line);
}

void StreamWriter::close() {
  if (closed_) return;
  closed_ = true;
  try {
    stream_->flush();
  } catch (const std::exception&) {  // the peer is gone; asyncio's transport drops the data too
  }
  stream_->close();
}

std::optional<SocketAddress> StreamWriter::get_extra_info(std::string_view name) const {
  try {
    if (name == "peername") return stream_->peer_address();
    if (name == "sockname") return stream_->local_address();
  } catch (const IoError&) {  // closed: asyncio answers None
  }
  return std::nullopt;
}

std::pair<StreamReader, StreamWriter> open_connection(std::string_view host, std::uint16_t port,
                                                      StreamConnectOptions options) {
  return reader_and_writer(tcp_connect(host, port, {.timeout = options.timeout, .stream = {.limit = options.limit}}));
}

std::pair<StreamReader, StreamWriter> open_unix_connection(std::string_view path, StreamConnectOptions options) {
  return reader_and_writer(unix_connect(path, Deadline(options.timeout), {.limit = options.limit}));
}

Server start_server(StreamHandler handler, std::string_view host, std::uint16_t port, StartServerOptions options) {
  return start_server(std::move(handler), std::vector<std::string>{std::string(host)}, port, options);
}

Server start_server(StreamHandler handler, const std::vector<std::string>& hosts, std::uint16_t port,
                    StartServerOptions options) {
  std::vector<SocketAddress> addresses = listen_addresses(hosts.empty() ? std::vector<std::string>{""} : hosts, port);
  std::vector<Listener> listeners = tcp_listen(addresses, {.backlog = options.backlog,
                                                           .reuse_port = options.reuse_port,
                                                           .stream = {.limit = options.limit}});
  return Server(std::move(listeners), adapt(std::move(handler)), {.max_connections = options.max_connections});
}

Server start_unix_server(StreamHandler handler, std::string_view path, StartServerOptions options) {
  Listener listener = unix_listen(path, {.backlog = options.backlog, .stream = {.limit = options.limit}});
  return Server(std::move(listener), adapt(std::move(handler)), {.max_connections = options.max_connections});
}

}  // namespace spindle
