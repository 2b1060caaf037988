#include <spindle/io/errors.hpp>

namespace spindle {
namespace {

std::string describe(std::string_view operation, std::string_view subject) {
  std::string text(operation);
  if (!subject.empty()) {
    text += ' ';
    text += subject;
  }
  return text;
}

}  // namespace

IoError::IoError(int error_number, std::string_view operation, std::string_view subject)
    : std::system_error(error_number, std::generic_category(), describe(operation, subject)),
      operation_(operation),
      subject_(subject) {}

void throw_io_error(int error_number, std::string_view operation, std::string_view subject) {
  throw IoError(error_number, operation, subject);
}

}  // namespace spindle
