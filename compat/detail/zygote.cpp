// The process zygote.
//
// fork() in a process that has other threads copies only the calling thread, together with every
// lock the others held at that instant (a malloc arena, a stdio buffer, a scheduler's post queue);
// the child may block forever on the first of them it touches. So workers are never forked from
// the program itself once it has threads. Instead, while it still has one thread, the program
// forks a zygote: a small loop that waits on a socket for requests and forks a worker for each.
// The zygote itself stays single-threaded, so its forks are always safe, and as a copy of the
// program it holds the same binary image at the same addresses: a plain function pointer (a
// captureless lambda included) means the same function in a worker, with nothing to register.
//
// The zygote is forked twice, so it is not the program's child (a program that waits for any child,
// or checks it has none, never meets it). It keeps only its control socket and stdio (every other
// inherited descriptor is closed, so workers never hold the program's sockets open), resets signal
// dispositions (SIGINT ignored: the program decides when its workers stop), ends when the program
// does (end of file on the socket; its workers have PR_SET_PDEATHSIG on it and end of file on
// theirs), and runs on a fresh 8 MiB stack, because it may have been forked from a fiber with a
// small one. It reaps a worker only when asked (reap_worker), so a pid the program
// holds can never be reused by another process while the program may still signal it.
#include <spindle/compat/detail/zygote.hpp>

#include <spindle/compat/detail/worker_protocol.hpp>
#include <spindle/compat/errors.hpp>
#include <spindle/compat/executor_errors.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <system_error>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace spindle::detail {
namespace {

enum class Request : std::int32_t { spawn = 1, reap = 2 };

struct Message {
  Request request;
  std::int32_t pid;
};

struct Reply {
  std::int32_t pid_or_status;
  std::int32_t error;  // errno of a failed fork, 0 otherwise
};

constexpr int zygote_control_fd = 3;
constexpr int worker_socket_fd = 3;
constexpr std::size_t zygote_stack_size = 8 << 20;

// The program's side. `owner` is the pid that started the zygote: a process forked from the
// program (a test's child) must not share the parent's control socket.
std::mutex zygote_mutex;
int control_socket = -1;
pid_t zygote = -1;
pid_t owner = -1;

[[noreturn]] void fail_system(const char* what) { throw std::system_error(errno, std::generic_category(), what); }

std::size_t thread_count() {
  std::size_t count = 0;
  if (DIR* tasks = ::opendir("/proc/self/task")) {
    while (dirent* entry = ::readdir(tasks)) {
      if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(tasks);
  }
  return count;
}

// In a freshly forked child: keep stdio and `keep` (moved to fd 3), close everything else, and take
// default signal dispositions with SIGINT ignored.
void isolate_child(int keep) {
  if (keep != 3) {
    ::dup2(keep, 3);
  }
  ::close_range(4, ~0U, 0);
  for (int signal_number = 1; signal_number < NSIG; ++signal_number) ::signal(signal_number, SIG_DFL);
  ::signal(SIGINT, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
}

bool send_reply(Reply reply, int descriptor) {
  msghdr message{};
  iovec part{&reply, sizeof reply};
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  if (descriptor >= 0) {
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &descriptor, sizeof descriptor);
  }
  return ::sendmsg(zygote_control_fd, &message, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof reply);
}

void spawn_for_program() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    send_reply({-1, errno}, -1);
    return;
  }
  pid_t zygote_self = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(zygote_control_fd);
    isolate_child(pair[1]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a worker dies with its zygote
    if (::getppid() != zygote_self) ::_exit(0);
    ::fcntl(worker_socket_fd, F_SETFD, FD_CLOEXEC);  // a job that runs a program does not pass it on
    run_worker(worker_socket_fd);
  }
  int error = pid < 0 ? errno : 0;
  ::close(pair[1]);
  send_reply({pid, error}, pid > 0 ? pair[0] : -1);
  ::close(pair[0]);
}

[[noreturn]] void zygote_loop() {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
  for (;;) {
    Message message{};
    ssize_t got = ::recv(zygote_control_fd, &message, sizeof message, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got != static_cast<ssize_t>(sizeof message)) ::_exit(0);  // the program closed the socket or died
    if (message.request == Request::spawn) {
      spawn_for_program();
    } else {
      ::kill(message.pid, SIGKILL);
      int status = 0;
      pid_t reaped;
      do {
        reaped = ::waitpid(message.pid, &status, 0);
      } while (reaped < 0 && errno == EINTR);
      send_reply({status, reaped < 0 ? errno : 0}, -1);
    }
  }
}

ucontext_t zygote_context;

