"""Peer for the DNS benchmark: Python's asyncio loop.getaddrinfo, the same workload as
tests/bench/dns_bench.cpp: 10k distinct names (AF_INET) against DNS_SERVER, 100 lookups in flight
(100 worker tasks), after 100 untimed warm-up lookups; every answer is checked.

loop.getaddrinfo runs glibc's getaddrinfo in the loop's default executor. glibc reads servers only
from /etc/resolv.conf (port 53), so each executor thread points its own resolver state (_res) at
DNS_SERVER after res_init(), through ctypes, as the C peer does. The executor keeps asyncio's
default size, min(32, cpus + 4).

usage: dns_peer.py [--scale F] [--workload resolve]
"""
import argparse
import asyncio
import concurrent.futures
import ctypes
import os
import resource
import socket
import struct
import sys
import time

IN_FLIGHT = 100
# struct __res_state on x86-64 glibc: int retrans, retry; unsigned long options; int nscount;
# struct sockaddr_in nsaddr_list[3] (checked against offsetof() when this peer was written).
NSCOUNT_OFFSET, NSADDR_OFFSET = 16, 20


def point_resolver_at(port: int) -> None:
    libc = ctypes.CDLL("libc.so.6")
    libc.__res_init()
    libc.__res_state.restype = ctypes.c_void_p
    state = libc.__res_state()
    ctypes.c_int.from_address(state + NSCOUNT_OFFSET).value = 1
    address = struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + socket.inet_aton("127.0.0.1") + bytes(8)
    ctypes.memmove(state + NSADDR_OFFSET, address, len(address))


def cpu_seconds() -> float:
    """User + system CPU of the whole process (the executor's threads included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def resolve_all(prefix: str, count: int) -> None:
    loop = asyncio.get_running_loop()
    names = iter(range(count))

    async def worker() -> None:
        for i in names:
            found = await loop.getaddrinfo(f"{prefix}{i}.bench.test", 80, family=socket.AF_INET,
                                           type=socket.SOCK_STREAM)
            if [entry[4][0] for entry in found] != ["10.1.2.3"]:
                raise RuntimeError(f"wrong answer for {prefix}{i}.bench.test: {found}")

    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))


async def main(count: int, port: int) -> None:
    workers = min(32, (os.cpu_count() or 1) + 4)
    asyncio.get_running_loop().set_default_executor(
        concurrent.futures.ThreadPoolExecutor(max_workers=workers, initializer=point_resolver_at, initargs=(port,)))
    await resolve_all("warm", 100)
    start, cpu_start = time.perf_counter(), cpu_seconds()
    await resolve_all("n", count)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    print(f"metric=resolve_total value={seconds * 1e3:.3f} unit=ms", flush=True)
    print(f"metric=resolve_per_lookup value={seconds * 1e6 / count:.3f} unit=us", flush=True)
    print(f"metric=resolve_cpu_per_lookup value={cpu * 1e6 / count:.3f} unit=us", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--workload", choices=["resolve"], default="resolve")
    arguments = parser.parse_args()
    port = os.environ.get("DNS_SERVER_PORT")
    if port is None:
        sys.exit("DNS_SERVER_PORT is not set: run under with_dnsmasq")
    asyncio.run(main(max(1, int(10_000 * arguments.scale)), int(port)))
