// What the example programs, ports of the Python "seed" programs, share: a clock scaled by --scale
// (so a run can be shortened while printing the seed's times), the --scale and --virtual-clock
// options, and printing as Python does. Included by relative path; not part of spindle's API.
#pragma once

#include <spindle/spindle.hpp>

#include <charconv>
#include <chrono>
#include <string>
#include <thread>

#include "command_line.hpp"

// Factor every duration in the program is multiplied by (--scale); printed times are divided by it.
inline double scale = 1.0;

// Whether the program runs its scheduler on the virtual clock (--virtual-clock).
inline bool virtual_clock = false;

// When the timed part of the program began: elapsed() counts from here; set it with `start = now()`.
inline spindle::TimePoint start;

// `count` seconds, multiplied by `scale`.
inline spindle::Duration seconds(double count) {
  return std::chrono::duration_cast<spindle::Duration>(std::chrono::duration<double>(count * scale));
}

// Seconds from `start` to spindle::now(), divided by `scale`: the time the seed would have taken.
inline double elapsed() { return std::chrono::duration<double>(spindle::now() - start).count() / scale; }

// How --scale describes itself unless a program says more precisely what it scales.
inline constexpr const char* standard_scale_help = "multiply every sleep by this factor (times are printed unscaled)";

// Adds --scale (sets `scale`, must be positive) to `command_line`, with `help` as its description.
inline void add_scale_option(CommandLine& command_line, const std::string& help = standard_scale_help) {
  command_line.add_option("--scale", scale, help).positive();
}

// Adds --scale as add_scale_option does, then --virtual-clock (sets `virtual_clock`), to
// `command_line`.
inline void add_clock_options(CommandLine& command_line, const std::string& scale_help = standard_scale_help) {
  add_scale_option(command_line, scale_help);
  command_line.add_flag("--virtual-clock", virtual_clock, "run on the virtual clock: exact times, no waiting");
}

// The thread that started the program (initialised on it, before main runs).
inline const std::thread::id main_thread = std::this_thread::get_id();

// threading.current_thread()'s repr without its ident, which changes every run.
inline const char* current_thread() {
  return std::this_thread::get_id() == main_thread ? "<_MainThread(MainThread, started)>" : "<Thread(other, started)>";
}

// "True" or "False", as Python prints a bool.
inline const char* python_bool(bool value) { return value ? "True" : "False"; }

// Shortest text that reads back as the same double, as Python prints floats.
inline std::string python_repr(double value) {
  char text[32];
  return std::string(text, std::to_chars(text, text + sizeof text, value).ptr);
}
