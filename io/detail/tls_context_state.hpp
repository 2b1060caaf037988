// What a TlsContext shares with its streams: the SSL_CTX and the ALPN list the server callback reads.
#pragma once

#include <openssl/ssl.h>

#include <string>

namespace spindle::detail {

struct TlsContextState {
  TlsContextState() = default;
  TlsContextState(const TlsContextState&) = delete;
  TlsContextState& operator=(const TlsContextState&) = delete;
  ~TlsContextState() { SSL_CTX_free(ctx); }

  SSL_CTX* ctx = nullptr;
  bool server = false;
  // ALPN protocols in the wire format: each name prefixed by its length byte.
  std::string alpn_wire;
};

// OpenSSL's reason for the last failure on this thread ("no such file"), clearing its error queue.
std::string take_openssl_error();

}  // namespace spindle::detail
