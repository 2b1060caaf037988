#!/bin/sh
# Installs the Debian packages spindle builds, tests and benchmarks with, skipping those already
# present. Safe to run again. Needs root (it calls apt-get) unless everything is installed.
set -eu

packages="build-essential meson ninja-build pkg-config git
  libboost-context-dev libboost-fiber-dev libc-ares-dev libssl-dev openssl liburing-dev catch2 libcli11-dev
  nlohmann-json3-dev
  golang-go python3 python3-uvloop python3-gevent python3-aiohttp
  dnsmasq
  libpq-dev postgresql libhiredis-dev redis-server libcurl4-openssl-dev
  python3-psycopg2 python3-psycogreen golang-github-lib-pq-dev"

missing=""
for package in $packages; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $package"
  fi
done

if [ -n "$missing" ]; then
  echo "setup: installing:$missing"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: these packages are missing and installing them needs root:$missing" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing
else
  echo "setup: all packages present"
fi
