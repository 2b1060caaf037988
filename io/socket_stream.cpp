#include <spindle/io/socket_stream.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>

namespace spindle {

SocketStream::SocketStream(Socket socket, StreamOptions options)
    : Stream(std::make_unique<SocketTransport>(std::move(socket)), options),
      transport_(static_cast<SocketTransport*>(&transport())) {}

void SocketStream::set_nodelay(bool enabled) {
  socket().set_option(IPPROTO_TCP, TCP_NODELAY, enabled ? 1 : 0, "set TCP_NODELAY on");
}

void SocketStream::set_keepalive(std::optional<KeepAlive> settings) {
  socket().set_option(SOL_SOCKET, SO_KEEPALIVE, settings ? 1 : 0, "set SO_KEEPALIVE on");
  if (!settings) return;
  if (settings->idle) {
    socket().set_option(IPPROTO_TCP, TCP_KEEPIDLE, static_cast<int>(settings->idle->count()), "set TCP_KEEPIDLE on");
  }
  if (settings->interval) {
    socket().set_option(IPPROTO_TCP, TCP_KEEPINTVL, static_cast<int>(settings->interval->count()),
                        "set TCP_KEEPINTVL on");
  }
  if (settings->probes) socket().set_option(IPPROTO_TCP, TCP_KEEPCNT, *settings->probes, "set TCP_KEEPCNT on");
}

}  // namespace spindle