// In the zygote: tell the program its pid, move onto a fresh stack and never come back. It ends
// when the program's end of the control socket closes (the program exited or died).
[[noreturn]] void enter_zygote(int control) {
  isolate_child(control);
  pid_t self = ::getpid();
  if (::send(zygote_control_fd, &self, sizeof self, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof self)) ::_exit(1);
  void* stack = ::mmap(nullptr, zygote_stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                       -1, 0);
  if (stack == MAP_FAILED) ::_exit(1);
  ::getcontext(&zygote_context);
  zygote_context.uc_stack.ss_sp = stack;
  zygote_context.uc_stack.ss_size = zygote_stack_size;
  zygote_context.uc_link = nullptr;
  ::makecontext(&zygote_context, zygote_loop, 0);
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(nullptr, stack, zygote_stack_size);
#endif
  ::setcontext(&zygote_context);
  ::_exit(1);
}

bool have_zygote_locked() { return control_socket >= 0 && owner == ::getpid(); }

Reply ask_zygote(Message message, int* descriptor) {
  if (!have_zygote_locked()) throw InvalidStateError("ProcessPoolExecutor: this process has no process zygote");
  if (::send(control_socket, &message, sizeof message, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof message)) {
    throw BrokenProcessPool("ProcessPoolExecutor: the process zygote (pid " + std::to_string(zygote) + ") is gone");
  }
  Reply reply{};
  msghdr received{};
  iovec part{&reply, sizeof reply};
  received.msg_iov = &part;
  received.msg_iovlen = 1;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  received.msg_control = control;
  received.msg_controllen = sizeof control;
  ssize_t got;
  do {
    got = ::recvmsg(control_socket, &received, MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got != static_cast<ssize_t>(sizeof reply)) {
    throw BrokenProcessPool("ProcessPoolExecutor: the process zygote (pid " + std::to_string(zygote) + ") is gone");
  }
  if (descriptor != nullptr) {
    *descriptor = -1;
    if (cmsghdr* header = CMSG_FIRSTHDR(&received); header != nullptr && header->cmsg_type == SCM_RIGHTS) {
      std::memcpy(descriptor, CMSG_DATA(header), sizeof *descriptor);
    }
  }
  return reply;
}

}  // namespace

void ensure_zygote() {
  std::lock_guard lock(zygote_mutex);
  if (have_zygote_locked()) return;
  if (std::size_t threads = thread_count(); threads > 1) {
    throw InvalidStateError("ProcessPoolExecutor: the process zygote must start while the process has one thread, and it "
                            "has " + std::to_string(threads) +
                            " now; call spindle::start_process_zygote() at the top of main, before any thread starts");
  }
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) fail_system("socketpair for the process zygote");
  std::fflush(nullptr);  // or the zygote and every worker would inherit, and print again, what is buffered
  pid_t parent = ::getpid();
  // Forked twice, so the zygote is not this program's child: a program that reaps any child
  // (waitpid(-1)) or checks it has none left never sees it. The middle process exits at once.
  pid_t middle = ::fork();
  if (middle < 0) {
    int error = errno;
    ::close(pair[0]);
    ::close(pair[1]);
    errno = error;
    fail_system("fork of the process zygote");
  }
  if (middle == 0) {
    if (::fork() == 0) enter_zygote(pair[1]);
    ::_exit(0);
  }
  ::close(pair[1]);
  int status = 0;
  while (::waitpid(middle, &status, 0) < 0 && errno == EINTR) {
  }
  pid_t pid = -1;
  if (::recv(pair[0], &pid, sizeof pid, 0) != static_cast<ssize_t>(sizeof pid)) {
    ::close(pair[0]);
    throw BrokenProcessPool("ProcessPoolExecutor: the process zygote did not start");
  }
  control_socket = pair[0];
  zygote = pid;
  owner = parent;
}

WorkerProcess spawn_worker() {
  std::lock_guard lock(zygote_mutex);
  int socket = -1;
  Reply reply = ask_zygote({Request::spawn, 0}, &socket);
  if (reply.error != 0 || socket < 0) {
    throw std::system_error(reply.error != 0 ? reply.error : EPROTO, std::generic_category(),
                            "the process zygote could not fork a worker");
  }
  return {reply.pid_or_status, socket};
}

int reap_worker(pid_t pid) {
  std::lock_guard lock(zygote_mutex);
  Reply reply = ask_zygote({Request::reap, pid}, nullptr);
  return reply.pid_or_status;
}

pid_t zygote_pid() noexcept {
  std::lock_guard lock(zygote_mutex);
  return have_zygote_locked() ? zygote : -1;
}

}  // namespace spindle::detail
