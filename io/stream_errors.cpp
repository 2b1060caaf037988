#include <spindle/io/stream_errors.hpp>

namespace spindle {
namespace {

std::string describe_incomplete(std::string_view operation_and_peer, std::size_t got,
                                std::optional<std::size_t> expected) {
  std::string text(operation_and_peer);
  text += ": the peer ended the stream after " + std::to_string(got);
  text += expected ? " of " + std::to_string(*expected) + " bytes" : " bytes, before the delimiter";
  return text;
}

}  // namespace

IncompleteReadError::IncompleteReadError(std::string_view operation_and_peer, std::string partial,
                                         std::optional<std::size_t> expected)
    : std::runtime_error(describe_incomplete(operation_and_peer, partial.size(), expected)),
      partial_(std::move(partial)),
      expected_(expected) {}

LimitOverrunError::LimitOverrunError(std::string_view operation_and_peer, std::size_t consumed, std::size_t limit)
    : std::runtime_error(std::string(operation_and_peer) + ": no delimiter within the limit of " +
                         std::to_string(limit) + " bytes"),
      consumed_(consumed) {}

}  // namespace spindle
