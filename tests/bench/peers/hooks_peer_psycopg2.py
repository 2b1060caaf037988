"""Peer of tests/bench/hooks_bench.cpp's libpq select1 workload: 1000 x `SELECT 1` over 50
connections with psycopg2 (Debian python3-psycopg2), one worker per connection, either greenlets
under gevent with psycogreen's wait callback (--mode gevent) or plain threads (--mode threads).
Connects to the libpq conninfo in SPINDLE_TEST_PG (tests/servers/with_server.sh postgres)."""
import argparse
import os
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--mode", choices=["gevent", "threads"], default="gevent")
parser.add_argument("--scale", type=float, default=1.0)
args = parser.parse_args()

if args.mode == "gevent":
    from gevent import monkey
    monkey.patch_all()
    import gevent
    from psycogreen.gevent import patch_psycopg
    patch_psycopg()
else:
    import threading

import psycopg2

conninfo = os.environ.get("SPINDLE_TEST_PG")
if not conninfo:
    sys.exit("SPINDLE_TEST_PG is not set: run through tests/servers/with_server.sh postgres")

connections_wanted = max(1, int(50 * args.scale))
each = max(1, int(1000 * args.scale) // connections_wanted)


def open_connection(into, index):
    into[index] = psycopg2.connect(conninfo)


def run_queries(connection):
    cursor = connection.cursor()
    for _ in range(each):
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    cursor.close()


def in_parallel(target, items):
    if args.mode == "gevent":
        gevent.joinall([gevent.spawn(target, *item) for item in items], raise_error=True)
    else:
        workers = [threading.Thread(target=target, args=item) for item in items]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


connections = [None] * connections_wanted
in_parallel(open_connection, [(connections, i) for i in range(connections_wanted)])
start = time.perf_counter()
in_parallel(run_queries, [(connection,) for connection in connections])
elapsed = time.perf_counter() - start
for connection in connections:
    connection.close()
prefix = "psycopg2_" + args.mode
print(f"metric={prefix}_select1_total value={elapsed * 1e3:.3f} unit=ms")
print(f"metric={prefix}_select1_per_query value={elapsed * 1e6 / (connections_wanted * each):.3f} unit=us")
