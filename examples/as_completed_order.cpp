// The seeds' as_completed program (002), "方式3" of `async def main():`:
// `for coro in asyncio.as_completed([fetch(url) for url in urls]):` ... `print(f"Got: {result}")`.
// Three fetches start together and their results come back in the order they finish, not the order
// they were given. In the seed every fetch sleeps 1 s, so both orders coincide; here fetch n takes
// 3, 1 and 2 s, so the results come as 2, 3, 1, after 3 s in all (the seed does not time itself;
// this prints the time as the other seed programs do).
//
// spindle starts the fetches in the order given. asyncio's as_completed (up to 3.12 at least) puts
// its input through a set first, so there the "Fetching" lines may come in any order.
#include <spindle/spindle.hpp>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

// The seed's fetch: a simulated network request.
std::string fetch(const std::string& url, double delay) {
  std::printf("Fetching %s\n", url.c_str());
  spindle::sleep(seconds(delay));
  return "Data from " + url;
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"as_completed: three fetches (3 s, 1 s, 2 s) reported in the order they finish (3 s in "
                           "all)."};
  add_clock_options(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;

  Loop loop({.virtual_clock = virtual_clock});
  loop.run_until_complete([] {
    start = now();
    const std::vector<std::pair<std::string, double>> urls{
        {"http://example.com/1", 3}, {"http://example.com/2", 1}, {"http://example.com/3", 2}};
    std::vector<Task<std::string>> fetches;
    for (const auto& [url, delay] : urls) fetches.push_back(create_task([url, delay] { return fetch(url, delay); }));

    auto completed = as_completed(fetches);
    while (completed.remaining() > 0) {
      std::string result = completed.next().result();  // result = await coro
      std::printf("Got: %s\n", result.c_str());
    }
    std::printf("use %.3f time\n", elapsed());
  });
}
