// Runs a command beside a fresh dnsmasq on 127.0.0.1, so every DNS benchmark (spindle's and each
// peer's) asks the same server with the same configuration: every name under bench.test answers
// 10.1.2.3, other names under .test are NXDOMAIN. The command finds the server in the environment
// as DNS_SERVER=127.0.0.1:PORT (and DNS_SERVER_PORT=PORT). Exits with the command's status, after
// printing the CPU time dnsmasq spent over the run (dnsmasq_cpu): when it is close to the
// command's wall time, the server, not the client, bounded the run.
//
//   with_dnsmasq PROGRAM [ARGS...]
#include "dnsmasq.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace {

// User + system CPU of `pid` so far, in milliseconds (fields 14 and 15 of /proc/PID/stat).
double cpu_milliseconds(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));  // the command name may hold spaces
  std::string field;
  double ticks = 0;
  for (int index = 3; index <= 15 && fields >> field; ++index) {
    if (index >= 14) ticks += std::stod(field);
  }
  return ticks * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

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
  const double cpu_before = cpu_milliseconds(server.pid());
  int status = 0;
  ::waitpid(child, &status, 0);
  std::printf("metric=dnsmasq_cpu value=%.1f unit=ms\n", cpu_milliseconds(server.pid()) - cpu_before);
  std::fflush(stdout);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
