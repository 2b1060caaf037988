#include <spindle/io/server.hpp>

#include <spindle/fibers/diagnostics.hpp>
#include <spindle/fibers/fd_wait.hpp>
#include <spindle/fibers/join_handle.hpp>
#include <spindle/fibers/spawn.hpp>
#include <spindle/fibers/this_fiber.hpp>
#include <spindle/fibers/wait_list.hpp>
#include <spindle/io/errors.hpp>

#include <cerrno>
#include <list>
#include <optional>
#include <stdexcept>
#include <string>

namespace spindle {

struct Server::State {
  State(std::vector<Listener> listeners, Handler handler, ServerOptions options)
      : listeners(std::move(listeners)), handler(std::move(handler)), options(options) {
    for (const Listener& listener : this->listeners) addresses.push_back(listener.local_address());
  }

  std::vector<Listener> listeners;
  std::vector<SocketAddress> addresses;  // the listeners', kept for sockets() once they have closed
  Handler handler;
  ServerOptions options;
  std::vector<JoinHandle<void>> acceptors;  // one per listener
  std::exception_ptr accept_failure;
  std::list<JoinHandle<void>> connections;
  WaitList slot_freed;  // accept fibers, at the limit or out of descriptors
  WaitList all_ended;   // stop() and wait_closed()
  bool accepting = true;
  bool out_of_descriptors = false;  // reported already (once per server: it recurs in bursts)

  void accept_loop(const std::shared_ptr<State>& self, std::size_t which);
  void launch(const std::shared_ptr<State>& self, SocketStream stream, std::size_t which);
  void stop_accepting(const char* why) noexcept;
  void wait_acceptors();
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
    // Every accept fiber, not one: the one woken might have nothing pending while another has.
    state->slot_freed.wake_all();
    if (state->connections.empty()) state->all_ended.wake_all();
  }
};

}  // namespace

void Server::State::launch(const std::shared_ptr<State>& self, SocketStream stream, std::size_t which) {
  auto place = connections.emplace(connections.end());
  *place = spawn([membership = Membership(self, place), stream = std::move(stream), which]() mutable {
    // Kept apart from the stream, which the handler may move away (compat's start_server does).
    SocketAddress peer = stream.peer_address();
    auto report = [&](std::string_view what) {
      detail::emit_diagnostic("spindle: server on " + membership.state->addresses[which].to_string() + ": handler for " +
                              peer.to_string() + " failed" + std::string(what));
    };
    try {
      membership.state->handler(stream);
    } catch (const CancelledError&) {
    } catch (const std::exception& error) {
      report(std::string(": ") + error.what());
    } catch (...) {
      report(" with a non-standard exception");
    }
    stream.close();
  });
}

void Server::State::accept_loop(const std::shared_ptr<State>& self, std::size_t which) {
  Listener& listener = listeners[which];
  for (;;) {
    // close() cancels this fiber and then closes the listener: a cancellation that came while this
    // fiber was runnable, not parked, must end it here, before it touches the closed descriptor.
    this_fiber::checkpoint();
    while (at_limit()) slot_freed.wait("server: at max_connections");
    try {
      // Taken only when already pending, never waited for with a slot in hand: another listener's
      // accept fiber may fill the last slot while this one waits (the limit is checked again first).
      if (std::optional<SocketStream> stream = listener.try_accept()) {
        launch(self, std::move(*stream), which);
      } else {
        wait_readable(listener.socket().fd());
      }
    } catch (const IoError& error) {
      int code = error.code().value();
      if (spindle::out_of_descriptors(code)) {
        if (!out_of_descriptors) {
          out_of_descriptors = true;
          detail::emit_diagnostic("spindle: server on " + addresses[which].to_string() + ": accept: " +
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

void Server::State::stop_accepting(const char* why) noexcept {
  accepting = false;
  for (JoinHandle<void>& acceptor : acceptors) {
    if (acceptor.id() != this_fiber::id()) acceptor.cancel(why);  // an accept fiber stopping the rest
  }
  for (Listener& listener : listeners) listener.close();
}

void Server::State::wait_acceptors() {
  for (JoinHandle<void>& acceptor : acceptors) acceptor.wait();
}

Server::Server(Listener listener, Handler handler, ServerOptions options)
    : Server([&] {
        std::vector<Listener> listeners;
        listeners.push_back(std::move(listener));
        return listeners;
      }(), std::move(handler), options) {}

Server::Server(std::vector<Listener> listeners, Handler handler, ServerOptions options) {
  if (listeners.empty()) throw std::invalid_argument("Server: no listener");
  for (const Listener& listener : listeners) {
    if (!listener) throw std::invalid_argument("Server: a listener is closed");
  }
  state_ = std::make_shared<State>(std::move(listeners), std::move(handler), options);
  state_->acceptors.reserve(state_->listeners.size());
  for (std::size_t which = 0; which < state_->listeners.size(); ++which) {
    state_->acceptors.push_back(spawn([self = state_, which] {
      try {
        self->accept_loop(self, which);
      } catch (const CancelledError&) {  // close(), or the scheduler shutting down
      } catch (...) {
        // One listener failing stops the server as a whole: serving() and serve_forever() speak
        // for all of them.
        if (!self->accept_failure) self->accept_failure = std::current_exception();
        detail::emit_diagnostic("spindle: server on " + self->addresses[which].to_string() + " stopped accepting: " +
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
      if (self->accepting) self->stop_accepting("server: another listener stopped");
    }));
  }
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
  if (state_->accepting) state_->stop_accepting("server closed");
}

void Server::stop(Deadline grace) {
  close();
  State& state = *state_;
  state.wait_acceptors();
  while (!state.connections.empty()) {
    if (state.all_ended.wait("server: grace period for handlers", grace.when()) == WakeStatus::timed_out) break;
  }
  for (auto& connection : state.connections) connection.cancel("server stopped: grace period over");
  while (!state.connections.empty()) state.all_ended.wait("server: handlers unwinding");
}

void Server::wait_closed() {
  state_->wait_acceptors();
  while (!state_->connections.empty()) state_->all_ended.wait("server: wait_closed");
}

void Server::serve_forever() {
  try {
    state_->wait_acceptors();
  } catch (const CancelledError&) {
    stop(Deadline(now()));
    throw;
  }
  if (state_->accept_failure) std::rethrow_exception(state_->accept_failure);
}

bool Server::serving() const noexcept { return state_->accepting; }
std::size_t Server::connections() const noexcept { return state_->connections.size(); }
const SocketAddress& Server::local_address() const noexcept { return state_->addresses.front(); }
const std::vector<SocketAddress>& Server::sockets() const noexcept { return state_->addresses; }

}  // namespace spindle
