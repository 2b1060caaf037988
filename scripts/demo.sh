#!/bin/sh
# The main job: installs what is missing, builds, and runs the flagship example.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh
[ -f build/build.ninja ] || meson setup build
ninja -C build examples/hello_fibers
exec build/examples/hello_fibers "$@"
