// Pipes as streams: asyncio's connect_read_pipe / connect_write_pipe.
//
// A pipe (or FIFO, or a terminal, or any descriptor that poll() can wait on) carried as a
// Transport, so the whole Stream API works over it: read_until, readline, read_exactly, write_all.
// The descriptors are made non-blocking; a read parks the fiber until bytes arrive, a write parks
// while the pipe is full. Writing to a pipe whose reader is gone is an IoError with EPIPE, never a
// SIGPIPE. Same threading rules as Stream: one scheduler's fibers, one reader and one writer at a
// time.
#pragma once

#include <spindle/io/file_descriptor.hpp>
#include <spindle/io/stream.hpp>
#include <spindle/io/transport.hpp>

#include <string>
#include <utility>

namespace spindle {

// One or both directions of pipe traffic. An empty read or write end makes that direction fail
// with IoError(EBADF) naming the pipe.
class PipeTransport final : public Transport {
 public:
  // Takes ownership of both descriptors (either may be empty) and makes them non-blocking (throws
  // IoError if that fails). `name` ("pipe", "fifo /run/app.ctl") names the pipe in errors.
  PipeTransport(FileDescriptor read_end, FileDescriptor write_end, std::string name);

  std::size_t read_some(MutableBytes into, Deadline deadline) override;
  std::size_t write_some(std::span<const ConstBytes> pieces, Deadline deadline) override;
  // Closes the write end: the reader then sees end of file.
  void shutdown_write() override { write_end_.close(); }
  void close() noexcept override;
  std::string name() const override { return name_; }

 private:
  FileDescriptor read_end_;
  FileDescriptor write_end_;
  std::string name_;
};

// A Stream reading `read_end` (asyncio.connect_read_pipe); writes fail with EBADF. Never blocks;
// throws IoError if the descriptor cannot be made non-blocking.
Stream pipe_reader(FileDescriptor read_end, std::string name = "pipe", StreamOptions options = {});
// A Stream writing `write_end` (asyncio.connect_write_pipe); reads fail with EBADF. shutdown_write()
// or close() closes it, and the reader sees end of file.
Stream pipe_writer(FileDescriptor write_end, std::string name = "pipe", StreamOptions options = {});

// A new pipe (pipe2, close-on-exec), as its reading and its writing Stream. Throws IoError when
// the process is out of descriptors.
std::pair<Stream, Stream> open_pipe(StreamOptions options = {});

}  // namespace spindle
