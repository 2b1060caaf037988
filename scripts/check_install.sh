#!/bin/sh
# Installs the build into a staging directory, then compiles and runs a tiny program against the
# installed copy, found only through pkg-config. usage: check_install.sh BUILD_DIR
set -eu
build=$(cd "$1" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

meson install -C "$build" --destdir "$stage" --quiet >/dev/null
pcfile=$(find "$stage" -name spindle.pc | head -1)
[ -n "$pcfile" ] || { echo "install: no spindle.pc installed" >&2; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pcfile")"
export PKG_CONFIG_SYSROOT_DIR="$stage"

cat >"$stage/hello.cpp" <<'CPP'
#include <spindle/spindle.hpp>
#include <cstdio>
int main() {
  spindle::Scheduler scheduler({.virtual_clock = true});
  int sum = scheduler.run([] {
    auto a = spindle::spawn([] { spindle::this_fiber::sleep_for(std::chrono::seconds(2)); return 40; });
    auto b = spindle::spawn([] { spindle::this_fiber::yield(); return 2; });
    return a.join() + b.join();
  });
  std::printf("installed spindle works: %d\n", sum);
  return sum == 42 ? 0 : 1;
}
CPP
# A sanitized library needs a sanitized program; take the flag from the build's own options.
sanitize=$(meson introspect "$build" --buildoptions |
  python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "b_sanitize"))')
extra=""
[ "$sanitize" != "none" ] && extra="-fsanitize=$sanitize"
# shellcheck disable=SC2046,SC2086
c++ -std=c++20 $extra "$stage/hello.cpp" -o "$stage/hello" $(pkg-config --cflags --libs spindle)
libdir=$(dirname "$(find "$stage" -name 'libspindle.so*' | head -1)")
LD_LIBRARY_PATH="$libdir" "$stage/hello"
