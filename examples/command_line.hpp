// The examples' command lines: a small facade over CLI11, which is compiled once, in
// command_line.cpp, instead of in every example (see there for why). Help text and error messages
// are CLI11's own.
// Included by relative path; not part of spindle's API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
class Option;
}  // namespace CLI

// A program's command line: options and flags bound to the program's variables, then parse(). The
// variables must outlive parse(), which writes them; nothing touches them afterwards.
class CommandLine {
 public:
  // An option just added, to constrain further. Each call adds a condition parse() enforces: a
  // command line that breaks it is an error parse() reports. Copies refer to the same option; a
  // handle is valid as long as its CommandLine. Nothing here throws.
  class Option {
   public:
    // The value must be greater than zero (CLI11's PositiveNumber).
    Option positive();
    // The value must be one of `choices`, compared exactly (CLI11's IsMember).
    Option one_of(std::vector<std::string> choices);
    // The value must lie in [min, max] (CLI11's Range); --help names the overload's type (INT or
    // FLOAT).
    Option range(int min, int max);
    Option range(double min, double max);
    // parse() fails unless the command line gives this option.
    Option required();

   private:
    friend class CommandLine;
    explicit Option(CLI::Option* option) : option_(option) {}
    CLI::Option* option_;
  };

  // A command line whose --help starts with `description`; -h and --help are already there.
  explicit CommandLine(const std::string& description);
  ~CommandLine();

  // Adds an option that parse() stores in `variable`, which keeps its value when the option is not
  // given. A `name` starting with "-" is named ("--port"); otherwise the option is positional. A
  // vector collects every value given (a named one may be repeated) and replaces what it held.
  // `help` describes the option in --help. Throws a CLI::ConstructionError (a std::exception) if
  // `name` is malformed or already taken: a mistake in the program, not in its command line.
  Option add_option(const std::string& name, int& variable, const std::string& help);
  Option add_option(const std::string& name, std::size_t& variable, const std::string& help);
  Option add_option(const std::string& name, std::uint16_t& variable, const std::string& help);
  Option add_option(const std::string& name, double& variable, const std::string& help);
  Option add_option(const std::string& name, std::optional<double>& variable, const std::string& help);
  Option add_option(const std::string& name, std::string& variable, const std::string& help);
  Option add_option(const std::string& name, std::vector<std::string>& variable, const std::string& help);

  // Adds a flag ("--tcp") that parse() sets `variable` to true for; it stays as it was otherwise.
  // Throws as add_option does.
  void add_flag(const std::string& name, bool& variable, const std::string& help);

  // Parses the program's arguments into the bound variables. Returns nothing when the program
  // should go on, and the status main should return now after --help (0, help printed on stdout)
  // or an error in the command line (non-zero, message and a hint on stderr): those are reported,
  // never thrown. Call it once, after every option has been added:
  //   if (auto status = command_line.parse(argc, argv)) return *status;
  std::optional<int> parse(int argc, char** argv);

 private:
  std::unique_ptr<CLI::App> app_;
};
