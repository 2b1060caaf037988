// Server: accept connections and run a handler for each in its own fiber.
//
//   Server server(tcp_listen(SocketAddress::loopback_v4(8080)), [](SocketStream& connection) {
//     while (auto line = connection.readline(); !line.empty()) connection.write_all(line);
//   }, {.max_connections = 1000});
//   ...
//   server.stop(5s);   // stop accepting, give handlers 5 s to finish, cancel the rest
//
// Why it is built this way. One accept fiber owns each listener (a server may listen on several
// addresses, as asyncio's does for a name with an IPv4 and an IPv6 address); each connection gets a
// fiber that owns its stream, so a handler is plain blocking code and a slow client holds up nobody.
// The listeners share the handler, the connection limit and the stop. At max_connections the accept
// fibers park until a handler ends (the kernel's backlogs hold the queues meanwhile), which bounds
// memory and descriptors; they take a connection only once one is pending, so the free slot goes
// to whichever listener's client comes first. Running out of descriptors (EMFILE,
// ENFILE) must not kill a server: the pending connection stays queued, so the accept fiber says so
// once through the diagnostic sink, then waits until a handler ends or accept_backoff passes and
// tries again. A stop is graceful in three steps: close the listeners, wait for the handlers up to
// the grace deadline, then cancel the rest and wait until they have unwound (their streams close as
// their stacks unwind).
#pragma once

#include <spindle/io/deadline.hpp>
#include <spindle/io/listener.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace spindle {

struct ServerOptions {
  // Connections served at once; nullopt: no limit.
  std::optional<std::size_t> max_connections{};
  // After EMFILE/ENFILE on accept, retry when a connection ends or after this long.
  Duration accept_backoff = std::chrono::milliseconds(100);
};

class Server {
 public:
  // Runs in the connection's fiber; the stream closes when it returns. What it throws (other than
  // CancelledError) is reported through the diagnostic sink with the peer's address; the server
  // goes on.
  using Handler = std::function<void(SocketStream& connection)>;

  // Starts serving: spawns an accept fiber per listener on the calling thread's scheduler, which
  // first run when the caller parks or yields. Never blocks. Throws FiberError without a scheduler,
  // std::invalid_argument for no listener or a closed one.
  Server(std::vector<Listener> listeners, Handler handler, ServerOptions options = {});
  Server(Listener listener, Handler handler, ServerOptions options = {});
  Server(Server&&) noexcept;
  Server& operator=(Server&&) noexcept;
  // As stop(now()): cancels the handlers still running and, on a fiber, waits until they unwound.
  ~Server();

  // Stops accepting at once (every listening socket closes; new connections are refused), without
  // waiting for the handlers (asyncio's Server.close). Never blocks; idempotent.
  void close() noexcept;
  // close(), then waits for the handlers until `grace` passes, cancels those still running, and
  // waits until they have unwound. Parks the calling fiber (of this scheduler); no deadline means
  // wait for every handler. A cancellation point: cancelled, the handlers keep running.
  void stop(Deadline grace = {});
  // Parks until the server is closed and every handler has ended. A cancellation point.
  void wait_closed();
  // Parks until someone closes the server; if the calling fiber is cancelled meanwhile, stops the
  // server with no grace and rethrows. An accept loop's own fatal error (not EMFILE), which closes
  // every listener, is rethrown.
  void serve_forever();

  bool serving() const noexcept;
  std::size_t connections() const noexcept;
  // The first listener's address (with the port the kernel chose). Never blocks.
  const SocketAddress& local_address() const noexcept;
  // asyncio's Server.sockets, as the addresses listened on, one per listener in the order given;
  // still answered after the server closed. Never blocks.
  const std::vector<SocketAddress>& sockets() const noexcept;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace spindle
