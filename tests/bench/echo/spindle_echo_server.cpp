// The spindle echo server (`echo_spindle`): what a user writes with io/. A fiber per connection,
// accepted from a Listener, echoing with the Stream's read_some / write_all.
//
// read_some into a buffer as large as the stream's own reads straight into it (no copy), and
// write_all sends the caller's bytes directly, so the bytes take the path of the fibers-only server
// (spindle_raw_echo_server.cpp) and of the raw epoll loop; the difference between the three is what
// the io/ layer and the runtime cost per message.
//
// Listens on 127.0.0.1 on a port the kernel picks and prints `port=N` when it accepts. Runs until
// killed (run_echo.py stops it).
#include "echo_listen.hpp"

#include <spindle/fibers/scheduler.hpp>
#include <spindle/fibers/spawn.hpp>
#include <spindle/io/errors.hpp>
#include <spindle/io/listener.hpp>
#include <spindle/io/socket_address.hpp>

#include <cstdio>
#include <memory>
#include <span>
#include <string_view>

namespace {

void echo(spindle::TcpStream& stream) {
  constexpr std::size_t size = spindle::bench::echo_buffer_size;
  auto buffer = std::make_unique_for_overwrite<char[]>(size);  // as the other servers: not zeroed
  try {
    while (std::size_t n = stream.read_some(std::span(buffer.get(), size))) {
      stream.write_all(std::string_view(buffer.get(), n));
    }
  } catch (const spindle::IoError&) {
    // the client reset the connection: this one is done, the server goes on
  }
}

}  // namespace

int main() {
  spindle::Scheduler scheduler;
  scheduler.run([] {
    spindle::Listener listener = spindle::tcp_listen(
        spindle::SocketAddress::loopback_v4(0),
        {.backlog = 1024, .stream = {.buffer_size = spindle::bench::echo_buffer_size}});
    std::printf("port=%u\n", listener.local_address().port());
    std::fflush(stdout);
    for (;;) {
      spindle::TcpStream stream = listener.accept();
      stream.set_nodelay(true);
      spindle::spawn([stream = std::move(stream)]() mutable { echo(stream); });
    }
  });
}
