// Where the runtime's warnings go: unretrieved fiber exceptions, stall warnings, stack-policy
// notices, exceptions thrown by posted work. Default: one line each on stderr.
#pragma once

#include <functional>
#include <string_view>

namespace spindle {

using DiagnosticSink = std::function<void(std::string_view message)>;

// Installs `sink` for the whole process and returns the previous one; an empty sink restores the
// default. Thread-safe. The sink may be called from any thread that runs a scheduler, one message at
// a time; it must not park. (The stack-overflow report bypasses it: it is written from a signal
// handler straight to stderr.)
DiagnosticSink set_diagnostic_sink(DiagnosticSink sink);

namespace detail {
void emit_diagnostic(std::string_view message) noexcept;
}

}  // namespace spindle
