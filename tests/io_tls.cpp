// TLS: client and server streams over loopback, SNI, ALPN, verification failures that name their
// reason, a peer closing mid-stream, cancellation and timeouts during the handshake.
#include "leak_check.hpp"
#include "patterned.hpp"
#include "temp_dir.hpp"

#include <spindle/io/listener.hpp>
#include <spindle/io/subprocess.hpp>
#include <spindle/io/tcp.hpp>
#include <spindle/io/tls.hpp>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// Certificates made once per test process with the openssl CLI: a CA and a server certificate it
// signed for localhost and 127.0.0.1, a second unrelated CA, and a self-signed server certificate.
struct Certificates {
  test::TempDir dir;
  std::string ca = dir.file("ca.pem");
  std::string other_ca = dir.file("other-ca.pem");
  std::string server_cert = dir.file("server.pem");
  std::string server_key = dir.file("server.key");
  std::string self_signed_cert = dir.file("self-signed.pem");
  std::string self_signed_key = dir.file("self-signed.key");

  Certificates() {
    std::ofstream(dir.file("server.ext")) << "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                             "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n";
    test::run_virtual([&] {
      self_signed("spindle test CA", ca, dir.file("ca.key"));
      self_signed("another CA", other_ca, dir.file("other-ca.key"));
      self_signed("localhost", self_signed_cert, self_signed_key);
      openssl({"req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj",
               "/CN=localhost", "-keyout", server_key, "-out", dir.file("server.csr")});
      openssl({"x509", "-req", "-in", dir.file("server.csr"), "-CA", ca, "-CAkey", dir.file("ca.key"),
               "-CAcreateserial", "-days", "2", "-extfile", dir.file("server.ext"), "-out", server_cert});
    });
  }

 private:
  void self_signed(const std::string& name, const std::string& cert, const std::string& key) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
             "-subj", "/CN=" + name, "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert});
  }
  static void openssl(std::vector<std::string> arguments) {
    arguments.insert(arguments.begin(), "openssl");
    auto child = Subprocess::spawn(arguments, {.stdout_mode = Stdio::devnull, .stderr_mode = Stdio::pipe});
    std::string errors = child.communicate().err;
    if (child.returncode() != 0) throw std::runtime_error("openssl " + arguments[1] + " failed: " + errors);
  }
};

const Certificates& certificates() {
  static const Certificates made;
  return made;
}

TlsContext server_context(std::vector<std::string> alpn = {}) {
  return TlsContext::server(
      {.certificate_file = certificates().server_cert, .private_key_file = certificates().server_key, .alpn = alpn});
}

TlsContext client_context(std::vector<std::string> alpn = {}) {
  return TlsContext::client({.ca_file = certificates().ca, .alpn = alpn});
}

// Accepts one connection on `listener` in a new fiber, completes the server handshake with `context`
// and runs `handle` on the stream.
template <class Handle>
JoinHandle<void> serve_once(Listener& listener, TlsContext context, Handle handle) {
  return spawn([&listener, context = std::move(context), handle = std::move(handle)]() mutable {
    TlsStream stream = tls_accept(listener.accept(), context);
    handle(stream);
  });
}

// The reason a client handshake failed with, while a server fiber accepts (and fails) on its side.
std::string client_handshake_failure(const TlsContext& server, const TlsContext& client, const std::string& host,
                                     long& verify_result) {
  Listener listener = tcp_listen(SocketAddress::loopback_v4(0));
  auto acceptor = spawn([&] {
    try {
      tls_accept(listener.accept(), server);
      return std::string("server handshake succeeded");
    } catch (const TlsError& error) {
      return error.reason();
    }
  });
  try {
    tls_connect(tcp_connect(listener.local_address()), client, host);
    FAIL("the client accepted the server");
  } catch (const TlsError& error) {
    CHECK(error.is_verification_failure());
    verify_result = error.verify_result();
    CHECK_THAT(error.what(), Catch::StartsWith("TLS handshake with 127.0.0.1:" +
                                               std::to_string(listener.local_address().port()) + " (" + host + "): "));
    // The client's alert tells the server why.
    CHECK_THAT(acceptor.join(), Catch::Contains("alert"));
    return error.reason();
  }
  return "";
}

}  // namespace

TEST_CASE("a TLS client and server talk over loopback with SNI and ALPN negotiated", "[io][tls]") {
  certificates();
  test::run_virtual([] {
    Listener listener = tcp_listen(SocketAddress::loopback_v4(0));
    const std::string big = test::patterned(1 << 20);
    auto serving = serve_once(listener, server_context({"h2", "http/1.1"}), [&](TlsStream& stream) {
      CHECK(stream.requested_server_name() == "localhost");
      CHECK(stream.alpn_protocol() == "h2");  // the server's preference among those offered
      CHECK(stream.readline() == "hello\n");
      CHECK(stream.read_exactly(big.size()) == big);
      stream.write_all("welcome\n");
      stream.write_all(big);
      stream.shutdown_write();
      CHECK(stream.read_to_end(10) == "");  // the client's close_notify
    });
    TlsStream client = tls_connect(tcp_connect(listener.local_address()), client_context({"http/1.1", "h2"}), "localhost");
    CHECK(client.alpn_protocol() == "h2");
    CHECK(client.tls_version() == "TLSv1.3");
    CHECK_THAT(client.name(), Catch::EndsWith("(localhost)"));
    client.write("hello\n");
    client.write_all(big);
    CHECK(client.readline() == "welcome\n");
    CHECK(client.read_exactly(big.size()) == big);
    CHECK(client.read_to_end(10) == "");  // close_notify reads as the end of the stream
    client.shutdown_write();
    serving.join();
  });
}

