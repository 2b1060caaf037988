// Blocking libpq, made concurrent by the libc hooks: N fibers on one thread each open their own
// connection with PQconnectdb and run `SELECT pg_sleep(S)` with PQexec, the ordinary blocking
// calls, unchanged. Run once with the hooks patched in and once with them off, printing both wall
// times. Linked with spindle_hooks (which must come first; meson's spindle_hooks_dep does that).
//
//   patched_pg --conninfo "host=/tmp/pg dbname=postgres" --count 20 --seconds 0.2
#include <spindle/spindle.hpp>
#include <spindle/io/hooks.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "command_line.hpp"

namespace {

// Runs the batch; returns its wall time in seconds, or -1 if a query failed (after saying why).
double run_batch(const std::string& conninfo, int count, double seconds) {
  const std::string sql = "SELECT pg_sleep(" + std::to_string(seconds) + ")";
  bool failed = false;
  auto start = std::chrono::steady_clock::now();
  spindle::Scheduler scheduler;
  scheduler.run([&] {
    std::vector<spindle::JoinHandle<void>> queries;
    for (int i = 0; i < count; ++i) {
      queries.push_back(spindle::spawn([&] {
        PGconn* connection = PQconnectdb(conninfo.c_str());
        PGresult* result = PQstatus(connection) == CONNECTION_OK ? PQexec(connection, sql.c_str()) : nullptr;
        if (PQresultStatus(result) != PGRES_TUPLES_OK) {
          if (!failed) std::fprintf(stderr, "patched_pg: %s", PQerrorMessage(connection));
          failed = true;
        }
        PQclear(result);
        PQfinish(connection);
      }));
    }
    for (auto& query : queries) query.join();
  });
  return failed ? -1 : std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine command_line{"N concurrent blocking libpq queries on one thread, with and without the libc hooks"};
  const char* from_env = std::getenv("SPINDLE_TEST_PG");
  std::string conninfo = from_env != nullptr ? from_env : "dbname=postgres";
  int count = 20;
  double seconds = 0.2;
  command_line.add_option("--conninfo", conninfo, "libpq connection string (default: $SPINDLE_TEST_PG)");
  command_line.add_option("--count", count, "fibers, one connection and one query each").range(1, 10000);
  command_line.add_option("--seconds", seconds, "pg_sleep of each query").range(0.0, 60.0);
  if (auto status = command_line.parse(argc, argv)) return *status;

  std::printf("%d blocking libpq queries (pg_sleep(%.2f) each), one fiber and one connection each, one thread\n",
              count, seconds);
  spindle::patch_all();
  double patched = run_batch(conninfo, count, seconds);
  spindle::unpatch();
  double unpatched = patched < 0 ? -1 : run_batch(conninfo, count, seconds);
  spindle::patch_all();
  if (patched < 0 || unpatched < 0) return 1;
  std::printf("patched:   %.2f s\nunpatched: %.2f s (sequential would be %.2f s)\n", patched, unpatched,
              count * seconds);
  std::printf("overlapped: %s\n", patched < unpatched / 2 ? "yes" : "no");
  return 0;
}
