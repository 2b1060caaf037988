#include <spindle/io/server.hpp>

#include <spindle/fibers/diagnostics.hpp>
#include <spindle/fibers/join_handle.hpp>
#include <spindle/fibers/spawn.hpp>
#include <spindle/fibers/wait_list.hpp>
#include <spindle/io/errors.hpp>

#include <cerrno>
#include <list>
#include <string>

namespace spindle {

struct Server::State {
  State(Listener listener, Handler handler, ServerOptions options)
      : listener(std::move(listener)), address(this->listener.local_address()), handler(std::move(handler)),
        options(options) {}

  Listener listener;
  SocketAddress address;
  Handler handler;
  ServerOptions options;
  JoinHandle<void> acceptor;
  std::exception_ptr accept_failure;
  std::list<JoinHandle<void>> connections;
  WaitList slot_freed;  // the accept fiber, at the limit or out of descriptors
  WaitList all_ended;   // stop() and wait_closed()
  bool accepting = true;
  bool out_of_descriptors = false;  // reported already (once per server: it recurs in bursts)

  void accept_loop(const std::shared_ptr<State>& self);
  void launch(const std::shared_ptr<State>& self, SocketStream stream);
  bool at_limit() const { return options.max_connections && connections.size() >= *options.max_connections; }
};

namespace {

bool out_of_descriptors(int error) { return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM; }

// Failures that belong to one pending connection (it was reset before we took it, or the network
// under it went away), not to the listener: accept(2) says to retry on these.
bool connection_failed(int error) {
  switch (error) {
    case ECONNABORTED: case EPROTO: case ENETDOWN: case ENOPROTOOPT: case EHOSTDOWN: case ENONET:
    case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH: case EPERM: case ETIMEDOUT:
      return true;
    default:
      return false;
  }
}

// A connection's place in State::connections, given up when the connection's fiber ends, whether
// or not its body ever ran (a fiber cancelled before its first step destroys its callable unrun).
struct Membership {
  std::shared_ptr<Server::State> state;
  std::list<JoinHandle<void>>::iterator place;
  Membership(std::shared_ptr<Server::State> state, std::list<JoinHandle<void>>::iterator place)
      : state(std::move(state)), place(place) {}
  Membership(Membership&& other) noexcept : state(std::move(other.state)), place(other.place) {}
  Membership(const Membership&) = delete;
  ~Membership() {
    if (!state) return;
    state->connections.erase(place);
    state->slot_freed.wake_one();
    if (state->connections.empty()) state->all_ended.wake_all();
  }
};

}  // namespace

void Server::State::launch(const std::shared_ptr<State>& self, SocketStream stream) {
  auto place = connections.emplace(connections.end());
  *place = spawn([membership = Membership(self, place), stream = std::move(stream)]() mutable {
    try {
      membership.state->handler(stream);
    } catch (const CancelledError&) {
    } catch (const std::exception& error) {
      detail::emit_diagnostic("spindle: server on " + membership.state->address.to_string() +
                              ": handler for " + stream.name() + " failed: " + error.what());
    } catch (...) {
      detail::emit_diagnostic("spindle: server on " + membership.state->address.to_string() +
                              ": handler for " + stream.name() + " failed with a non-standard exception");
    }
    stream.close();
  });
}

void Server::State::accept_loop(const std::shared_ptr<State>& self) {
  for (;;) {
    while (at_limit()) slot_freed.wait("server: at max_connections");
    try {
      SocketStream stream = listener.accept();
      launch(self, std::move(stream));
    } catch (const IoError& error) {
      int code = error.code().value();
      if (spindle::out_of_descriptors(code)) {
        if (!out_of_descriptors) {
          out_of_descriptors = true;
          detail::emit_diagnostic("spindle: server on " + address.to_string() + ": accept: " +
                                  error.code().message() +
                                  "; pausing accepts until a connection ends (reported once)");
        }
        slot_freed.wait("server: out of descriptors", now() + options.accept_backoff);
      } else if (!connection_failed(code)) {
        throw;
      }
    }
  }
}

Server::Server(Listener listener, Handler handler, ServerOptions options)
    : state_(std::make_shared<State>(std::move(listener), std::move(handler), options)) {
  state_->acceptor = spawn([self = state_] {
    try {
      self->accept_loop(self);
    } catch (const CancelledError&) {
    } catch (...) {
      self->accept_failure = std::current_exception();
      detail::emit_diagnostic("spindle: server on " + self->address.to_string() + " stopped accepting: " +
                              [] {
                                try {
                                  throw;
                                } catch (const std::exception& error) {
                                  return std::string(error.what());
                                } catch (...) {
                                  return std::string("a non-standard exception");
                                }
                              }());
    }
    self->accepting = false;
    self->listener.close();
  });
}

Server::Server(Server&&) noexcept = default;
Server& Server::operator=(Server&& other) noexcept {
  if (this != &other) {
    Server replaced(std::move(*this));  // stopped as it goes
    state_ = std::move(other.state_);
  }
  return *this;
}

Server::~Server() {
  if (!state_) return;
  try {
    stop(Deadline(now()));
  } catch (...) {  // not on a fiber, or cancelled while waiting: the handlers end on their own
    for (auto& connection : state_->connections) connection.cancel("server destroyed");
  }
}

void Server::close() noexcept {
  if (!state_->accepting) return;
  state_->accepting = false;
  state_->acceptor.cancel("server closed");
  state_->listener.close();
}

void Server::stop(Deadline grace) {
  close();
  State& state = *state_;
  state.acceptor.wait();
  while (!state.connections.empty()) {
    if (state.all_ended.wait("server: grace period for handlers", grace.when()) == WakeStatus::timed_out) break;
  }
  for (auto& connection : state.connections) connection.cancel("server stopped: grace period over");
  while (!state.connections.empty()) state.all_ended.wait("server: handlers unwinding");
}

void Server::wait_closed() {
  state_->acceptor.wait();
  while (!state_->connections.empty()) state_->all_ended.wait("server: wait_closed");
}

void Server::serve_forever() {
  try {
    state_->acceptor.wait();
  } catch (const CancelledError&) {
    stop(Deadline(now()));
    throw;
  }
  if (state_->accept_failure) std::rethrow_exception(state_->accept_failure);
}

bool Server::serving() const noexcept { return state_->accepting; }
std::size_t Server::connections() const noexcept { return state_->connections.size(); }
const SocketAddress& Server::local_address() const noexcept { return state_->address; }

}  // namespace spindle
