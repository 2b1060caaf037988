// Test seam: Subprocess without a pidfd.
//
// On kernels before 5.3 pidfd_open fails with ENOSYS, and Subprocess then waits by polling waitpid
// on a timer and signals with kill(2) (io/subprocess.cpp). No machine we test on has such a kernel,
// so this switch makes spawn() behave as if pidfd_open had failed that way, and the fallback gets
// tested (tests/io_subprocess_poll.cpp). Not for programs.
#pragma once

namespace spindle::detail {

// While true, Subprocess::spawn opens no pidfd; children spawned before keep theirs. Any thread may
// call it (an atomic flag); tests set it around their spawns and clear it after. Never blocks.
void set_pidfd_disabled(bool disabled) noexcept;

}  // namespace spindle::detail
