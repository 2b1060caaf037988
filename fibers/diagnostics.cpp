#include <spindle/fibers/diagnostics.hpp>

#include <cstdio>
#include <mutex>
#include <string>
#include <utility>

namespace spindle {
namespace {
std::mutex sink_mutex;
DiagnosticSink& installed_sink() {
  static DiagnosticSink sink;
  return sink;
}
}  // namespace

DiagnosticSink set_diagnostic_sink(DiagnosticSink sink) {
  std::lock_guard lock(sink_mutex);
  return std::exchange(installed_sink(), std::move(sink));
}

namespace detail {
void emit_diagnostic(std::string_view message) noexcept {
  std::lock_guard lock(sink_mutex);
  if (installed_sink()) {
    try {
      installed_sink()(message);
      return;
    } catch (...) {
      // A failing sink must not take the runtime down; fall through to stderr.
    }
  }
  std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
}
}  // namespace detail

}  // namespace spindle
