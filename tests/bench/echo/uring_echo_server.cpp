// The practical limit with io_uring, beside the epoll loop (epoll_echo_server.cpp): a hand-written
// single-threaded io_uring echo server.
//
// The epoll loop makes one read and one write syscall per message; this one asks whether batching
// those through a ring costs less CPU per message. Every connection has exactly one operation in
// flight: a recv into its buffer, and on completion a send of what arrived (a short send resubmits
// the rest), then the next recv. The listener has one multishot accept. Completions are handled in a
// batch and the operations they queue go in with the next io_uring_submit_and_wait, so one loop
// iteration is one syscall for however many connections were ready. The ring is SINGLE_ISSUER and
// DEFER_TASKRUN where the kernel has them (6.1+): the kernel's completion work then runs inside that
// one io_uring_enter, not as task work interrupting the loop. Nothing else: no registered files or
// buffers, no multishot recv, so what is measured is the plain recv/send pair moved into a ring.
//
// Listens on 127.0.0.1 on a port the kernel picks and prints `port=N` when it accepts. Exits 1 with the
// errno if the ring cannot be made (no io_uring, or io_uring_disabled). Runs until killed (run_echo.py
// stops it).
#include "echo_listen.hpp"

#include <liburing.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {

struct Connection {
  explicit Connection(int socket) : fd(socket) {}
  int fd;
  bool sending = false;  // the operation in flight: a send of buffer[pending_begin, pending_end), or a recv
  std::size_t pending_begin = 0;
  std::size_t pending_end = 0;
  char buffer[spindle::bench::echo_buffer_size];
};

io_uring ring;
int listener;

// A free SQE; if the submission queue is full, what is queued goes in first.
io_uring_sqe* next_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  while (sqe == nullptr) {
    io_uring_submit(&ring);
    sqe = io_uring_get_sqe(&ring);
  }
  return sqe;
}

void queue_accept() {
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_multishot_accept(sqe, listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  io_uring_sqe_set_data(sqe, nullptr);  // the listener
}

void queue_recv(Connection& connection) {
  connection.sending = false;
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_recv(sqe, connection.fd, connection.buffer, sizeof connection.buffer, 0);
  io_uring_sqe_set_data(sqe, &connection);
}

void queue_send(Connection& connection) {
  connection.sending = true;
  io_uring_sqe* sqe = next_sqe();
  io_uring_prep_send(sqe, connection.fd, connection.buffer + connection.pending_begin,
                     connection.pending_end - connection.pending_begin, MSG_NOSIGNAL);
  io_uring_sqe_set_data(sqe, &connection);
}

// One completion. A connection has nothing else in flight, so it can be closed right here.
void complete(const io_uring_cqe& cqe) {
  auto* connection = static_cast<Connection*>(io_uring_cqe_get_data(&cqe));
  if (connection == nullptr) {
    if (cqe.res >= 0) {
      spindle::bench::set_no_delay(cqe.res);
      queue_recv(*new Connection(cqe.res));
    }
    if ((cqe.flags & IORING_CQE_F_MORE) == 0) queue_accept();  // the multishot accept ended: re-arm it
    return;
  }
  if (cqe.res <= 0) {  // end of stream, or an error (ECONNRESET, EPIPE): the connection is finished
    ::close(connection->fd);
    delete connection;
    return;
  }
  if (connection->sending) {
    connection->pending_begin += static_cast<std::size_t>(cqe.res);
  } else {
    connection->pending_begin = 0;
    connection->pending_end = static_cast<std::size_t>(cqe.res);
  }
  if (connection->pending_begin < connection->pending_end) {
    queue_send(*connection);
  } else {
    queue_recv(*connection);
  }
}

}  // namespace

int main() {
  io_uring_params params{};
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  int result = io_uring_queue_init_params(1024, &ring, &params);
  if (result == -EINVAL) {  // a kernel before 6.1: a plain ring
    params = {};
    result = io_uring_queue_init_params(1024, &ring, &params);
  }
  if (result < 0) {
    std::fprintf(stderr, "uring echo server: io_uring_queue_init failed: %s (errno %d)\n",
                 std::strerror(-result), -result);
    return 1;
  }
  listener = spindle::bench::listen_on_loopback();
  queue_accept();
  for (;;) {
    result = io_uring_submit_and_wait(&ring, 1);
    if (result < 0 && result != -EINTR) {
      std::fprintf(stderr, "uring echo server: io_uring_submit_and_wait failed: %s (errno %d)\n",
                   std::strerror(-result), -result);
      return 1;
    }
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring, head, cqe) {
      complete(*cqe);
      ++seen;
    }
    io_uring_cq_advance(&ring, seen);
  }
}
