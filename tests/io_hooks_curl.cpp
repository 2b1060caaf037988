// Unmodified libcurl, easy interface: 100 fibers each call the blocking curl_easy_perform against a
// loopback HTTP server whose every response takes 200 ms; the transfers overlap on one thread.
#include "hooks_support.hpp"
#include "server_env.hpp"

#include <curl/curl.h>

#include <string>
#include <vector>

using namespace spindle;

namespace {

size_t collect(char* data, size_t size, size_t count, void* into) {
  static_cast<std::string*>(into)->append(data, size * count);
  return size * count;
}

// GETs `url` with a fresh easy handle; returns the body.
std::string fetch(const std::string& url) {
  CURL* easy = curl_easy_init();
  REQUIRE(easy != nullptr);
  std::string body;
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  CURLcode code = curl_easy_perform(easy);
  curl_easy_cleanup(easy);
  INFO(curl_easy_strerror(code));
  CHECK(code == CURLE_OK);
  return body;
}

// `count` fibers fetch `url` at once; returns the wall time.
double fetch_batch(const std::string& url, int count) {
  int fetched = 0;
  auto start = std::chrono::steady_clock::now();
  Scheduler scheduler;
  scheduler.run([&] {
    std::vector<JoinHandle<void>> fetches;
    for (int i = 0; i < count; ++i) {
      fetches.push_back(spawn([&] {
        if (fetch(url) == "hello from the slow server\n") ++fetched;
      }));
    }
    for (auto& one : fetches) one.join();
  });
  CHECK(fetched == count);
  return test::wall_seconds_since(start);
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

}  // namespace

TEST_CASE("100 blocking curl_easy_perform calls overlap on one thread") {
  CurlGlobal curl;
  std::string url = test::server_address("SPINDLE_TEST_HTTP");
  double seconds = fetch_batch(url, 100);
  INFO("100 fetches of a 200 ms response took " << seconds << " s (sequential: 20 s)");
  CHECK(seconds < 5.0);
}
