// create_subprocess_exec / create_subprocess_shell: asyncio's subprocess API over io/'s Subprocess.
//
//   auto proc = create_subprocess_exec({"ls", "-l"}, {.stdout_mode = subprocess::PIPE});
//   auto [out, err] = proc.communicate();          // out, err = await proc.communicate()
//   int status = *proc.returncode();
//
// A thin layer: Process forwards to Subprocess, adding asyncio's stream spellings (stdout.read(),
// readline(), stdin.write() and drain()). Timeouts come from the compat scopes, as in asyncio:
// `wait_for([&] { return proc.wait(); }, 5s)` or `timeout(5s, ...)`; a timeout or cancellation
// leaves the child running (asyncio's behaviour too), and destroying the Process kills and reaps it.
#pragma once

#include <spindle/io/subprocess.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace spindle {

// asyncio.subprocess.PIPE, DEVNULL, STDOUT.
namespace subprocess {
inline constexpr Stdio PIPE = Stdio::pipe;
inline constexpr Stdio DEVNULL = Stdio::devnull;
inline constexpr Stdio STDOUT = Stdio::to_stdout;
}  // namespace subprocess

// asyncio's StreamReader over a child's stdout or stderr. Every read parks the calling fiber and is a
// cancellation point; IoError names the pipe.
class ProcessReader {
 public:
  explicit ProcessReader(SubprocessPipe* pipe) : pipe_(pipe) {}
  // read(n=-1): up to `n` bytes as soon as any are available ("" at end of file); n < 0 reads to
  // end of file.
  std::string read(long n = -1);
  // Up to and including the next '\n', or what is left at end of file ("" once exhausted).
  std::string readline();
  bool at_eof() const noexcept { return eof_ && buffered_.empty(); }

 private:
  // Reads one chunk into the buffer; false at end of file.
  bool fill();

  SubprocessPipe* pipe_;
  std::string buffered_;
  bool eof_ = false;
};

// asyncio's StreamWriter over a child's stdin. write() parks until the pipe took everything (so
// drain() has nothing left to wait for). IoError with EPIPE when the child closed its end.
class ProcessWriter {
 public:
  explicit ProcessWriter(SubprocessPipe* pipe) : pipe_(pipe) {}
  void write(std::string_view data) { pipe_->write_all(data); }
  void drain() {}
  void close() noexcept { pipe_->close(); }
  bool is_closing() const noexcept { return !pipe_->is_open(); }

 private:
  SubprocessPipe* pipe_;
};

// asyncio.subprocess.Process. Use it on the thread (loop) that created it.
class Process {
 public:
  explicit Process(Subprocess child);
  Process(Process&&) = delete;
  Process(const Process&) = delete;

  // (stdout data, stderr data); "" for a stream that is not a pipe. Parks; see Subprocess::communicate.
  std::pair<std::string, std::string> communicate(std::string_view input = {});
  // Parks until the child exits; returns returncode.
  int wait() { return child_.wait(); }
  void send_signal(int signal) { child_.send_signal(signal); }
  void terminate() { child_.terminate(); }
  void kill() { child_.kill(); }
  std::optional<int> returncode() const noexcept { return child_.returncode(); }
  pid_t pid() const noexcept { return child_.pid(); }

  // The streams; using one that is not a pipe throws std::logic_error naming it.
  ProcessWriter& stdin_stream();
  ProcessReader& stdout_stream();
  ProcessReader& stderr_stream();

 private:
  Subprocess child_;
  ProcessWriter stdin_;
  ProcessReader stdout_;
  ProcessReader stderr_;
};

// asyncio.create_subprocess_exec(program, *args, stdin=, stdout=, stderr=, env=, cwd=): argv[0] is
// the program. Never parks. Throws what Subprocess::spawn throws (IoError naming a missing program).
inline Process create_subprocess_exec(std::vector<std::string> argv, SubprocessOptions options = {}) {
  return Process(Subprocess::spawn(std::move(argv), std::move(options)));
}

// asyncio.create_subprocess_shell(cmd, ...): `/bin/sh -c cmd`.
inline Process create_subprocess_shell(std::string command, SubprocessOptions options = {}) {
  return Process(Subprocess::spawn({"/bin/sh", "-c", std::move(command)}, std::move(options)));
}

}  // namespace spindle
