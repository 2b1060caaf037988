// The seeds' signal-driven stop (000): a long-running service stops cleanly on SIGINT or SIGTERM.
//
// spindle::run does what the seed wires up by hand with add_signal_handler(..., loop.stop): the
// first Ctrl-C (or SIGTERM) cancels the main task, main's cleanup runs, every other task unwinds,
// and the process exits with status 130 (143 for SIGTERM). A second Ctrl-C during a cleanup that
// hangs kills the program at once.
#include <spindle/spindle.hpp>

#include <csignal>
#include <cstdio>
#include <optional>
#include <string>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

void service() {
  for (int tick = 1;; ++tick) {
    spindle::sleep(seconds(1));
    std::printf("tick %d\n", tick);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"A service that ticks once a second until SIGINT or SIGTERM; then it cleans up and exits "
                           "with status 130 or 143."};
  std::optional<double> interrupt_after;
  std::string signal_name = "SIGINT";
  command_line.add_option("--interrupt-after", interrupt_after, "send this process the signal after this many seconds")
      .positive();
  command_line.add_option("--signal", signal_name, "the signal --interrupt-after sends")
      .one_of({"SIGINT", "SIGTERM"});
  add_clock_options(command_line, "multiply every sleep by this factor");
  if (auto status = command_line.parse(argc, argv)) return *status;

  run([&] {
    std::printf("service running; press Ctrl-C to stop\n");
    std::fflush(stdout);
    if (interrupt_after) {
      int signal_number = signal_name == "SIGTERM" ? SIGTERM : SIGINT;
      Loop::current().call_later(seconds(*interrupt_after), [signal_number] { std::raise(signal_number); });
    }
    auto ticker = create_task(service, "ticker");
    try {
      ticker.result();
    } catch (const CancelledError& stop) {
      std::printf("stopping: %s\n", stop.what());
      ticker.cancel();
      try {
        ticker.result();  // let it unwind before main does
      } catch (const CancelledError&) {
      }
      std::printf("cleanup finished\n");
      std::fflush(stdout);
      throw;  // run() reports the interruption and exits with 128 + signal
    }
  }, SchedulerOptions{.virtual_clock = virtual_clock});
}
