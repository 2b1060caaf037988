#include <spindle/io/stream.hpp>

#include <spindle/fibers/this_fiber.hpp>

#include <algorithm>
#include <array>
#include <cstring>

namespace spindle {

Stream::Stream(std::unique_ptr<Transport> transport, StreamOptions options)
    : transport_(std::move(transport)), options_(options) {
  options_.buffer_size = std::max<std::size_t>(options_.buffer_size, 64);
  options_.limit = std::max<std::size_t>(options_.limit, 1);
}

Stream::Stream(Stream&&) noexcept = default;
Stream& Stream::operator=(Stream&&) noexcept = default;
Stream::~Stream() = default;

bool Stream::fill(Deadline deadline, std::size_t capacity) {
  if (read_begin_ == read_end_) read_begin_ = read_end_ = 0;
  if (read_end_ == read_capacity_) {
    std::size_t held = read_end_ - read_begin_;
    if (read_begin_ > 0 && held < read_capacity_ / 2) {
      std::memmove(read_buffer_.get(), read_buffer_.get() + read_begin_, held);
    } else {
      std::size_t grown = std::max({read_capacity_ * 2, options_.buffer_size, held + 1});
      grown = std::max(std::min(grown, std::max(capacity, options_.buffer_size)), held + 1);
      auto bigger = std::make_unique_for_overwrite<std::byte[]>(grown);
      if (held > 0) std::memcpy(bigger.get(), read_buffer_.get() + read_begin_, held);
      read_buffer_ = std::move(bigger);
      read_capacity_ = grown;
    }
    read_begin_ = 0;
    read_end_ = held;
  }
  std::size_t got = transport_->read_some({read_buffer_.get() + read_end_, read_capacity_ - read_end_}, deadline);
  if (got == 0) {
    eof_ = true;
    return false;
  }
  read_end_ += got;
  return true;
}

std::string Stream::take(std::size_t count) {
  std::string bytes(reinterpret_cast<const char*>(read_buffer_.get()) + read_begin_, count);
  read_begin_ += count;
  return bytes;
}

std::size_t Stream::read_some(std::span<char> into, Deadline deadline) {
  return read_some(std::as_writable_bytes(into), deadline);
}

// The transport's calls are cancellation points themselves, so the Stream checks for a
// cancellation only on the paths that do not reach the transport (one check per call, not one per
// layer: it shows in the cost of a small echo).
std::size_t Stream::read_some(MutableBytes into, Deadline deadline) {
  if (read_begin_ == read_end_ && !eof_ && !into.empty()) {
    if (into.size() >= options_.buffer_size) {
      std::size_t got = transport_->read_some(into, effective(deadline));
      if (got == 0) eof_ = true;
      return got;
    }
    if (!fill(effective(deadline), options_.buffer_size)) return 0;
  } else {
    this_fiber::checkpoint();
  }
  std::size_t count = std::min(into.size(), read_end_ - read_begin_);
  if (count == 0) return 0;  // end of stream, or an empty `into`
  std::memcpy(into.data(), read_buffer_.get() + read_begin_, count);
  read_begin_ += count;
  return count;
}

void Stream::read_exactly(std::span<char> into, Deadline deadline) {
  this_fiber::checkpoint();
  deadline = effective(deadline);
  std::size_t got = 0;
  while (got < into.size()) {
    if (read_begin_ == read_end_) {
      std::size_t remaining = into.size() - got;
      bool more;
      if (!eof_ && remaining >= options_.buffer_size) {
        std::size_t direct = transport_->read_some(std::as_writable_bytes(into.subspan(got)), deadline);
        eof_ = direct == 0;
        got += direct;
        more = direct > 0;
        if (more) continue;
      } else {
        more = !eof_ && fill(deadline, options_.buffer_size);
      }
      if (!more) {
        throw IncompleteReadError("read_exactly from " + name(), std::string(into.data(), got), into.size());
      }
    }
    std::size_t count = std::min(into.size() - got, read_end_ - read_begin_);
    std::memcpy(into.data() + got, read_buffer_.get() + read_begin_, count);
    read_begin_ += count;
    got += count;
  }
}

std::string Stream::read_exactly(std::size_t count, Deadline deadline) {
  std::string bytes(count, '\0');
  read_exactly(std::span<char>(bytes), deadline);
  return bytes;
}

std::string Stream::read_until(std::string_view delimiter, Deadline deadline) {
  return read_delimited(delimiter, deadline, /*partial_at_eof=*/false);
}

std::string Stream::readline(Deadline deadline) { return read_delimited("\n", deadline, /*partial_at_eof=*/true); }

std::string Stream::read_delimited(std::string_view delimiter, Deadline deadline, bool partial_at_eof) {
  this_fiber::checkpoint();
  if (delimiter.empty()) throw std::invalid_argument("read_until: the delimiter is empty");
  deadline = effective(deadline);
  const char* operation = partial_at_eof ? "readline from " : "read_until from ";
  std::size_t searched = 0;  // bytes from read_begin_ known not to start a delimiter
  for (;;) {
    std::string_view held(reinterpret_cast<const char*>(read_buffer_.get()) + read_begin_, read_end_ - read_begin_);
    std::size_t at = held.find(delimiter, searched);
    if (at != std::string_view::npos) {
      std::size_t length = at + delimiter.size();
      if (length > options_.limit) throw LimitOverrunError(operation + name(), length, options_.limit);
      return take(length);
    }
    searched = held.size() >= delimiter.size() ? held.size() - delimiter.size() + 1 : 0;
    if (held.size() >= options_.limit) throw LimitOverrunError(operation + name(), held.size(), options_.limit);
    if (eof_ || !fill(deadline, options_.limit)) {
      if (partial_at_eof) return take(read_end_ - read_begin_);
      throw IncompleteReadError(operation + name(), take(read_end_ - read_begin_), std::nullopt);
    }
  }
}

std::string Stream::read_to_end(std::size_t max_size, Deadline deadline) {
  this_fiber::checkpoint();
  deadline = effective(deadline);
  while (!eof_ && fill(deadline, max_size + 1)) {
    if (read_end_ - read_begin_ > max_size) {
      throw LimitOverrunError("read_to_end from " + name(), read_end_ - read_begin_, max_size);
    }
  }
  return take(read_end_ - read_begin_);
}

void Stream::write(std::string_view data, Deadline deadline) {
  write(ConstBytes(reinterpret_cast<const std::byte*>(data.data()), data.size()), deadline);
}

void Stream::write(ConstBytes data, Deadline deadline) {
  if (write_size_ + data.size() > options_.buffer_size) {
    send_all(data, effective(deadline));
    return;
  }
  if (!write_buffer_) write_buffer_ = std::make_unique_for_overwrite<std::byte[]>(options_.buffer_size);
  if (!data.empty()) std::memcpy(write_buffer_.get() + write_size_, data.data(), data.size());
  write_size_ += data.size();
}

void Stream::write_all(std::string_view data, Deadline deadline) {
  write_all(ConstBytes(reinterpret_cast<const std::byte*>(data.data()), data.size()), deadline);
}

void Stream::write_all(ConstBytes data, Deadline deadline) {
  if (data.empty() && write_size_ == 0) this_fiber::checkpoint();
  send_all(data, effective(deadline));
}

void Stream::flush(Deadline deadline) { write_all(ConstBytes(), deadline); }

void Stream::send_all(ConstBytes data, Deadline deadline) {
  std::size_t buffered_sent = 0;
  // Whatever happens, the unsent part of the buffer stays queued for the next attempt.
  struct KeepUnsent {
    Stream& stream;
    std::size_t& sent;
    ~KeepUnsent() {
      std::size_t left = stream.write_size_ - sent;
      if (sent > 0 && left > 0) std::memmove(stream.write_buffer_.get(), stream.write_buffer_.get() + sent, left);
      stream.write_size_ = left;
    }
  } keep{*this, buffered_sent};
  std::array<ConstBytes, 2> pieces;
  while (buffered_sent < write_size_ || !data.empty()) {
    std::size_t count = 0;
    if (buffered_sent < write_size_) pieces[count++] = {write_buffer_.get() + buffered_sent, write_size_ - buffered_sent};
    if (!data.empty()) pieces[count++] = data;
    std::size_t sent = transport_->write_some(std::span(pieces.data(), count), deadline);
    std::size_t from_buffer = std::min(sent, write_size_ - buffered_sent);
    buffered_sent += from_buffer;
    data = data.subspan(sent - from_buffer);
  }
}

void Stream::shutdown_write(Deadline deadline) {
  flush(deadline);
  transport_->shutdown_write();
}

void Stream::close() noexcept {
  if (transport_) transport_->close();
  write_size_ = 0;
}

}  // namespace spindle
