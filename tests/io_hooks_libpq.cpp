// Unmodified libpq, used through its ordinary blocking API (PQconnectdb, PQexec) from fibers,
// against a real PostgreSQL that tests/servers/with_server.sh starts: the queries overlap on one
// thread. With patching off they run one after another.
#include "hooks_support.hpp"
#include "server_env.hpp"

#include <libpq-fe.h>

#include <string>
#include <thread>
#include <vector>

using namespace spindle;

namespace {

// `count` fibers, each with its own connection running `SELECT pg_sleep(0.2)`; returns the wall time.
double sleep_batch(const std::string& conninfo, int count) {
  const auto thread = std::this_thread::get_id();
  int succeeded = 0;
  auto start = std::chrono::steady_clock::now();
  Scheduler scheduler;
  scheduler.run([&] {
    std::vector<JoinHandle<void>> queries;
    for (int i = 0; i < count; ++i) {
      queries.push_back(spawn([&] {
        PGconn* connection = PQconnectdb(conninfo.c_str());
        INFO(PQerrorMessage(connection));
        REQUIRE(PQstatus(connection) == CONNECTION_OK);
        PGresult* result = PQexec(connection, "SELECT pg_sleep(0.2)");
        INFO(PQerrorMessage(connection));
        CHECK(PQresultStatus(result) == PGRES_TUPLES_OK);
        PQclear(result);
        PQfinish(connection);
        CHECK(std::this_thread::get_id() == thread);
        ++succeeded;
      }));
    }
    for (auto& query : queries) query.join();
  });
  CHECK(succeeded == count);
  return test::wall_seconds_since(start);
}

}  // namespace

TEST_CASE("100 fibers run blocking libpq queries at once on one thread") {
  std::string conninfo = test::server_address("SPINDLE_TEST_PG");
  double seconds = sleep_batch(conninfo, 100);
  INFO("100 x pg_sleep(0.2) took " << seconds << " s (sequential: 20 s)");
  CHECK(seconds < 5.0);
}

TEST_CASE("without the hooks the same libpq queries serialise") {
  std::string conninfo = test::server_address("SPINDLE_TEST_PG");
  double patched = sleep_batch(conninfo, 5);
  unpatch();
  double unpatched = sleep_batch(conninfo, 5);
  patch_all();
  INFO("5 x pg_sleep(0.2): patched " << patched << " s, unpatched " << unpatched << " s");
  CHECK(unpatched >= 1.0);
  CHECK(patched < 0.8);  // five connections and one 0.2 s round, on a loaded machine
}
