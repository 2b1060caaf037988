#!/usr/bin/python3
"""file_peer: asyncio / uvloop peer for spindle's file benchmarks (file_bench.cpp).

asyncio has no file I/O of its own; programs (and aiofiles) run os.pread in the default executor
with loop.run_in_executor. Same file layout (64 MiB, block i filled with 'a' + i % 26), same offset
sequence, same checks as the spindle program.

  pread_pool      one task, one read at a time: file_pread_pool_latency (ns per read)
  pread_pool_par  16 tasks at once: file_pread_pool_par_throughput (reads per second)

usage: file_peer.py --loop asyncio|uvloop [--workload pread_pool|pread_pool_par|all] [--scale F]
"""
import argparse
import asyncio
import os
import sys
import tempfile
import time

FILE_SIZE = 64 << 20
BLOCK = 4096
BLOCKS = FILE_SIZE // BLOCK
PARALLEL = 16
MASK = (1 << 64) - 1


def metric(name, value, unit):
    print(f"metric={name} value={value:.3f} unit={unit}", flush=True)


def offsets(seed):
    state = seed
    while True:
        state = (state * 6364136223846793005 + 1442695040888963407) & MASK
        yield ((state >> 33) % BLOCKS) * BLOCK


def expected_byte(offset):
    return ord('a') + (offset // BLOCK) % 26


def make_file():
    fd, path = tempfile.mkstemp(prefix="spindle-file-peer-")
    per_write = 256  # blocks per write: 1 MiB
    for first in range(0, BLOCKS, per_write):
        os.write(fd, b"".join(bytes([expected_byte((first + i) * BLOCK)]) * BLOCK for i in range(per_write)))
    os.close(fd)
    return path


async def reader(fd, seed, count):
    loop = asyncio.get_running_loop()
    sequence = offsets(seed)
    for _ in range(count):
        offset = next(sequence)
        data = await loop.run_in_executor(None, os.pread, fd, BLOCK, offset)
        if len(data) != BLOCK or data[0] != expected_byte(offset):
            sys.exit(f"wrong data at offset {offset}")


async def pread_pool(fd, scale):
    count = max(1, int(100_000 * scale))
    start = time.perf_counter_ns()
    await reader(fd, 1, count)
    metric("file_pread_pool_latency", (time.perf_counter_ns() - start) / count, "ns")


async def pread_pool_par(fd, scale):
    each = max(1, int(200_000 * scale)) // PARALLEL
    start = time.perf_counter_ns()
    await asyncio.gather(*(reader(fd, r + 1, each) for r in range(PARALLEL)))
    seconds = (time.perf_counter_ns() - start) / 1e9
    metric("file_pread_pool_par_throughput", each * PARALLEL / seconds, "ops/s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--workload", default="all")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    if args.loop == "uvloop":
        import uvloop
        uvloop.install()
    workloads = {"pread_pool": pread_pool, "pread_pool_par": pread_pool_par}
    chosen = list(workloads) if args.workload == "all" else [args.workload]
    path = make_file()
    try:
        fd = os.open(path, os.O_RDONLY)
        for name in chosen:
            if name not in workloads:
                sys.exit(f"unknown workload '{name}'")
            asyncio.run(workloads[name](fd, args.scale))
        os.close(fd)
    finally:
        os.unlink(path)


if __name__ == "__main__":
    main()
