// A concurrent fetcher made of blocking libcurl: N fibers on one thread each call the ordinary
// blocking curl_easy_perform, unchanged, and the libc hooks (spindle_hooks, linked first) turn its
// waits into fiber parks, so the transfers overlap. Prints failures, the wall time, and whether the
// transfers overlapped (the wall time against the sum of their own durations).
//
//   patched_curl --count 20 http://127.0.0.1:8080/   (default URL: $SPINDLE_TEST_HTTP)
#include <spindle/spindle.hpp>
#include <spindle/io/hooks.hpp>

#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "command_line.hpp"

namespace {

size_t count_bytes(char*, size_t size, size_t items, void* total) {
  *static_cast<size_t*>(total) += size * items;
  return size * items;
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"Fetch URLs concurrently with blocking curl_easy_perform calls, one fiber each, one thread"};
  std::vector<std::string> urls;
  int count = 1;
  command_line.add_option("urls", urls, "URLs to fetch (default: $SPINDLE_TEST_HTTP)");
  command_line.add_option("--count", count, "fetch every URL this many times, all at once").range(1, 10000);
  if (auto status = command_line.parse(argc, argv)) return *status;
  if (urls.empty()) {
    if (const char* from_env = std::getenv("SPINDLE_TEST_HTTP")) urls.push_back(from_env);
  }
  if (urls.empty()) {
    std::fprintf(stderr, "patched_curl: give at least one URL\n");
    return 2;
  }

  curl_global_init(CURL_GLOBAL_DEFAULT);
  int fetched = 0;
  int total = 0;
  double busy = 0;  // the fetches' own durations, added up: the wall time if they ran one by one
  auto start = std::chrono::steady_clock::now();
  {
    spindle::Scheduler scheduler;
    scheduler.run([&] {
      std::vector<spindle::JoinHandle<void>> fetches;
      for (const std::string& url : urls) {
        for (int i = 0; i < count; ++i, ++total) {
          fetches.push_back(spindle::spawn([&url, &fetched, &busy] {
            auto began = std::chrono::steady_clock::now();
            CURL* easy = curl_easy_init();
            size_t bytes = 0;
            curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
            curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, count_bytes);
            curl_easy_setopt(easy, CURLOPT_WRITEDATA, &bytes);
            curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
            CURLcode code = curl_easy_perform(easy);  // blocking, as far as libcurl knows
            long status = 0;
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
            curl_easy_cleanup(easy);
            busy += std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
            if (code == CURLE_OK && status == 200) {
              ++fetched;
            } else {
              std::fprintf(stderr, "patched_curl: %s: %s (HTTP %ld)\n", url.c_str(), curl_easy_strerror(code), status);
            }
            (void)bytes;
          }));
        }
      }
      for (auto& one : fetches) one.join();
    });
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  curl_global_cleanup();
  std::printf("fetched %d of %d in %.2f s with blocking curl_easy_perform, one fiber each, one thread\n", fetched,
              total, seconds);
  std::printf("one after another they would take %.2f s; overlapped: %s\n", busy,
              total > 1 && seconds < busy / 2 ? "yes" : "no");
  return fetched == total ? 0 : 1;
}
