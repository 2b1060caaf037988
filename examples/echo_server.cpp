// Echo server with start_server (seed 004, part two): the handler gets a reader and a writer and
// runs in a fiber per connection. --self-test serves echo_client's client from the same process.
#include "echo_main.hpp"
#include "echo_streams.hpp"

int main(int argc, char** argv) {
  return echo_server_main<echo_streams::Echo>(argc, argv, "Echo server with start_server (asyncio streams): one line back per connection.");
}
