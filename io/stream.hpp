// Stream: buffered reading and writing over any Transport (TCP, Unix, TLS), in blocking style.
//
//   auto s = tcp_connect("127.0.0.1", 80);
//   s.write_all("GET / HTTP/1.0\r\n\r\n");
//   std::string head = s.read_until("\r\n\r\n", 5s);
//
// Why it is built this way. Reads go through one buffer, so a protocol that reads a line, then a
// header, then a few bytes costs one syscall per buffer-full, not one per call; a read that finds
// bytes buffered makes no syscall at all, and a read into a caller's buffer at least as large as
// ours skips the copy. When the buffer is empty the transport is tried first and the fiber parks
// only if the kernel has nothing (the edge-triggered model of fibers/fd_wait.hpp). Writes are not
// copied unless asked to be: write_all() sends the caller's bytes directly (gathered with anything
// write() buffered, in one writev), so a 100 KiB write is never copied; write() appends small
// pieces to the buffer for one later flush().
//
// Every call that can block parks only the calling fiber, is a cancellation point, and gives up
// with TimeoutError at its Deadline (or the stream's default timeout, if set and none is given).
// Errors name the operation and the peer. Move-only; use it from one fiber at a time (one reader
// and one writer fiber may work concurrently); it belongs to the scheduler thread that made it.
// The destructor closes without flushing.
#pragma once

#include <spindle/io/deadline.hpp>
#include <spindle/io/stream_errors.hpp>
#include <spindle/io/transport.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace spindle {

struct StreamOptions {
  // Bytes read from the transport at a time, and the write buffer's size.
  std::size_t buffer_size = 16 * 1024;
  // read_until and readline give up (LimitOverrunError) after this many bytes without a delimiter
  // (asyncio's `limit`, 64 KiB by default).
  std::size_t limit = 64 * 1024;
  // Applied to every blocking call that is given no Deadline; nullopt: none.
  std::optional<Duration> timeout{};
};

class Stream {
 public:
  explicit Stream(std::unique_ptr<Transport> transport, StreamOptions options = {});
  Stream(Stream&&) noexcept;
  Stream& operator=(Stream&&) noexcept;
  ~Stream();

  // Some bytes (at least one), or 0 at end of stream. Returns at once with buffered bytes.
  std::size_t read_some(std::span<char> into, Deadline deadline = {});
  std::size_t read_some(MutableBytes into, Deadline deadline = {});
  // Exactly into.size() (count) bytes. Throws IncompleteReadError (holding what arrived) if the
  // stream ends first.
  void read_exactly(std::span<char> into, Deadline deadline = {});
  std::string read_exactly(std::size_t count, Deadline deadline = {});
  // Up to and including the first `delimiter` (non-empty). Throws IncompleteReadError if the stream
  // ends first (its partial() is everything left), LimitOverrunError past options.limit.
  std::string read_until(std::string_view delimiter, Deadline deadline = {});
  // A line with its "\n"; at end of stream what is left without one, "" when nothing is (asyncio's
  // readline). LimitOverrunError past options.limit.
  std::string readline(Deadline deadline = {});
  // Everything until end of stream. LimitOverrunError if more than `max_size` bytes arrive.
  std::string read_to_end(std::size_t max_size, Deadline deadline = {});
  // End of stream was reached and nothing is left in the buffer. Never blocks.
  bool at_eof() const noexcept { return eof_ && read_begin_ == read_end_; }
  // Bytes read from the transport and not yet returned.
  std::size_t buffered() const noexcept { return read_end_ - read_begin_; }

  // Appends to the write buffer; sends (buffer and `data` together) only if they do not fit in it.
  void write(std::string_view data, Deadline deadline = {});
  void write(ConstBytes data, Deadline deadline = {});
  // Sends what write() buffered, then `data`, and returns when the kernel took all of it.
  void write_all(std::string_view data, Deadline deadline = {});
  void write_all(ConstBytes data, Deadline deadline = {});
  // Sends what write() buffered.
  void flush(Deadline deadline = {});
  std::size_t pending_write() const noexcept { return write_size_; }
  // Flushes, then sends end of stream (the peer reads 0); reading goes on. Half-close.
  void shutdown_write(Deadline deadline = {});
  // Closes the transport, discarding unflushed writes. Never blocks; idempotent.
  void close() noexcept;

  // The peer's name, for messages ("127.0.0.1:80"); "a moved-from stream" after a move.
  std::string name() const { return transport_ ? transport_->name() : "a moved-from stream"; }
  Transport& transport() noexcept { return *transport_; }
  void set_timeout(std::optional<Duration> timeout) noexcept { options_.timeout = timeout; }

 private:
  Deadline effective(Deadline deadline) const noexcept {
    return deadline || !options_.timeout ? deadline : Deadline(options_.timeout);
  }
  // Reads once from the transport into the buffer (growing it up to `capacity`); false at EOF.
  bool fill(Deadline deadline, std::size_t capacity);
  std::string take(std::size_t count);
  std::string read_delimited(std::string_view delimiter, Deadline deadline, bool partial_at_eof);
  // Sends the write buffer, then `data`, all of it.
  void send_all(ConstBytes data, Deadline deadline);

  std::unique_ptr<Transport> transport_;
  StreamOptions options_;
  std::unique_ptr<std::byte[]> read_buffer_;
  std::size_t read_capacity_ = 0;
  std::size_t read_begin_ = 0;
  std::size_t read_end_ = 0;
  bool eof_ = false;
  std::unique_ptr<std::byte[]> write_buffer_;
  std::size_t write_size_ = 0;
};

}  // namespace spindle
