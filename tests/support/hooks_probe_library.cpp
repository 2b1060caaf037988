// A shared library that knows nothing of spindle: it makes plain blocking libc calls. The hook
// tests load it at start-up (linked) and through dlopen, and check that its calls still park.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

extern "C" {

// Reads one byte from `fd` with a blocking read(2); returns it, or -1.
int probe_read_byte(int fd) {
  char byte = 0;
  return ::read(fd, &byte, 1) == 1 ? byte : -1;
}

// usleep(2) for `microseconds`.
int probe_usleep(unsigned microseconds) { return ::usleep(microseconds); }

// getaddrinfo(host, "80") for IPv4 TCP; writes the first address as text. Returns getaddrinfo's code.
int probe_resolve(const char* host, char* text, unsigned size) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int code = ::getaddrinfo(host, "80", &hints, &found);
  if (code != 0) return code;
  const auto* address = reinterpret_cast<const sockaddr_in*>(found->ai_addr);
  ::inet_ntop(AF_INET, &address->sin_addr, text, size);
  ::freeaddrinfo(found);
  return 0;
}

}
