#include <spindle/io/tls.hpp>

#include <spindle/fibers/errors.hpp>
#include <spindle/io/detail/tls_context_state.hpp>
#include <spindle/io/socket_address.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace spindle {
namespace {

// One TLS record's worth of ciphertext (16 KiB of plaintext plus overhead) per transport read.
constexpr std::size_t receive_chunk = 17 * 1024;
// Plaintext per SSL_write: one full record.
constexpr std::size_t record_plaintext = 16 * 1024;

// Clears `flag` however the scope is left.
struct ClearOnExit {
  bool& flag;
  ~ClearOnExit() { flag = false; }
};

std::unique_ptr<Transport> transport_of(SocketStream&& connection) {
  if (connection.buffered() != 0) {
    throw std::logic_error("TLS over " + connection.name() + ": bytes were read before the handshake");
  }
  return std::make_unique<SocketTransport>(std::move(connection.socket()));
}

}  // namespace

TlsTransport::TlsTransport(std::unique_ptr<Transport> inner, const TlsContext& context)
    : inner_(std::move(inner)), context_(context.state()), name_(inner_->name()), receive_buffer_(receive_chunk) {
  ssl_ = SSL_new(context_->ctx);
  incoming_ = BIO_new(BIO_s_mem());
  outgoing_ = BIO_new(BIO_s_mem());
  if (ssl_ == nullptr || incoming_ == nullptr || outgoing_ == nullptr) {
    BIO_free(incoming_);
    BIO_free(outgoing_);
    SSL_free(ssl_);
    throw TlsError("TLS setup for " + name_, detail::take_openssl_error());
  }
  SSL_set_bio(ssl_, incoming_, outgoing_);  // ssl_ owns both from here
}

TlsTransport::~TlsTransport() { SSL_free(ssl_); }

std::unique_ptr<TlsTransport> TlsTransport::connect(std::unique_ptr<Transport> inner, const TlsContext& context,
                                                    std::string server_hostname, Deadline deadline) {
  if (context.is_server()) throw std::invalid_argument("TlsTransport::connect needs a client TlsContext");
  std::unique_ptr<TlsTransport> tls(new TlsTransport(std::move(inner), context));
  tls->name_ += " (" + server_hostname + ")";
  SSL* ssl = tls->ssl_;
  SSL_set_connect_state(ssl);
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  bool is_ip = SocketAddress::parse_ip(server_hostname, 0).has_value();
  // An IP literal is checked against the certificate's IP addresses and never sent as SNI (RFC 6066).
  bool named = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, server_hostname.c_str()) == 1
                     : X509_VERIFY_PARAM_set1_host(param, server_hostname.c_str(), server_hostname.size()) == 1 &&
                           SSL_set_tlsext_host_name(ssl, server_hostname.c_str()) == 1;
  if (!named) throw TlsError("TLS connect to " + tls->name_, "bad server name: " + detail::take_openssl_error());
  const std::string& alpn = context.state()->alpn_wire;
  if (!alpn.empty() &&
      SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(alpn.data()), static_cast<unsigned>(alpn.size())) != 0) {
    throw TlsError("TLS connect to " + tls->name_, detail::take_openssl_error());
  }
  tls->handshake(deadline);
  return tls;
}

std::unique_ptr<TlsTransport> TlsTransport::accept(std::unique_ptr<Transport> inner, const TlsContext& context,
                                                   Deadline deadline) {
  if (!context.is_server()) throw std::invalid_argument("TlsTransport::accept needs a server TlsContext");
  std::unique_ptr<TlsTransport> tls(new TlsTransport(std::move(inner), context));
  SSL_set_accept_state(tls->ssl_);
  tls->handshake(deadline);
  return tls;
}

void TlsTransport::handshake(Deadline deadline) {
  for (;;) {
    ERR_clear_error();
    int result = SSL_do_handshake(ssl_);
    if (result == 1) {
      send_pending(deadline);
      return;
    }
    if (SSL_get_error(ssl_, result) == SSL_ERROR_WANT_READ) {
      send_pending(deadline);
      if (!receive(deadline)) throw TlsError("TLS handshake with " + name_, "the peer closed the connection");
      continue;
    }
    TlsError error = failure("TLS handshake with", result);
    // Tell the peer why (OpenSSL queued an alert), if the transport takes it now.
    try {
      send_pending(Deadline(now()));
    } catch (const std::exception&) {
    }
    throw error;
  }
}

bool TlsTransport::receive(Deadline deadline) {
  std::size_t got = inner_->read_some(receive_buffer_, deadline);
  if (got == 0) return false;
  BIO_write(incoming_, receive_buffer_.data(), static_cast<int>(got));
  return true;
}

