#!/bin/sh
# Runs a test binary beside a real server started on loopback for it, then stops the server:
#   with_server.sh postgres|redis|http -- COMMAND...
# The server's address reaches the test in an environment variable:
#   postgres: SPINDLE_TEST_PG    a libpq conninfo (private cluster, Unix socket in a temp dir)
#   redis:    SPINDLE_TEST_REDIS 127.0.0.1:PORT
#   http:     SPINDLE_TEST_HTTP  http://127.0.0.1:PORT/ (every response takes 200 ms)
# A server that cannot start fails the test with the server's own log.
set -eu
kind=$1
shift
[ "$1" = "--" ] && shift
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/spindle-server.XXXXXX)
chmod 755 "$dir"
server_pid=""

fail() {
  echo "with_server: $kind could not start: $1" >&2
  for log in "$dir"/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -20 "$log" >&2; }; done
  exit 1
}

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to 10 s for a TCP port on 127.0.0.1 to accept connections.
wait_for_port() {
  /usr/bin/python3 - "$1" <<'PY' || fail "nothing listens on 127.0.0.1:$1 after 10 s"
import socket, sys, time
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(1)
PY
}

case $kind in
  postgres)
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -x "$bin/initdb" ] || fail "no PostgreSQL server binaries (Debian package postgresql)"
    as_owner=""
    if [ "$(id -u)" -eq 0 ]; then  # the server refuses to run as root
      chown postgres "$dir"
      as_owner="runuser -u postgres --"
    fi
    $as_owner "$bin/initdb" -D "$dir/data" -A trust -U spindle --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
      fail "initdb failed"
    $as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-k $dir -c listen_addresses='' -c max_connections=200 -c fsync=off -c synchronous_commit=off" \
      start >"$dir/pg_ctl.log" 2>&1 || fail "pg_ctl start failed"
    stop() { $as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; }
    export SPINDLE_TEST_PG="host=$dir user=spindle dbname=postgres"
    ;;
  redis)
    port=$(free_port)
    redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --daemonize no \
      >"$dir/redis.log" 2>&1 &
    server_pid=$!
    wait_for_port "$port"
    stop() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
    export SPINDLE_TEST_REDIS="127.0.0.1:$port"
    ;;
  http)
    port=$(free_port)
    /usr/bin/python3 "$here/slow_http_server.py" "$port" >"$dir/http.log" 2>&1 &
    server_pid=$!
    wait_for_port "$port"
    stop() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
    export SPINDLE_TEST_HTTP="http://127.0.0.1:$port/"
    ;;
  *)
    echo "with_server: unknown server '$kind' (postgres, redis, http)" >&2
    exit 2
    ;;
esac

cleanup() {
  stop
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM
"$@"
