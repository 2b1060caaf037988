// The process zygote: a fork of this program made while it had one thread, which forks the
// ProcessPoolExecutor workers on request (see docs/design.md, "Process workers").
#pragma once

#include <sys/types.h>

namespace spindle::detail {

struct WorkerProcess {
  pid_t pid = -1;
  int socket = -1;  // this side of the stream socket to the worker: blocking, close-on-exec
};

// Starts the zygote unless this process already has one. Throws InvalidStateError when the
// process already runs more than one thread (forking it then would copy locks other threads hold),
// std::system_error when fork or socketpair fail. Thread-safe.
void ensure_zygote();
// A new worker process forked by the zygote, running run_worker. Thread-safe; blocks the calling
// thread for one round trip to the zygote (one fork). Throws BrokenProcessPool if the zygote is
// gone, InvalidStateError if there is none.
WorkerProcess spawn_worker();
// Kills worker `pid` (SIGKILL; harmless if it already died) and waits until the zygote has reaped
// it; returns its wait status. Thread-safe; blocks briefly.
int reap_worker(pid_t pid);
// The zygote's pid, or -1 when this process has none.
pid_t zygote_pid() noexcept;

}  // namespace spindle::detail
