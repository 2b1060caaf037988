#!/usr/bin/python3
"""executor_peer: Python peer for spindle's executor benchmarks (executor_bench.cpp).

Each workload does what the spindle program does, step for step, and prints the same
`metric=NAME value=NUMBER unit=UNIT` lines so scripts/bench_report.py can pair them up.

  thread_job   A ThreadPoolExecutor(4) and a trivial function (x + 1). Inside a running asyncio loop:
               N = 5k jobs one at a time, `await loop.run_in_executor(pool, f, i)`
               (thread_job_roundtrip, ns per job); then N = 50k `run_in_executor` futures created at
               once and gathered (thread_job_batch, ns per job).
  process_job  A ProcessPoolExecutor(2), the same function, from the main thread: N = 2k jobs one at
               a time, `pool.submit(f, i).result()` (process_job_roundtrip), then N = 20k submitted at
               once and waited for in order (process_job_batch). One job per worker first, so worker
               start-up is not counted.
  speedup      8 CPU-bound jobs (the same multiply-xorshift chain, 1/100 of spindle's 40M steps, since
               Python takes ~100 times longer per step) on a ProcessPoolExecutor of 1 worker, then
               of 2: speedup_1_worker, speedup_2_workers (ms) and speedup_factor.

usage: executor_peer.py [--workload thread_job|process_job|speedup|all] [--scale F]
"""
import argparse
import asyncio
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

MASK = (1 << 64) - 1


def metric(name: str, value: float, unit: str) -> None:
    print(f"metric={name} value={value:.3f} unit={unit}", flush=True)


def scaled(count: int, scale: float) -> int:
    return max(1, int(count * scale))


def increment(x: int) -> int:
    return x + 1


def churn(steps: int) -> int:
    x = 0x9E3779B97F4A7C15
    for i in range(steps):
        x = (x * 6364136223846793005 + i) & MASK
        x ^= x >> 29
    return x


async def thread_job_async(scale: float) -> None:
    roundtrips = scaled(5_000, scale)
    batch = scaled(50_000, scale)
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(4) as pool:
        start = time.perf_counter_ns()
        for i in range(roundtrips):
            if await loop.run_in_executor(pool, increment, i) != i + 1:
                raise SystemExit("thread_job: wrong result")
        metric("thread_job_roundtrip", (time.perf_counter_ns() - start) / roundtrips, "ns")
        start = time.perf_counter_ns()
        jobs = [loop.run_in_executor(pool, increment, i) for i in range(batch)]
        values = await asyncio.gather(*jobs)
        metric("thread_job_batch", (time.perf_counter_ns() - start) / batch, "ns")
        if values != [i + 1 for i in range(batch)]:
            raise SystemExit("thread_job: wrong batch result")


def thread_job(scale: float) -> None:
    asyncio.run(thread_job_async(scale))


def process_job(scale: float) -> None:
    roundtrips = scaled(2_000, scale)
    batch = scaled(20_000, scale)
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(increment, [0, 1]))
        start = time.perf_counter_ns()
        for i in range(roundtrips):
            if pool.submit(increment, i).result() != i + 1:
                raise SystemExit("process_job: wrong result")
        metric("process_job_roundtrip", (time.perf_counter_ns() - start) / roundtrips, "ns")
        start = time.perf_counter_ns()
        jobs = [pool.submit(increment, i) for i in range(batch)]
        for i, job in enumerate(jobs):
            if job.result() != i + 1:
                raise SystemExit("process_job: wrong batch result")
        metric("process_job_batch", (time.perf_counter_ns() - start) / batch, "ns")


def cpu_set(workers: int, steps: int) -> float:
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(churn, [1] * workers))
        start = time.perf_counter_ns()
        results = list(pool.map(churn, [steps] * 8))
        elapsed = (time.perf_counter_ns() - start) / 1e6
    if len(set(results)) != 1:
        raise SystemExit("speedup: the jobs disagree")
    return elapsed


def speedup(scale: float) -> None:
    steps = scaled(400_000, scale)
    one = cpu_set(1, steps)
    two = cpu_set(2, steps)
    metric("speedup_1_worker", one, "ms")
    metric("speedup_2_workers", two, "ms")
    metric("speedup_factor", one / two, "x")


WORKLOADS = {"thread_job": thread_job, "process_job": process_job, "speedup": speedup}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=[*WORKLOADS, "all"], default="all")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    for name, workload in WORKLOADS.items():
        if args.workload in (name, "all"):
            workload(args.scale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
