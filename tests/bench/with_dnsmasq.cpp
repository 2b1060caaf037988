// Runs a command beside a fresh dnsmasq on 127.0.0.1, so every DNS benchmark (spindle's and each
// peer's) asks the same server with the same configuration: every name under bench.test answers
// 10.1.2.3, other names under .test are NXDOMAIN. The command finds the server in the environment
// as DNS_SERVER=127.0.0.1:PORT (and DNS_SERVER_PORT=PORT). Exits with the command's status.
//
//   with_dnsmasq PROGRAM [ARGS...]
#include "dnsmasq.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PROGRAM [ARGS...]\nRuns PROGRAM with DNS_SERVER set to a dnsmasq on loopback.\n",
                 argv[0]);
    return 2;
  }
  spindle::test::Dnsmasq server({.wildcards = {"/bench.test/10.1.2.3"}, .local_domains = {"test"}});
  std::string port = std::to_string(server.port());
  ::setenv("DNS_SERVER", ("127.0.0.1:" + port).c_str(), 1);
  ::setenv("DNS_SERVER_PORT", port.c_str(), 1);
  pid_t child = ::fork();
  if (child == 0) {
    ::execvp(argv[1], argv + 1);
    std::perror(argv[1]);
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
