// libc-hook benchmarks (docs/benchmarks.md, "libc hooks"). Workloads:
//
//   passthrough  read(2) of 64 bytes from a page-cached file outside any fiber: through the hook
//                (which passes it straight to libc) and through libc's own read, 200 interleaved
//                rounds of 16k reads, best round of each. The hook's cost on the path every non-fiber call takes.
//   libpq        with SPINDLE_TEST_PG (tests/servers/with_server.sh postgres):
//                  select1      1000 x `SELECT 1` over 50 connections, one fiber per connection,
//                               all on one thread, through the ordinary blocking PQexec
//                  pg_sleep     100 fibers, each `SELECT pg_sleep(0.2)` on its own connection
//                               (connections opened first), and the same with 100 threads
//   curl         with SPINDLE_TEST_HTTP (with_server.sh http, 200 ms per response): 100 fibers each
//                call the blocking curl_easy_perform; and 100 threads doing the same
//
// Peers in the same run: tests/bench/peers/hooks_peer_psycopg2.py (psycopg2 under gevent with
// psycogreen) and tests/bench/peers/hooks_peer_pq.go (Go database/sql with lib/pq), same select1.
#include "bench_harness.hpp"

#include <spindle/spindle.hpp>
#include <spindle/io/hooks.hpp>

#include <curl/curl.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace spindle;
using bench::metric;
using bench::scaled;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string required_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) {
    throw std::runtime_error(std::string(name) + " is not set: run through tests/servers/with_server.sh");
  }
  return value;
}

// ---------------------------------------------------------------------------------------------

void passthrough() {
  char path[] = "/tmp/spindle-hooks-bench-XXXXXX";
  int fd = ::mkstemp(path);
  std::vector<char> data(1 << 20, 'r');
  if (fd < 0 || ::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) {
    throw std::runtime_error("cannot write the benchmark file");
  }
  ::unlink(path);
  // libc's own read, found in libc itself (RTLD_NEXT from here would find the hook).
  void* libc = ::dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
  auto libc_read = reinterpret_cast<ssize_t (*)(int, void*, size_t)>(::dlsym(libc, "read"));
  auto hooked_read = &::read;
  if (libc_read == nullptr || reinterpret_cast<void*>(libc_read) == reinterpret_cast<void*>(hooked_read)) {
    throw std::runtime_error("libc's read and the hooked read are not told apart");
  }
  // Short interleaved rounds, best of each: on a loaded machine a round that ran undisturbed is the
  // one that measures the call, and both calls get the same chances at one.
  const long reads = 16'000;  // within the file: every read copies 64 bytes
  const int rounds = bench::scale < 1.0 ? 2 : 200;
  char buffer[64];
  auto round = [&](ssize_t (*call)(int, void*, size_t)) {
    ::lseek(fd, 0, SEEK_SET);
    auto start = Clock::now();
    for (long i = 0; i < reads; ++i) {
      if (call(fd, buffer, sizeof buffer) != sizeof buffer) throw std::runtime_error("short read");
    }
    return bench::nanoseconds_since(start) / static_cast<double>(reads);
  };
  double best_hooked = 1e18;
  double best_libc = 1e18;
  for (int i = 0; i < rounds; ++i) {  // alternate which goes first
    if (i % 2 == 0) best_libc = std::min(best_libc, round(libc_read));
    best_hooked = std::min(best_hooked, round(hooked_read));
    if (i % 2 == 1) best_libc = std::min(best_libc, round(libc_read));
  }
  ::close(fd);
  ::dlclose(libc);
  metric("passthrough_read_libc", best_libc, "ns");
  metric("passthrough_read_hooked", best_hooked, "ns");
  metric("passthrough_overhead", 100.0 * (best_hooked - best_libc) / best_libc, "percent");
}

// ---------------------------------------------------------------------------------------------

PGconn* connect_pg(const std::string& conninfo) {
  PGconn* connection = PQconnectdb(conninfo.c_str());
  if (PQstatus(connection) != CONNECTION_OK) {
    throw std::runtime_error(std::string("libpq: ") + PQerrorMessage(connection));
  }
  return connection;
}

void query(PGconn* connection, const char* sql) {
  PGresult* result = PQexec(connection, sql);
  bool ok = PQresultStatus(result) == PGRES_TUPLES_OK;
  PQclear(result);
  if (!ok) throw std::runtime_error(std::string("libpq: ") + PQerrorMessage(connection));
}

