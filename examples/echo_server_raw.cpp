// Echo server over raw sockets (seed 004): Socket::accept, then a fiber per client that echoes what
// it receives. --self-test serves echo_client_raw's client from the same process.
#include "echo_main.hpp"
#include "echo_raw.hpp"

int main(int argc, char** argv) {
  return echo_server_main<echo_raw::Echo>(argc, argv, "Echo server over raw sockets (Socket::accept/recv/send, a fiber per client).");
}