void TlsTransport::send_pending(Deadline deadline) {
  if (sending_) return;  // the fiber already sending takes our records along
  sending_ = true;
  ClearOnExit done{sending_};
  for (;;) {
    if (unsent_offset_ == unsent_.size()) {
      unsent_.resize(BIO_ctrl_pending(outgoing_));
      unsent_offset_ = 0;
      if (unsent_.empty()) return;
      BIO_read(outgoing_, unsent_.data(), static_cast<int>(unsent_.size()));
    }
    ConstBytes rest(unsent_.data() + unsent_offset_, unsent_.size() - unsent_offset_);
    unsent_offset_ += inner_->write_some(std::span<const ConstBytes>(&rest, 1), deadline);
  }
}

TlsError TlsTransport::failure(std::string_view operation, int result) {
  int kind = SSL_get_error(ssl_, result);
  long verify = SSL_get_verify_result(ssl_);
  unsigned long code = ERR_peek_last_error();
  std::string what = std::string(operation) + " " + name_;
  if (ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED && verify != X509_V_OK) {
    ERR_clear_error();
    return TlsError(what, std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify), verify);
  }
  if (code == 0 && kind == SSL_ERROR_SYSCALL) return TlsError(what, "the connection ended in the middle of a TLS record");
  return TlsError(what, detail::take_openssl_error());
}

std::size_t TlsTransport::read_some(MutableBytes into, Deadline deadline) {
  for (;;) {
    ERR_clear_error();
    std::size_t got = 0;
    int result = SSL_read_ex(ssl_, into.data(), into.size(), &got);
    if (result == 1) return got;
    int kind = SSL_get_error(ssl_, result);
    if (kind == SSL_ERROR_ZERO_RETURN) return 0;  // close_notify
    if (kind != SSL_ERROR_WANT_READ) throw failure("TLS read from", result);
    send_pending(deadline);  // a reply OpenSSL queued while reading (a TLS 1.3 key update)
    if (!receive(deadline)) {
      throw TlsError("TLS read from " + name_,
                     "the connection ended without a TLS close_notify (the data may be truncated)");
    }
  }
}

std::size_t TlsTransport::write_some(std::span<const ConstBytes> pieces, Deadline deadline) {
  if (write_broken_) {
    throw TlsError("TLS write to " + name_, "an earlier write timed out or was cancelled part-way; the stream cannot be written again");
  }
  send_pending(deadline);  // earlier records first; nothing of this call is committed yet
  // Up to one record of plaintext, gathered from the pieces.
  std::byte gathered[record_plaintext];
  std::size_t size = 0;
  for (ConstBytes piece : pieces) {
    std::size_t take = std::min(piece.size(), record_plaintext - size);
    std::memcpy(gathered + size, piece.data(), take);
    size += take;
    if (size == record_plaintext) break;
  }
  for (;;) {
    ERR_clear_error();
    std::size_t written = 0;
    int result = SSL_write_ex(ssl_, gathered, size, &written);
    if (result == 1) {
      try {
        send_pending(deadline);
      } catch (...) {
        write_broken_ = true;
        throw;
      }
      return written;
    }
    if (SSL_get_error(ssl_, result) != SSL_ERROR_WANT_READ) throw failure("TLS write to", result);
    if (!receive(deadline)) throw TlsError("TLS write to " + name_, "the peer closed the connection");
  }
}

void TlsTransport::shutdown_write() {
  ERR_clear_error();
  SSL_shutdown(ssl_);  // queues close_notify
  try {
    send_pending(Deadline(now()));
  } catch (const TimeoutError&) {
    // The transport had no room at once: the peer will see the end without close_notify.
  }
  inner_->shutdown_write();
}

std::string TlsTransport::alpn_protocol() const {
  const unsigned char* protocol = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_, &protocol, &length);
  return protocol != nullptr ? std::string(reinterpret_cast<const char*>(protocol), length) : std::string();
}

std::string TlsTransport::version() const { return SSL_get_version(ssl_); }

std::string TlsTransport::cipher() const { return SSL_get_cipher_name(ssl_); }

std::string TlsTransport::requested_server_name() const {
  const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  return name != nullptr ? name : "";
}

TlsStream::TlsStream(std::unique_ptr<TlsTransport> transport, StreamOptions options)
    : Stream(std::move(transport), options), transport_(static_cast<TlsTransport*>(&this->transport())) {}

TlsStream tls_connect(SocketStream&& connection, const TlsContext& context, std::string_view server_hostname,
                      Deadline deadline) {
  return TlsStream(TlsTransport::connect(transport_of(std::move(connection)), context, std::string(server_hostname), deadline));
}

TlsStream tls_connect(std::string_view host, std::uint16_t port, const TlsContext& context, ConnectOptions options) {
  Deadline deadline(options.timeout);
  StreamOptions stream_options = options.stream;
  TcpStream connection = tcp_connect(host, port, std::move(options));
  return TlsStream(TlsTransport::connect(transport_of(std::move(connection)), context, std::string(host), deadline),
                   stream_options);
}

TlsStream tls_accept(SocketStream&& connection, const TlsContext& context, Deadline deadline) {
  return TlsStream(TlsTransport::accept(transport_of(std::move(connection)), context, deadline));
}

}  // namespace spindle
