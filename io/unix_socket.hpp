// Unix-domain stream sockets: listen on a path, connect to one. (Datagrams: io/datagram_socket.hpp;
// connected pairs: io/socket_pair.hpp.)
//
// A path starting with '\0' names the Linux abstract namespace (no file). A filesystem socket's
// file stays after the listener closes; remove it yourself before binding the path again.
#pragma once

#include <spindle/io/listener.hpp>

#include <string_view>

namespace spindle {

// Binds `path` and listens (options.backlog and options.stream apply; the TCP options do not).
// Throws IoError ("bind to unix:/run/x.sock: Address already in use"), std::invalid_argument for a
// path sun_path cannot hold. Never blocks.
UnixListener unix_listen(std::string_view path, ListenOptions options = {});

// Connects to the listener at `path`. Parks until connected (a full backlog makes it wait);
// a cancellation point. Throws IoError (ENOENT, ECONNREFUSED), TimeoutError.
UnixStream unix_connect(std::string_view path, Deadline deadline = {}, StreamOptions options = {});

}  // namespace spindle
