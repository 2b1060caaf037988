// Echo client over raw sockets (seed 004): Socket::connect, send each message, print the echo.
// --with-server starts echo_server_raw's server in-process on a free loopback port.
#include "echo_main.hpp"
#include "echo_raw.hpp"

int main(int argc, char** argv) {
  return echo_client_main<echo_raw::Echo>(argc, argv, "Echo client over raw sockets (Socket::connect/send/recv).");
}