// `fibers` fibers on one thread, each with its own connection (opened before the clock starts),
// each running `sql` `each` times. Returns the wall time of the queries.
double fiber_queries(const std::string& conninfo, int fibers, int each, const char* sql) {
  double seconds = 0;
  Scheduler scheduler;
  scheduler.run([&] {
    std::vector<PGconn*> connections;
    std::vector<JoinHandle<void>> opening;
    connections.resize(static_cast<std::size_t>(fibers));
    for (int i = 0; i < fibers; ++i) {
      opening.push_back(spawn([&, i] { connections[static_cast<std::size_t>(i)] = connect_pg(conninfo); }));
    }
    for (auto& one : opening) one.join();
    auto start = Clock::now();
    std::vector<JoinHandle<void>> workers;
    for (PGconn* connection : connections) {
      workers.push_back(spawn([connection, each, sql] {
        for (int i = 0; i < each; ++i) query(connection, sql);
      }));
    }
    for (auto& one : workers) one.join();
    seconds = seconds_since(start);
    for (PGconn* connection : connections) PQfinish(connection);
  });
  return seconds;
}

double thread_queries(const std::string& conninfo, int threads, const char* sql) {
  std::vector<PGconn*> connections;
  for (int i = 0; i < threads; ++i) connections.push_back(connect_pg(conninfo));
  auto start = Clock::now();
  std::vector<std::thread> workers;
  for (PGconn* connection : connections) workers.emplace_back([connection, sql] { query(connection, sql); });
  for (auto& one : workers) one.join();
  double seconds = seconds_since(start);
  for (PGconn* connection : connections) PQfinish(connection);
  return seconds;
}

void libpq() {
  std::string conninfo = required_env("SPINDLE_TEST_PG");
  const int connections = static_cast<int>(scaled(50));
  const int each = static_cast<int>(scaled(1000)) / connections > 0 ? static_cast<int>(scaled(1000)) / connections : 1;
  double select1 = fiber_queries(conninfo, connections, each, "SELECT 1");
  metric("libpq_select1_total", select1 * 1e3, "ms");
  metric("libpq_select1_per_query", select1 * 1e6 / (connections * each), "us");

  const int sleepers = static_cast<int>(scaled(100));
  metric("libpq_pg_sleep_fibers", fiber_queries(conninfo, sleepers, 1, "SELECT pg_sleep(0.2)"), "s");
  metric("libpq_pg_sleep_threads", thread_queries(conninfo, sleepers, "SELECT pg_sleep(0.2)"), "s");
  unpatch();  // five of the same queries from fibers, now blocking the thread one after another
  double serial = fiber_queries(conninfo, 5, 1, "SELECT pg_sleep(0.2)");
  patch_all();
  metric("libpq_pg_sleep_5_unpatched", serial, "s");
}

// ---------------------------------------------------------------------------------------------

size_t discard(char*, size_t size, size_t count, void*) { return size * count; }

void fetch(const std::string& url) {
  CURL* easy = curl_easy_init();
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  CURLcode code = curl_easy_perform(easy);
  curl_easy_cleanup(easy);
  if (code != CURLE_OK) throw std::runtime_error(std::string("libcurl: ") + curl_easy_strerror(code));
}

void curl() {
  std::string url = required_env("SPINDLE_TEST_HTTP");
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const int count = static_cast<int>(scaled(100));
  auto start = Clock::now();
  {
    Scheduler scheduler;
    scheduler.run([&] {
      std::vector<JoinHandle<void>> fetches;
      for (int i = 0; i < count; ++i) fetches.push_back(spawn([&] { fetch(url); }));
      for (auto& one : fetches) one.join();
    });
  }
  metric("curl_easy_fibers", seconds_since(start), "s");
  start = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < count; ++i) threads.emplace_back([&] { fetch(url); });
  for (auto& one : threads) one.join();
  metric("curl_easy_threads", seconds_since(start), "s");
  curl_global_cleanup();
}

constexpr bench::Workload workloads[] = {{"passthrough", passthrough}, {"libpq", libpq}, {"curl", curl}};

}  // namespace

int main(int argc, char** argv) {
  try {
    return bench::run_workloads(argc, argv, "libc hooks", workloads);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "hooks_bench: %s\n", error.what());
    return 1;
  }
}
