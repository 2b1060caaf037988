#include <spindle/compat/subprocess.hpp>

#include <stdexcept>

namespace spindle {
namespace {

constexpr std::size_t read_chunk = 64 * 1024;

template <class Stream>
Stream& piped(Stream& stream, SubprocessPipe* pipe, const Subprocess& child, const char* which) {
  if (pipe == nullptr) {
    throw std::logic_error(std::string(which) + " of '" + child.args().front() + "' is not a pipe (pass subprocess::PIPE)");
  }
  return stream;
}

}  // namespace

bool ProcessReader::fill() {
  if (eof_) return false;
  std::size_t used = buffered_.size();
  buffered_.resize(used + read_chunk);
  std::size_t got = pipe_->read_some(std::span<char>(buffered_.data() + used, read_chunk));
  buffered_.resize(used + got);
  eof_ = got == 0;
  return !eof_;
}

std::string ProcessReader::read(long n) {
  if (n < 0) {
    while (fill()) {
    }
    return std::exchange(buffered_, {});
  }
  if (n == 0) return {};
  if (buffered_.empty()) fill();
  std::size_t take = std::min(buffered_.size(), static_cast<std::size_t>(n));
  std::string result = buffered_.substr(0, take);
  buffered_.erase(0, take);
  return result;
}

std::string ProcessReader::readline() {
  std::size_t searched = 0;
  for (;;) {
    std::size_t newline = buffered_.find('\n', searched);
    if (newline != std::string::npos) {
      std::string line = buffered_.substr(0, newline + 1);
      buffered_.erase(0, newline + 1);
      return line;
    }
    searched = buffered_.size();
    if (!fill()) return std::exchange(buffered_, {});
  }
}

Process::Process(Subprocess child)
    : child_(std::move(child)),
      stdin_(child_.stdin_pipe()),
      stdout_(child_.stdout_pipe()),
      stderr_(child_.stderr_pipe()) {}

std::pair<std::string, std::string> Process::communicate(std::string_view input) {
  SubprocessOutput output = child_.communicate(input);
  return {std::move(output.out), std::move(output.err)};
}

ProcessWriter& Process::stdin_stream() { return piped(stdin_, child_.stdin_pipe(), child_, "stdin"); }
ProcessReader& Process::stdout_stream() { return piped(stdout_, child_.stdout_pipe(), child_, "stdout"); }
ProcessReader& Process::stderr_stream() { return piped(stderr_, child_.stderr_pipe(), child_, "stderr"); }

}  // namespace spindle
