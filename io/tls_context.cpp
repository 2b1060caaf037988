#include <spindle/io/tls_context.hpp>

#include <spindle/io/detail/tls_context_state.hpp>
#include <spindle/io/tls_error.hpp>

#include <openssl/err.h>

#include <stdexcept>

namespace spindle {

TlsError::TlsError(std::string_view operation, std::string reason, long verify_result)
    : std::runtime_error(std::string(operation) + ": " + reason), reason_(std::move(reason)), verify_result_(verify_result) {}

namespace detail {

std::string take_openssl_error() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  if (const char* reason = ERR_reason_error_string(code)) return reason;
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

}  // namespace detail

namespace {

std::string alpn_wire_format(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const std::string& protocol : protocols) {
    if (protocol.empty() || protocol.size() > 255) {
      throw std::invalid_argument("ALPN protocol names are 1 to 255 bytes: '" + protocol + "'");
    }
    wire += static_cast<char>(protocol.size());
    wire += protocol;
  }
  return wire;
}

std::shared_ptr<detail::TlsContextState> new_state(const SSL_METHOD* method, bool server) {
  auto state = std::make_shared<detail::TlsContextState>();
  state->ctx = SSL_CTX_new(method);
  if (state->ctx == nullptr) throw TlsError("create TLS context", detail::take_openssl_error());
  state->server = server;
  SSL_CTX_set_min_proto_version(state->ctx, TLS1_2_VERSION);
  // Renegotiation would let a read need a write and a write need a read; TLS 1.3 has none anyway.
  SSL_CTX_set_options(state->ctx, SSL_OP_NO_RENEGOTIATION);
  return state;
}

// The server's ALPN choice: its own first preference that the client also offers.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_length, const unsigned char* offered,
                unsigned int offered_length, void* arg) {
  const auto* state = static_cast<const detail::TlsContextState*>(arg);
  unsigned char* chosen = nullptr;
  int outcome = SSL_select_next_proto(&chosen, out_length, reinterpret_cast<const unsigned char*>(state->alpn_wire.data()),
                                      static_cast<unsigned int>(state->alpn_wire.size()), offered, offered_length);
  if (outcome != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_ALERT_FATAL;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace

TlsContext TlsContext::client(TlsClientOptions options) {
  auto state = new_state(TLS_client_method(), false);
  state->alpn_wire = alpn_wire_format(options.alpn);
  if (options.verify) {
    SSL_CTX_set_verify(state->ctx, SSL_VERIFY_PEER, nullptr);
    bool loaded = options.ca_file.empty()
                      ? SSL_CTX_set_default_verify_paths(state->ctx) == 1
                      : SSL_CTX_load_verify_locations(state->ctx, options.ca_file.c_str(), nullptr) == 1;
    if (!loaded) {
      std::string what = options.ca_file.empty() ? "load the system CA store" : "load CA file '" + options.ca_file + "'";
      throw TlsError(what, detail::take_openssl_error());
    }
  } else {
    SSL_CTX_set_verify(state->ctx, SSL_VERIFY_NONE, nullptr);
  }
  return TlsContext(std::move(state));
}

TlsContext TlsContext::server(TlsServerOptions options) {
  auto state = new_state(TLS_server_method(), true);
  state->alpn_wire = alpn_wire_format(options.alpn);
  if (SSL_CTX_use_certificate_chain_file(state->ctx, options.certificate_file.c_str()) != 1) {
    throw TlsError("load certificate '" + options.certificate_file + "'", detail::take_openssl_error());
  }
  if (SSL_CTX_use_PrivateKey_file(state->ctx, options.private_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    throw TlsError("load private key '" + options.private_key_file + "'", detail::take_openssl_error());
  }
  if (SSL_CTX_check_private_key(state->ctx) != 1) {
    ERR_clear_error();
    throw TlsError("load private key '" + options.private_key_file + "'", "it does not match the certificate '" +
                                                                          options.certificate_file + "'");
  }
  if (!state->alpn_wire.empty()) SSL_CTX_set_alpn_select_cb(state->ctx, select_alpn, state.get());
  return TlsContext(std::move(state));
}

bool TlsContext::is_server() const noexcept { return state_->server; }

}  // namespace spindle
