#include <spindle/io/hooks/detail/real_calls.hpp>

#include <dlfcn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace spindle::detail::hooks {
namespace {

template <class Fn>
void resolve(Fn& slot, const char* name) noexcept {
  void* found = ::dlsym(RTLD_NEXT, name);
  if (found == nullptr) {
    static constexpr char prefix[] = "spindle_hooks: libc has no ";
    // write(2) through the syscall wrapper would recurse into our own hook; this is libc's.
    [[maybe_unused]] ssize_t a = ::syscall(SYS_write, 2, prefix, sizeof prefix - 1);
    [[maybe_unused]] ssize_t b = ::syscall(SYS_write, 2, name, std::strlen(name));
    [[maybe_unused]] ssize_t c = ::syscall(SYS_write, 2, "\n", 1);
    std::abort();
  }
  slot = reinterpret_cast<Fn>(found);
}

[[gnu::constructor]] void resolve_at_load() { resolve_real_calls(); }

}  // namespace

void resolve_real_calls() noexcept {
  RealCalls& r = real_calls;
  resolve(r.read, "read");
  resolve(r.readv, "readv");
  resolve(r.write, "write");
  resolve(r.writev, "writev");
  resolve(r.recv, "recv");
  resolve(r.recvfrom, "recvfrom");
  resolve(r.recvmsg, "recvmsg");
  resolve(r.send, "send");
  resolve(r.sendto, "sendto");
  resolve(r.sendmsg, "sendmsg");
  resolve(r.connect, "connect");
  resolve(r.accept, "accept");
  resolve(r.accept4, "accept4");
  resolve(r.poll, "poll");
  resolve(r.ppoll, "ppoll");
  resolve(r.select, "select");
  resolve(r.sleep, "sleep");
  resolve(r.usleep, "usleep");
  resolve(r.nanosleep, "nanosleep");
  resolve(r.clock_nanosleep, "clock_nanosleep");
  resolve(r.getaddrinfo, "getaddrinfo");
  resolve(r.gethostbyname, "gethostbyname");
  resolve(r.gethostbyname_r, "gethostbyname_r");
  resolve(r.socket, "socket");
  resolve(r.socketpair, "socketpair");
  resolve(r.dup, "dup");
  resolve(r.dup2, "dup2");
  resolve(r.dup3, "dup3");
  resolve(r.fcntl, "fcntl");
  resolve(r.close, "close");  // last: real() treats a resolved close as "all resolved"
}

}  // namespace spindle::detail::hooks
