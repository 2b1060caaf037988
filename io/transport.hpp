// Transport: the byte pipe a Stream reads and writes, so buffering is written once for every kind
// of connection (TCP, Unix, TLS on top of either, pipes).
//
// A transport does no buffering of its own beyond what it needs (TLS records); it blocks the calling
// fiber, never the thread, and reports failures as exceptions that name the operation and the peer.
// Stream (io/stream.hpp) is the only intended caller; implement one to carry a Stream over something
// new: TlsTransport wraps another Transport the same way.
#pragma once

#include <spindle/io/deadline.hpp>

#include <cstddef>
#include <span>
#include <string>

namespace spindle {

using ConstBytes = std::span<const std::byte>;
using MutableBytes = std::span<std::byte>;

class Transport {
 public:
  virtual ~Transport() = default;

  // Reads at least one and at most into.size() bytes and returns how many; 0 means the peer closed
  // its sending side (end of stream). `into` is never empty. Parks the calling fiber until data
  // arrives. Throws TimeoutError when `deadline` passes first, CancelledError if the fiber is
  // cancelled while waiting, IoError (or a subsystem's error) naming the peer on failure.
  virtual std::size_t read_some(MutableBytes into, Deadline deadline) = 0;

  // Writes at least one byte of `pieces` (in order, as if concatenated) and returns how many; the
  // total of `pieces` is never zero. Parks while the peer cannot take more. Same errors as read_some;
  // a peer that reset or closed gives IoError with EPIPE or ECONNRESET, never SIGPIPE.
  virtual std::size_t write_some(std::span<const ConstBytes> pieces, Deadline deadline) = 0;

  // Sends end-of-stream to the peer, which then reads 0; reading stays possible. Never blocks.
  virtual void shutdown_write() = 0;

  // Releases the connection (closing its descriptor). Idempotent; never blocks, never throws.
  virtual void close() noexcept = 0;

  // Who is on the other end, for messages: "127.0.0.1:8080", "unix:/run/app.sock".
  virtual std::string name() const = 0;
};

}  // namespace spindle
