// Unix-domain stream sockets: listen on a path, connect to one. (Datagrams: io/datagram_socket.hpp;
// connected pairs: io/socket_pair.hpp.)
//
// A path starting with '\0' names the Linux abstract namespace (no file). A listener removes its
// socket file when it closes or is destroyed, as Python 3.13's create_unix_server does, but only
// while the path still names the socket it bound (same device and inode): a file another process
// has put there since is left alone. A file left by a crashed program is not removed before
// binding; bind then fails with EADDRINUSE.
#pragma once

#include <spindle/io/listener.hpp>

#include <string_view>

namespace spindle {

// Binds `path` and listens (options.backlog and options.stream apply; the TCP options do not).
// Throws IoError ("bind to unix:/run/x.sock: Address already in use"), std::invalid_argument for a
// path sun_path cannot hold; a file it made is removed before it throws. Never blocks.
UnixListener unix_listen(std::string_view path, ListenOptions options = {});

// Connects to the listener at `path`. Parks until connected (a full backlog makes it wait);
// a cancellation point. Throws IoError (ENOENT, ECONNREFUSED), TimeoutError.
UnixStream unix_connect(std::string_view path, Deadline deadline = {}, StreamOptions options = {});

}  // namespace spindle
