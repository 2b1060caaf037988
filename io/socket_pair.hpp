// socket_pair: two connected Unix sockets, for talking between fibers, threads or a child process.
#pragma once

#include <spindle/io/datagram_socket.hpp>
#include <spindle/io/socket_stream.hpp>

#include <utility>

namespace spindle {

// socketpair(AF_UNIX, SOCK_STREAM): a byte stream each way. Throws IoError (EMFILE). Never blocks.
std::pair<UnixStream, UnixStream> socket_pair(StreamOptions options = {});
// socketpair(AF_UNIX, SOCK_DGRAM): messages each way, boundaries kept.
std::pair<UnixDatagramSocket, UnixDatagramSocket> datagram_socket_pair();

}  // namespace spindle