TEST_CASE("one reader and one writer fiber share a TLS stream while 4 MiB is echoed back", "[io][tls]") {
  certificates();
  test::run_virtual([] {
    Listener listener = tcp_listen(SocketAddress::loopback_v4(0));
    auto echo = serve_once(listener, server_context(), [](TlsStream& stream) {
      char chunk[8192];
      while (std::size_t got = stream.read_some(std::span<char>(chunk))) stream.write_all(std::string_view(chunk, got));
      stream.shutdown_write();
    });
    TlsStream client = tls_connect(tcp_connect(listener.local_address()), client_context(), "localhost");
    const std::string data = test::patterned(4 << 20);
    auto writer = spawn([&] {
      for (std::size_t sent = 0; sent < data.size(); sent += 100'000) {
        client.write_all(std::string_view(data).substr(sent, 100'000));
      }
      client.shutdown_write();
    });
    CHECK(client.read_to_end(data.size()) == data);
    writer.join();
    echo.join();
  });
}

TEST_CASE("an IP literal is verified against the certificate's IP addresses; no ALPN means none", "[io][tls]") {
  certificates();
  test::run_virtual([] {
    Listener listener = tcp_listen(SocketAddress::loopback_v4(0));
    auto serving = serve_once(listener, server_context(), [](TlsStream& stream) {
      CHECK(stream.requested_server_name().empty());  // IP literals are not sent as SNI
      stream.write_all("over IP\n");
    });
    TlsStream client = tls_connect("127.0.0.1", listener.local_address().port(), client_context());
    CHECK(client.alpn_protocol().empty());
    CHECK(client.readline() == "over IP\n");
    serving.join();
  });
}

TEST_CASE("verification failures are TlsErrors that name the reason", "[io][tls]") {
  certificates();
  test::run_virtual([] {
    long verify_result = 0;
    SECTION("a certificate from a CA the client does not trust") {
      TlsContext other_ca = TlsContext::client({.ca_file = certificates().other_ca});
      CHECK(client_handshake_failure(server_context(), other_ca, "localhost", verify_result) ==
            "certificate verify failed: unable to get local issuer certificate");
    }
    SECTION("a certificate for another host name") {
      CHECK(client_handshake_failure(server_context(), client_context(), "spindle.example", verify_result) ==
            "certificate verify failed: hostname mismatch");
    }
    SECTION("a self-signed certificate against the system CA store") {
      TlsContext self_signed = TlsContext::server(
          {.certificate_file = certificates().self_signed_cert, .private_key_file = certificates().self_signed_key});
      CHECK(client_handshake_failure(self_signed, TlsContext::client(), "localhost", verify_result) ==
            "certificate verify failed: self-signed certificate");
    }
    CHECK(verify_result != 0);
  });
}

TEST_CASE("a peer that closes mid-stream without close_notify is a TlsError after the data it sent",
          "[io][tls]") {
  certificates();
  test::run_virtual([] {
    Listener listener = tcp_listen(SocketAddress::loopback_v4(0));
    auto serving = serve_once(listener, server_context(), [](TlsStream& stream) {
      stream.write_all("partial");
      stream.close();  // no close_notify
    });
    TlsStream client = tls_connect(tcp_connect(listener.local_address()), client_context(), "localhost");
    char buffer[64];
    std::size_t got = client.read_some(std::span<char>(buffer));
    CHECK(std::string(buffer, got) == "partial");
    CHECK_THROWS_MATCHES(client.read_some(std::span<char>(buffer)), TlsError,
                         Catch::Message("TLS read from 127.0.0.1:" + std::to_string(listener.local_address().port()) +
                                        " (localhost): the connection ended without a TLS close_notify (the data "
                                        "may be truncated)"));
    serving.join();
  });
}

TEST_CASE("a handshake can be cancelled or time out while the server says nothing; nothing leaks", "[io][tls]") {
  certificates();
  test::run_virtual([] {
    std::size_t fds_before = test::open_fd_count();
    {
      Listener listener = tcp_listen(SocketAddress::loopback_v4(0));
      TlsContext client = client_context();
      auto silent_server = spawn([&] {
        SocketStream connection = listener.accept();
        this_fiber::sleep_for(1h);  // accepts TCP, never answers the ClientHello
      });
      SECTION("cancelled") {
        auto connecting = spawn([&] { tls_connect(tcp_connect(listener.local_address()), client, "localhost"); });
        this_fiber::sleep_for(10ms);
        connecting.cancel();
        CHECK_THROWS_AS(connecting.join(), CancelledError);
      }
      SECTION("timed out on the virtual clock") {
        TimePoint start = now();
        CHECK_THROWS_AS(tls_connect(tcp_connect(listener.local_address()), client, "localhost", 2s), TimeoutError);
        CHECK(now() - start == 2s);
      }
      silent_server.cancel();
      CHECK_THROWS_AS(silent_server.join(), CancelledError);
    }
    CHECK(test::open_fd_count() == fds_before);
  });
}

TEST_CASE("TLS context errors name the file and the reason", "[io][tls]") {
  CHECK_THROWS_WITH(TlsContext::client({.ca_file = "/spindle/no/such/ca.pem"}),
                    Catch::StartsWith("load CA file '/spindle/no/such/ca.pem': "));
  CHECK_THROWS_WITH(TlsContext::server({.certificate_file = "/spindle/no/cert.pem", .private_key_file = "/x.key"}),
                    Catch::StartsWith("load certificate '/spindle/no/cert.pem': "));
  CHECK_THROWS_WITH(TlsContext::server({.certificate_file = certificates().server_cert,
                                        .private_key_file = certificates().self_signed_key}),
                    Catch::StartsWith("load private key '" + certificates().self_signed_key + "'"));
  CHECK_THROWS_AS(TlsContext::client({.alpn = {""}}), std::invalid_argument);
}
