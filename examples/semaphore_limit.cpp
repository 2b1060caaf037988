// The two Semaphore programs of seed 002, which seed 004 repeats with an HTTP server behind it:
//
// - `async def semaphore_demo():` ten tasks of 1 s each under Semaphore(3) run three at a time, so
//   they take 4 s.
// - The concurrent HTTP client (`async def fetch_all(urls: List[str], concurrency: int = 10)`):
//   fetches four URLs with at most three requests in flight and prints each result, or its error,
//   in URL order. Real requests belong to the networking part of spindle; here each fetch is a sleep
//   with a canned response (one site refuses the connection, to show the error branch). Each fetch
//   also prints when it starts and ends, with how many are in flight: never more than three, and the
//   fourth starts only when one of them ends. It takes 1.5 s: more than the 1.2 s of the slowest
//   site, which an unlimited client would take, and far less than the 3.5 s of one after another.
#include <spindle/spindle.hpp>

#include <cstddef>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "command_line.hpp"
#include "seed_support.hpp"

using namespace spindle;

namespace {

void semaphore_demo() {
  start = now();
  Semaphore sem(3);
  auto limited_task = [&sem](int n) {
    std::lock_guard permit(sem);  // `async with sem:`
    std::printf("Task %d running\n", n);
    spindle::sleep(seconds(1));
    std::printf("Task %d done\n", n);
  };
  std::vector<Task<void>> tasks;
  for (int n = 0; n < 10; ++n) tasks.push_back(create_task([&limited_task, n] { limited_task(n); }));
  gather(tasks);
  std::printf("use %.3f time\n", elapsed());
}

// What the simulated server answers for each URL, and how long it takes.
struct CannedResponse {
  std::string url;
  double seconds;
  int status;         // 0: the connection fails after `seconds`
  std::size_t length;
};

const std::vector<CannedResponse> canned_responses = {
    {"https://www.google.com", 0.8, 200, 17000},
    {"https://www.github.com", 1.2, 200, 290000},
    {"https://www.python.org", 0.5, 200, 50000},
    {"https://www.stackoverflow.com", 1.0, 0, 0},
};

// The seed's result dict: {url, status, length} or {url, error}.
struct FetchResult {
  std::string url;
  int status = 0;
  std::size_t length = 0;
  std::string error;  // empty on success
};

int in_flight = 0;

// Counts a request in flight for its scope and reports its start and end.
class InFlight {
 public:
  explicit InFlight(const std::string& url) : url_(url) {
    ++in_flight;
    std::printf("%.3f GET %s (%d in flight)\n", elapsed(), url_.c_str(), in_flight);
  }
  ~InFlight() {
    --in_flight;
    std::printf("%.3f end %s (%d in flight)\n", elapsed(), url_.c_str(), in_flight);
  }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  std::string url_;
};

CannedResponse simulated_get(const std::string& url) {
  for (const auto& response : canned_responses) {
    if (response.url != url) continue;
    InFlight request(url);
    spindle::sleep(seconds(response.seconds));
    if (response.status == 0) {
      throw std::runtime_error("Cannot connect to host " + url.substr(url.find("//") + 2) + ":443");
    }
    return response;
  }
  throw std::invalid_argument("no canned response for " + url);
}

FetchResult fetch_url(const std::string& url) {
  try {
    CannedResponse response = simulated_get(url);
    return {url, response.status, response.length, {}};
  } catch (const std::exception& error) {
    return {url, 0, 0, error.what()};
  }
}

std::vector<FetchResult> fetch_all(const std::vector<std::string>& urls, std::ptrdiff_t concurrency = 10) {
  Semaphore semaphore(concurrency);
  std::vector<Task<FetchResult>> tasks;
  for (const auto& url : urls) {
    tasks.push_back(create_task([&semaphore, url] {
      std::lock_guard permit(semaphore);
      return fetch_url(url);
    }));
  }
  return gather(tasks);
}

void http_client() {
  start = now();
  std::vector<std::string> urls = {
      "https://www.google.com",
      "https://www.github.com",
      "https://www.python.org",
      "https://www.stackoverflow.com",
  };
  for (const auto& result : fetch_all(urls, 3)) {
    if (!result.error.empty()) {
      std::printf("❌ %s: %s\n", result.url.c_str(), result.error.c_str());
    } else {
      std::printf("✓ %s: %d (%zu bytes)\n", result.url.c_str(), result.status, result.length);
    }
  }
  std::printf("use %.3f time\n", elapsed());
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"A Semaphore limiting concurrency: ten 1 s tasks three at a time (4 s), then a simulated "
                           "HTTP client with at most three requests in flight (1.5 s)."};
  std::string mode = "both";
  command_line.add_option("--mode", mode, "demo (the ten tasks), client (the HTTP client), or both")
      .one_of({"demo", "client", "both"});
  add_clock_options(command_line);
  if (auto status = command_line.parse(argc, argv)) return *status;

  Loop loop({.virtual_clock = virtual_clock});
  if (mode != "client") loop.run_until_complete(semaphore_demo);
  if (mode == "both") std::printf("\n");
  if (mode != "demo") loop.run_until_complete(http_client);
}
