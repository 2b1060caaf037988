// A shared library that knows nothing of spindle: it makes plain blocking libc calls. The hook
// tests load it at start-up (linked) and through dlopen, and check that its calls still park.
#include <unistd.h>

extern "C" {

// Reads one byte from `fd` with a blocking read(2); returns it, or -1.
int probe_read_byte(int fd) {
  char byte = 0;
  return ::read(fd, &byte, 1) == 1 ? byte : -1;
}

// usleep(2) for `microseconds`.
int probe_usleep(unsigned microseconds) { return ::usleep(microseconds); }

}
