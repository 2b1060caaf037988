#include <spindle/compat/errors.hpp>

#include <spindle/fibers/detail/fiber.hpp>

#include <csignal>

namespace spindle {
namespace {

std::string describe_group(const std::string& message, const std::vector<std::exception_ptr>& exceptions) {
  std::string text = message + " (" + std::to_string(exceptions.size()) + " sub-exception" +
                     (exceptions.size() == 1 ? "" : "s") + ")";
  for (std::size_t i = 0; i < exceptions.size(); ++i) {
    text += "\n  [" + std::to_string(i + 1) + "] " + detail::describe_exception(exceptions[i]);
  }
  return text;
}

}  // namespace

const char* Interrupted::what() const noexcept {
  switch (signal_) {
    case SIGINT:
      return "interrupted by SIGINT";
    case SIGTERM:
      return "interrupted by SIGTERM";
    default:
      return "interrupted by a signal";
  }
}

ExceptionGroup::ExceptionGroup(std::string message, std::vector<std::exception_ptr> exceptions)
    : std::runtime_error(describe_group(message, exceptions)), exceptions_(std::move(exceptions)) {}

}  // namespace spindle
