// Echo client with open_connection (seed 004, part two): a connection per message, the line sent
// and its echo printed. --with-server starts echo_server's server in-process on a free port.
#include "echo_main.hpp"
#include "echo_streams.hpp"

int main(int argc, char** argv) {
  return echo_client_main<echo_streams::Echo>(argc, argv, "Echo client with open_connection (asyncio streams).");
}
