// What a Stream throws when the bytes themselves do not fit the request (asyncio's names and fields).
//
//   std::runtime_error
//   ├── spindle::IncompleteReadError   the peer ended the stream before read_exactly got `expected`
//   │                                  bytes or read_until found its delimiter; partial() holds what
//   │                                  did arrive (it is consumed)
//   └── spindle::LimitOverrunError     read_until/readline buffered `limit` bytes without finding the
//                                      delimiter; consumed() says how many wait in the buffer (they
//                                      are not consumed, as in asyncio)
//
// OS failures (reset, refused) are IoError and deadlines TimeoutError (io/errors.hpp).
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace spindle {

class IncompleteReadError : public std::runtime_error {
 public:
  // `expected` is nullopt for a delimiter search (asyncio's None). `operation_and_peer` reads
  // "read_exactly from 127.0.0.1:80".
  IncompleteReadError(std::string_view operation_and_peer, std::string partial, std::optional<std::size_t> expected);

  const std::string& partial() const noexcept { return partial_; }
  std::optional<std::size_t> expected() const noexcept { return expected_; }

 private:
  std::string partial_;
  std::optional<std::size_t> expected_;
};

class LimitOverrunError : public std::runtime_error {
 public:
  LimitOverrunError(std::string_view operation_and_peer, std::size_t consumed, std::size_t limit);
  std::size_t consumed() const noexcept { return consumed_; }

 private:
  std::size_t consumed_;
};

}  // namespace spindle
