// Blocking connect and accept on loopback TCP from fibers: accept parks until a client comes,
// connect completes by parking, and a refused connect reports ECONNREFUSED as libc does.
#include "hooks_support.hpp"

#include <netinet/in.h>

#include <string>
#include <vector>

using namespace spindle;

namespace {

// A blocking TCP listener on 127.0.0.1 with a kernel-chosen port.
struct LoopbackListener {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  LoopbackListener() {
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    REQUIRE(::listen(fd, 16) == 0);
  }
  ~LoopbackListener() { ::close(fd); }
  const sockaddr* native() const { return reinterpret_cast<const sockaddr*>(&address); }
};

}  // namespace

TEST_CASE("accept parks until a blocking connect from another fiber arrives") {
  std::vector<std::string> order;
  test::run_virtual([&] {
    LoopbackListener listener;
    auto server = spawn([&] {
      order.push_back("accept");
      int peer = ::accept(listener.fd, nullptr, nullptr);
      REQUIRE(peer >= 0);
      order.push_back("accepted");
      char text[5] = {};
      CHECK(::recv(peer, text, 4, MSG_WAITALL) == 4);
      order.push_back(std::string("got ") + text);
      ::close(peer);
    });
    this_fiber::yield();  // the server is parked in accept
    int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    order.push_back("connect");
    REQUIRE(::connect(client, listener.native(), sizeof listener.address) == 0);
    CHECK((::fcntl(client, F_GETFL) & O_NONBLOCK) == 0);  // still blocking afterwards
    REQUIRE(::send(client, "ping", 4, 0) == 4);
    server.join();
    ::close(client);
  });
  CHECK(order == std::vector<std::string>{"accept", "connect", "accepted", "got ping"});
}

TEST_CASE("a refused blocking connect in a fiber fails with ECONNREFUSED") {
  test::run_virtual([&] {
    sockaddr_in closed{};
    {
      LoopbackListener gone;
      closed = gone.address;
    }  // nobody listens on that port any more
    int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    errno = 0;
    CHECK(::connect(client, reinterpret_cast<sockaddr*>(&closed), sizeof closed) == -1);
    CHECK(errno == ECONNREFUSED);
    ::close(client);
  });
}
