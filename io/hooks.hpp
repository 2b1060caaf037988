// gevent's monkey.patch_all() at the libc level: blocking libc calls made by any C or C++ library
// (libpq, hiredis, libcurl's easy interface...) park the calling fiber instead of the thread.
//
// The hooks live in their own library, spindle_hooks, which defines read, write, recv, send, connect,
// accept, poll, select, the sleep family, close, dup2... and forwards to the real libc functions
// (found once with dlsym(RTLD_NEXT)). They take effect when that library comes before libc in the
// symbol search order: link it into the program (meson: `dependency('spindle_hooks')` or
// `spindle_hooks_dep`; pkg-config: `spindle_hooks`; both keep it under --as-needed), or start an
// unmodified binary with LD_PRELOAD=libspindle_hooks.so. Shared libraries loaded at start-up or
// with dlopen (without RTLD_DEEPBIND) then see the hooked calls too.
//
// A hooked call cooperates only when it is made from a fiber, on a descriptor the caller left
// blocking, while patching is on and the fiber has not opted out. Everything else (plain threads,
// the loop context, non-blocking descriptors, patching off) goes straight to libc, with libc's
// results and errno. docs/hooks.md lists the calls and their exact behaviour.
#pragma once

#include <spindle/fibers/join_handle.hpp>
#include <spindle/io/resolver.hpp>

namespace spindle {

// Turns the hooks on (the state they start in, unless SPINDLE_PATCH=0 was set when the library was
// loaded) / off, for every thread of the process. Thread-safe, never blocks. Calls already parked
// in a hook finish cooperatively. Defined in spindle_hooks: link it to call these.
void patch_all() noexcept;
void unpatch() noexcept;
bool is_patched() noexcept;

// Where hooked getaddrinfo, gethostbyname and gethostbyname_r (called from a fiber with a host
// name) get their answers: c-ares through a Resolver made from `options`, one per thread, created
// on each thread's first lookup. Until this is called, each thread's Resolver::for_this_thread()
// (/etc/resolv.conf and /etc/hosts). Applies to lookups that start afterwards, on every thread.
// A Resolver keeps its sockets open while it lives: the calling thread's previous one is closed
// here, other threads' at their next hooked lookup. Thread-safe; never blocks; call it outside a
// lookup of the calling thread. Defined in spindle_hooks.
void set_hooks_resolver(ResolverOptions options);

// While alive, blocking libc calls made by the fiber that created it go straight to libc and block
// the thread, as if patching were off for this fiber only (gevent has no such switch; a fiber that
// must not be interleaved, or a benchmark of the unpatched path, uses it). Scopes nest. Create and
// destroy it in the same fiber. Throws FiberError outside a fiber.
class UnpatchedScope {
 public:
  UnpatchedScope();
  ~UnpatchedScope();
  UnpatchedScope(const UnpatchedScope&) = delete;
  UnpatchedScope& operator=(const UnpatchedScope&) = delete;

 private:
  FiberId fiber_;
};

}  // namespace spindle
