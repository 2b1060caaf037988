// TlsContext: the settings TLS connections share (trusted CAs, our certificate, ALPN), built once.
//
// An OpenSSL SSL_CTX behind a shared handle: copies are cheap and refer to the same context, and a
// TlsStream keeps its context alive. Verification is on by default for clients, against the system's
// CA store (Debian: /etc/ssl/certs), with the host name checked by TlsStream (X509_VERIFY_PARAM_set1_host);
// TLS 1.2 is the oldest version offered. Building a context reads files and never parks; use it
// from any thread, but build it before the streams that use it.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace spindle {

struct TlsClientOptions {
  // A PEM file of CA certificates to trust instead of the system store (tests, private CAs).
  std::string ca_file{};
  // Whether to verify the server's certificate chain and host name. Turning it off accepts any
  // server, including an attacker's: for tests against throwaway certificates only.
  bool verify = true;
  // ALPN protocols to offer, in preference order ("h2", "http/1.1").
  std::vector<std::string> alpn{};
};

struct TlsServerOptions {
  // PEM files: our certificate (followed by its intermediates) and its private key.
  std::string certificate_file;
  std::string private_key_file;
  // ALPN protocols we speak, in our preference order; the first the client also offers wins. A
  // client offering none of them is refused (no_application_protocol alert).
  std::vector<std::string> alpn{};
};

namespace detail {
struct TlsContextState;
}

class TlsContext {
 public:
  // Throw TlsError naming the file and OpenSSL's reason when a file cannot be loaded ("load CA file
  // '/x.pem': no such file", "load private key '/k.pem': ...", "private key does not match the
  // certificate"), std::invalid_argument for an ALPN name that is empty or longer than 255 bytes.
  static TlsContext client(TlsClientOptions options = {});
  static TlsContext server(TlsServerOptions options);

  bool is_server() const noexcept;
  const std::shared_ptr<detail::TlsContextState>& state() const noexcept { return state_; }

 private:
  explicit TlsContext(std::shared_ptr<detail::TlsContextState> state) : state_(std::move(state)) {}
  std::shared_ptr<detail::TlsContextState> state_;
};

}  // namespace spindle
