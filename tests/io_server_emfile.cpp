// Server: running out of descriptors (EMFILE) pauses accepting, is reported once, and serving
// resumes as soon as a connection ends. RLIMIT_NOFILE is lowered so that exactly one more
// descriptor fits, and restored afterwards.
#include "leak_check.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <string>
#include <vector>

using namespace spindle;
using namespace std::chrono_literals;

namespace {

// Lowers the soft descriptor limit so that only the lowest free descriptor number can be opened;
// restores the old limit when destroyed.
class OneFreeDescriptor {
 public:
  OneFreeDescriptor() {
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    int lowest_free = ::dup(0);
    REQUIRE(lowest_free >= 0);
    ::close(lowest_free);
    rlimit lowered = saved_;
    lowered.rlim_cur = static_cast<rlim_t>(lowest_free) + 1;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  }
  ~OneFreeDescriptor() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_{};
};

}  // namespace

TEST_CASE("EMFILE on accept pauses the server, is logged once, and serving resumes", "[io][server][emfile]") {
  test::CapturedDiagnostics diagnostics;
  test::run_virtual([] {
    Listener listener = tcp_listen(SocketAddress::loopback_v4(0));
    SocketAddress address = listener.local_address();
    // All clients connect before the limit drops; the kernel queues them in the backlog.
    std::vector<TcpStream> clients;
    for (int i = 0; i < 4; ++i) {
      clients.push_back(tcp_connect(address));
      clients.back().write_all("client " + std::to_string(i) + "\n");
    }
    int served = 0;
    auto greet = [&served](SocketStream& connection) {
      ++served;
      connection.write_all("hello " + connection.readline());
      this_fiber::sleep_for(1s);  // hold the one descriptor a while
    };
    {
      // One round with descriptors to spare first, so that state made lazily on first use (UBSan's
      // type checks probe memory through a pipe the first time they meet a type) exists before
      // descriptors run out.
      Server warm_up(tcp_listen(SocketAddress::loopback_v4(0)), greet);
      TcpStream client = tcp_connect(warm_up.local_address());
      client.write_all("warm-up\n");
      CHECK(client.readline(1min) == "hello warm-up\n");
      warm_up.stop();
      served = 0;
    }
    {
      OneFreeDescriptor limit;
      Server server(std::move(listener), greet);
      for (int i = 0; i < 4; ++i) CHECK(clients[i].readline(1min) == "hello client " + std::to_string(i) + "\n");
      CHECK(served == 4);
      CHECK(server.serving());
      server.stop();
    }
  });
  auto messages = diagnostics.messages();
  REQUIRE(messages.size() == 1);
  CHECK_THAT(messages[0], Catch::Contains("accept: Too many open files") && Catch::Contains("reported once"));
}
