// TLS streams: TlsTransport encrypts any Transport; TlsStream is a Stream over one.
//
//   auto tls = TlsContext::client({.alpn = {"h2", "http/1.1"}});
//   TlsStream s = tls_connect("example.com", 443, tls, {.timeout = 10s});
//   s.write_all("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
//
// Why memory BIOs over a Transport. OpenSSL never touches a descriptor here: it encrypts into an
// outgoing memory buffer and decrypts from an incoming one, and TlsTransport moves the bytes through
// the Transport underneath (a TCP or Unix socket, or anything else), which parks the fiber with
// fd_wait when the kernel has no room or no data. So SSL_ERROR_WANT_READ means "read more from the
// transport", there is exactly one place that waits, deadlines and cancellation behave as for plain
// sockets, and Stream's buffering (readline, read_until, gathered writes) is reused unchanged. One
// reader fiber and one writer fiber may use a TlsStream at once, as with any Stream: whichever is
// already sending carries the other's TLS records too.
//
// A write that timed out or was cancelled may have been partly sent: afterwards every write throws
// TlsError (as Go's crypto/tls does), because a TLS record cannot be taken back. Reads go on.
// End of stream: a peer's close_notify reads as 0 bytes; a connection that ends without one is a
// TlsError (the data may have been cut short). Move-only; one scheduler thread.
#pragma once

#include <spindle/io/deadline.hpp>
#include <spindle/io/socket_stream.hpp>
#include <spindle/io/stream.hpp>
#include <spindle/io/tcp.hpp>
#include <spindle/io/tls_context.hpp>
#include <spindle/io/tls_error.hpp>
#include <spindle/io/transport.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct ssl_st;
struct bio_st;

namespace spindle {

class TlsTransport final : public Transport {
 public:
  // Runs the client handshake over `inner`: SNI and certificate verification for `server_hostname`
  // (a DNS name, or an IP literal, checked against the certificate's IP addresses and not sent as
  // SNI), ALPN as the context offers. Parks until done; a cancellation point. Throws TlsError
  // naming the peer and the reason ("certificate verify failed: hostname mismatch"), TimeoutError
  // at `deadline`, the transport's errors (IoError) for the connection itself.
  static std::unique_ptr<TlsTransport> connect(std::unique_ptr<Transport> inner, const TlsContext& context,
                                               std::string server_hostname, Deadline deadline = {});
  // Runs the server handshake over `inner` with a server context. Same errors.
  static std::unique_ptr<TlsTransport> accept(std::unique_ptr<Transport> inner, const TlsContext& context,
                                              Deadline deadline = {});
  ~TlsTransport() override;
  TlsTransport(const TlsTransport&) = delete;
  TlsTransport& operator=(const TlsTransport&) = delete;

  std::size_t read_some(MutableBytes into, Deadline deadline) override;
  std::size_t write_some(std::span<const ConstBytes> pieces, Deadline deadline) override;
  // Sends close_notify if the transport takes it at once, then shuts the transport's writing side.
  void shutdown_write() override;
  void close() noexcept override { inner_->close(); }
  // The transport's name with the server host name: "127.0.0.1:443 (example.com)".
  std::string name() const override { return name_; }

  // The ALPN protocol agreed on, "" if none. The TLS version ("TLSv1.3") and cipher suite.
  std::string alpn_protocol() const;
  std::string version() const;
  std::string cipher() const;
  // Server side: the host name the client asked for in SNI, "" if it sent none.
  std::string requested_server_name() const;

 private:
  TlsTransport(std::unique_ptr<Transport> inner, const TlsContext& context);
  void handshake(Deadline deadline);
  // Reads once from the transport into OpenSSL's input; false at the transport's end of stream.
  bool receive(Deadline deadline);
  // Sends everything OpenSSL has encrypted (unless another fiber is already sending it).
  void send_pending(Deadline deadline);
  // The TlsError for a failed SSL_* call that returned `result`.
  TlsError failure(std::string_view operation, int result);

  std::unique_ptr<Transport> inner_;
  std::shared_ptr<detail::TlsContextState> context_;  // keeps the SSL_CTX and its ALPN list alive
  ssl_st* ssl_ = nullptr;
  bio_st* incoming_ = nullptr;  // owned by ssl_
  bio_st* outgoing_ = nullptr;  // owned by ssl_
  std::string name_;
  std::vector<std::byte> receive_buffer_;
  std::vector<std::byte> unsent_;  // taken from `outgoing_`, not yet accepted by the transport
  std::size_t unsent_offset_ = 0;
  bool sending_ = false;
  bool write_broken_ = false;
};

class TlsStream : public Stream {
 public:
  explicit TlsStream(std::unique_ptr<TlsTransport> transport, StreamOptions options = {});

  std::string alpn_protocol() const { return transport_->alpn_protocol(); }
  std::string tls_version() const { return transport_->version(); }
  std::string requested_server_name() const { return transport_->requested_server_name(); }
  TlsTransport& tls() noexcept { return *transport_; }

 private:
  TlsTransport* transport_;  // owned by the Stream base; its address survives moves
};

// The client handshake over an established connection (which must have nothing buffered yet: the
// bytes would belong to TLS). See TlsTransport::connect for errors.
TlsStream tls_connect(SocketStream&& connection, const TlsContext& context, std::string_view server_hostname,
                      Deadline deadline = {});
// tcp_connect(host, port) and then the handshake, with `host` as the server name; options.timeout
// covers both.
TlsStream tls_connect(std::string_view host, std::uint16_t port, const TlsContext& context,
                      ConnectOptions options = {});
// The server handshake over an accepted connection (nothing buffered yet).
TlsStream tls_accept(SocketStream&& connection, const TlsContext& context, Deadline deadline = {});

}  // namespace spindle
