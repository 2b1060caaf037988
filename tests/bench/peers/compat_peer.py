#!/usr/bin/python3
"""compat_peer: Python asyncio / uvloop peer for spindle's compat benchmarks (compat_bench.cpp).

Each workload does exactly what the spindle program does, step for step, and prints the same
`metric=NAME value=NUMBER unit=UNIT` lines so scripts/bench_report.py can pair them up. The timed
part is inside the main coroutine (the loop is already running), as in spindle, where it is inside
the main task of a running Loop.

  gather  N = 100k tasks, each `await asyncio.sleep(0)` once then returns its index; the main task
          creates them all with create_task, then `await asyncio.gather(*tasks)` and checks the
          results come back in order. Timed: from the first create_task to gather's return. Two
          rounds on the same loop: the first (cold: the process's memory is not yet grown to hold
          100k tasks at once) gives gather_cold_per_task; the second gives gather_per_task (ns per
          task) and gather_total (ms).
  queue   One producer task puts the ints 0..N-1 (N = 1M) into an asyncio.Queue(maxsize=1024), one
          consumer task gets N items and checks they arrive in order; the main task gathers both.
          Timed: from creating the two tasks to gather's return. queue_item (ns per item)
  lock    Two tasks share one asyncio.Lock and a counter. Each does N = 500k rounds of
          {acquire; counter += 1 and note itself as the last holder; await asyncio.sleep(0);
          release}. The sleep(0) while holding the lock lets the other task run and park in
          acquire, so every release hands the lock to the other task: 2N acquisitions, strictly
          alternating (checked: 2N - 1 changes of holder). Timed: from creating the two tasks to
          gather's return. lock_handoff (ns per acquisition)

usage: compat_peer.py --loop asyncio|uvloop [--workload gather|queue|lock|all] [--scale F]
"""
import argparse
import asyncio
import sys
import time


def metric(name: str, value: float, unit: str) -> None:
    print(f"metric={name} value={value:.3f} unit={unit}", flush=True)


def scaled(count: int, scale: float) -> int:
    return max(1, int(count * scale))


async def gather_round(count: int) -> int:
    """One gather of `count` tasks; returns the nanoseconds it took."""

    async def child(index: int) -> int:
        await asyncio.sleep(0)
        return index

    start = time.perf_counter_ns()
    tasks = [asyncio.create_task(child(i)) for i in range(count)]
    results = await asyncio.gather(*tasks)
    elapsed = time.perf_counter_ns() - start
    if results != list(range(count)):
        raise SystemExit("gather: results out of order")
    return elapsed


async def gather_workload(scale: float) -> None:
    count = scaled(100_000, scale)
    cold = await gather_round(count)
    warm = await gather_round(count)
    metric("gather_cold_per_task", cold / count, "ns")
    metric("gather_per_task", warm / count, "ns")
    metric("gather_total", warm / 1e6, "ms")


async def queue_workload(scale: float) -> None:
    count = scaled(1_000_000, scale)
    queue = asyncio.Queue(maxsize=1024)

    async def producer() -> None:
        for i in range(count):
            await queue.put(i)

    async def consumer() -> None:
        for i in range(count):
            if await queue.get() != i:
                raise SystemExit("queue: items out of order")

    start = time.perf_counter_ns()
    await asyncio.gather(asyncio.create_task(producer()), asyncio.create_task(consumer()))
    elapsed = time.perf_counter_ns() - start
    metric("queue_item", elapsed / count, "ns")


async def lock_workload(scale: float) -> None:
    rounds = scaled(500_000, scale)
    lock = asyncio.Lock()
    state = {"counter": 0, "holder": None, "handoffs": 0}

    async def worker(me: str) -> None:
        for _ in range(rounds):
            await lock.acquire()
            state["counter"] += 1
            if state["holder"] is not None and state["holder"] != me:
                state["handoffs"] += 1
            state["holder"] = me
            await asyncio.sleep(0)
            lock.release()

    start = time.perf_counter_ns()
    await asyncio.gather(asyncio.create_task(worker("a")), asyncio.create_task(worker("b")))
    elapsed = time.perf_counter_ns() - start
    if state["counter"] != 2 * rounds or state["handoffs"] != 2 * rounds - 1:
        raise SystemExit(f"lock: {state['counter']} acquisitions, {state['handoffs']} hand-offs; "
                         f"expected {2 * rounds} strictly alternating")
    metric("lock_handoff", elapsed / (2 * rounds), "ns")


WORKLOADS = {"gather": gather_workload, "queue": queue_workload, "lock": lock_workload}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], required=True)
    parser.add_argument("--workload", choices=[*WORKLOADS, "all"], default="all")
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    if args.loop == "uvloop":
        import uvloop
        loop_factory = uvloop.new_event_loop
    else:
        loop_factory = asyncio.new_event_loop
    for name, workload in WORKLOADS.items():
        if args.workload in (name, "all"):
            # A fresh loop per workload, as spindle uses a fresh Loop per workload.
            with asyncio.Runner(loop_factory=loop_factory) as runner:
                runner.run(workload(args.scale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
