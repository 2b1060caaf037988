// asyncio's streams: open_connection, start_server, StreamReader, StreamWriter.
//
//   auto [reader, writer] = open_connection("127.0.0.1", 8888);
//   writer.write("hello\n");
//   writer.drain();
//   std::string reply = reader.readline();
//   writer.close();
//   writer.wait_closed();
//
//   Server server = start_server([](StreamReader reader, StreamWriter writer) {
//     writer.write(reader.readline());
//     writer.drain();
//   }, "127.0.0.1", 8888);
//   server.serve_forever();
//
// A thin face over io/: the reader and writer share one SocketStream (io/socket_stream.hpp), the
// server is io's Server (a fiber per connection, graceful stop). Every call that asyncio awaits
// parks the calling fiber here, is a cancellation point, and works inside timeout scopes. The
// stream closes when the last reader or writer of a connection goes. asyncio's errors keep their
// names: IncompleteReadError (partial, expected) and LimitOverrunError (consumed) from
// io/stream_errors.hpp. Differences from asyncio are listed in docs/asyncio-mapping.md.
#pragma once

#include <spindle/io/server.hpp>
#include <spindle/io/socket_stream.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spindle {

class StreamReader {
 public:
  explicit StreamReader(std::shared_ptr<SocketStream> stream) noexcept : stream_(std::move(stream)) {}

  // read(-1): everything until end of stream; read(0): ""; read(n): up to n bytes, at least one,
  // "" at end of stream.
  std::string read(std::ptrdiff_t n = -1);
  // Exactly n bytes; IncompleteReadError if the stream ends first.
  std::string readexactly(std::size_t n) { return stream_->read_exactly(n); }
  // A line with its "\n", or what is left at end of stream ("" when nothing). LimitOverrunError past
  // the limit (asyncio raises ValueError here).
  std::string readline() { return stream_->readline(); }
  // Up to and including `separator`; IncompleteReadError at end of stream, LimitOverrunError past
  // the limit.
  std::string readuntil(std::string_view separator = "\n") { return stream_->read_until(separator); }
  // End of stream reached and nothing buffered. Never blocks.
  bool at_eof() const noexcept { return stream_->at_eof(); }

 private:
  std::shared_ptr<SocketStream> stream_;
};

class StreamWriter {
 public:
  explicit StreamWriter(std::shared_ptr<SocketStream> stream) noexcept : stream_(std::move(stream)) {}

  // Buffers `data`. Parks (sending) only when the buffer is full, which asyncio leaves to drain().
  void write(std::string_view data) { stream_->write(data); }
  void writelines(const std::vector<std::string>& lines);
  // Parks until everything written so far was handed to the kernel.
  void drain() { stream_->flush(); }
  // Sends what is buffered, then end of stream; reading goes on.
  void write_eof() { stream_->shutdown_write(); }
  bool can_write_eof() const noexcept { return true; }
  // Sends what is buffered (parking if need be: asyncio does this in the background) and closes.
  // A failure to send is dropped, as asyncio's transport drops it. Idempotent.
  void close();
  bool is_closing() const noexcept { return closed_; }
  // Returns once close() has closed the stream (at once here: close() already waited).
  void wait_closed() const noexcept {}
  // "peername" and "sockname" give the addresses; other names, nullopt.
  std::optional<SocketAddress> get_extra_info(std::string_view name) const;
  // The io/ stream underneath, for what asyncio has no spelling for (set_nodelay, deadlines).
  SocketStream& stream() noexcept { return *stream_; }

 private:
  std::shared_ptr<SocketStream> stream_;
  bool closed_ = false;
};

struct StreamConnectOptions {
  // asyncio's `limit`: the most readline/readuntil buffer without finding the separator.
  std::size_t limit = 64 * 1024;
  // The connect's timeout (name resolution included); nullopt: none. Timeout scopes work as well.
  std::optional<Duration> timeout{};
};

// Connects to `host` (numeric, "localhost" or a name resolved through io/dns) at `port` with Happy
// Eyeballs. Parks the calling fiber; throws IoError, DnsError, TimeoutError, CancelledError.
std::pair<StreamReader, StreamWriter> open_connection(std::string_view host, std::uint16_t port,
                                                      StreamConnectOptions options = {});
std::pair<StreamReader, StreamWriter> open_unix_connection(std::string_view path, StreamConnectOptions options = {});

// The handler runs in a fiber per connection (asyncio runs it as a task), given the connection's
// reader and writer. What it throws is reported through the diagnostic sink.
using StreamHandler = std::function<void(StreamReader reader, StreamWriter writer)>;

struct StartServerOptions {
  std::size_t limit = 64 * 1024;
  int backlog = 100;  // asyncio's default
  bool reuse_port = false;
  std::optional<std::size_t> max_connections{};
};

// Listens at `port` on every address `host` stands for, as asyncio's create_server does, and
// serves at once: "" is every interface (0.0.0.0, and :: unless the kernel lacks IPv6, with
// IPV6_V6ONLY so each family has its own socket); a numeric literal is itself; a name gets a socket
// for each address resolve() gives it (/etc/hosts, then DNS). One Server serves them all: one
// handler, one max_connections, one stop. Port 0 lets the kernel pick one port, which all the
// sockets share (asyncio picks one per socket); Server::sockets() lists the addresses. Parks only to
// resolve a name. Throws IoError (EADDRINUSE...: nothing is left listening), DnsError, TimeoutError.
Server start_server(StreamHandler handler, std::string_view host, std::uint16_t port, StartServerOptions options = {});
// As above for several hosts (asyncio's sequence of hosts): the sockets of them all, an address
// named twice listened on once. An empty list, like an empty host, is every interface.
Server start_server(StreamHandler handler, const std::vector<std::string>& hosts, std::uint16_t port,
                    StartServerOptions options = {});
// Listens on `path` (io/unix_socket.hpp: the socket file is removed when the server closes, unless
// another socket has taken the path meanwhile).
Server start_unix_server(StreamHandler handler, std::string_view path, StartServerOptions options = {});

}  // namespace spindle
