// Why this facade exists: CLI11 2.1 is header-only, and its inline functions were compiled again in
// every example that included <CLI/CLI.hpp>. At -O2 -g a trivial CLI11 program took 13.4 s to
// compile and a file including only <spindle/spindle.hpp> 2 s, so CLI11 was most of the examples'
// build time, twice per CI run (normal and sanitizer builds). Compiled once here (14.5 s of CPU),
// hello_fibers.cpp takes 2.9-3.0 s instead of 14.9-17.0 s, and the 31 examples with this library
// 128 s of CPU instead of 477 s (docs/design.md). Every call forwards to CLI11 with the types the
// examples used to pass it, so --help and the error messages are unchanged.
#include "command_line.hpp"

#include <CLI/CLI.hpp>

#include <utility>

CommandLine::Option CommandLine::Option::positive() {
  option_->check(CLI::PositiveNumber);
  return *this;
}

CommandLine::Option CommandLine::Option::one_of(std::vector<std::string> choices) {
  option_->check(CLI::IsMember(std::move(choices)));
  return *this;
}

CommandLine::Option CommandLine::Option::range(int min, int max) {
  option_->check(CLI::Range(min, max));
  return *this;
}

CommandLine::Option CommandLine::Option::range(double min, double max) {
  option_->check(CLI::Range(min, max));
  return *this;
}

CommandLine::Option CommandLine::Option::required() {
  option_->required();
  return *this;
}

CommandLine::CommandLine(const std::string& description) : app_(std::make_unique<CLI::App>(description)) {}

CommandLine::~CommandLine() = default;

CommandLine::Option CommandLine::add_option(const std::string& name, int& variable, const std::string& help) {
  return Option(app_->add_option(name, variable, help));
}

CommandLine::Option CommandLine::add_option(const std::string& name, std::size_t& variable, const std::string& help) {
  return Option(app_->add_option(name, variable, help));
}

CommandLine::Option CommandLine::add_option(const std::string& name, std::uint16_t& variable,
                                            const std::string& help) {
  return Option(app_->add_option(name, variable, help));
}

CommandLine::Option CommandLine::add_option(const std::string& name, double& variable, const std::string& help) {
  return Option(app_->add_option(name, variable, help));
}

CommandLine::Option CommandLine::add_option(const std::string& name, std::optional<double>& variable,
                                            const std::string& help) {
  return Option(app_->add_option(name, variable, help));
}

CommandLine::Option CommandLine::add_option(const std::string& name, std::string& variable, const std::string& help) {
  return Option(app_->add_option(name, variable, help));
}

CommandLine::Option CommandLine::add_option(const std::string& name, std::vector<std::string>& variable,
                                            const std::string& help) {
  return Option(app_->add_option(name, variable, help));
}

void CommandLine::add_flag(const std::string& name, bool& variable, const std::string& help) {
  app_->add_flag(name, variable, help);
}

std::optional<int> CommandLine::parse(int argc, char** argv) {
  // What CLI11_PARSE does, with the status handed back instead of returned from main.
  try {
    app_->parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app_->exit(error);
  }
  return std::nullopt;
}
