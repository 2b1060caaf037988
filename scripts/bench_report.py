#!/usr/bin/env python3
"""Turns one `meson test --benchmark` run into the tables of docs/benchmarks.md.

usage: bench_report.py BUILD_DIR [--doc docs/benchmarks.md]

Reads the log of the last benchmark run (BUILD_DIR/meson-logs/benchmarklog.json, or testlog.json
where meson writes benchmarks there), one JSON object per benchmark, collects the
`metric=NAME value=NUMBER unit=UNIT` lines each printed, and groups benchmarks named
`<runtime>_<workload>` by suite (fibers, compat) and workload. The echo suite's benchmarks are named
`echo_<server>` and print `echo_<server>_<size>_<figure>`; they become one table, a column per server.
For every metric it prints spindle's figure (the io-based echo server's, or the fibers-only
spindle_raw one's where that is all there is), each peer's, and the ratio spindle / peer (below 1
means spindle is smaller: faster, or less memory). The targets that are plain ratios against a peer
(TARGETS) get a verdict, met or missed.
The tables replace the text between the GENERATED markers in the document; everything else is left
alone.
"""
import argparse
import json
import platform
import re
import subprocess
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import NamedTuple

METRIC = re.compile(r"^metric=(\S+) value=([-0-9.eE+]+) unit=(\S+)$", re.MULTILINE)
BEGIN, END = "<!-- BEGIN GENERATED -->", "<!-- END GENERATED -->"
RUNTIME_ORDER = ["spindle", "spindle_raw", "go", "boostfiber", "cares", "glibc", "uvloop", "asyncio", "gevent", "epoll", "uring"]
SUITE_ORDER = ["fibers", "compat", "executor", "echo", "dns", "file", "hooks"]
# Our own runtimes: the first of these a table holds is the one its ratio columns are about.
OWN_RUNTIMES = ["spindle", "spindle_raw"]


class Target(NamedTuple):
    """spindle at least `factor` times faster than `peer` on `metric` (a time: smaller is faster)."""

    suite: str
    workload: str
    metric: str
    peer: str
    factor: float
    what: str
    mine: str = "spindle"


TARGETS = [
    Target("compat", "gather", "gather_per_task", "uvloop", 20, "gather of 100k tasks (warm), per task"),
    Target("compat", "queue", "queue_item", "uvloop", 20, "Queue(maxsize=1024), 1M items, per item"),
    Target("compat", "lock", "lock_handoff", "uvloop", 20, "Lock ping-pong between 2 tasks, per hand-off"),
    # "at most 1.2 times the plain c-ares program's time": c-ares's time / spindle's >= 1/1.2.
    Target("dns", "resolve", "resolve_total", "cares", 1 / 1.2, "10k lookups against dnsmasq, 100 in flight"),
    Target("dns", "resolve", "resolve_total", "glibc", 2, "10k lookups against dnsmasq, 100 in flight"),
    Target("executor", "thread_job", "thread_job_roundtrip", "asyncio", 20,
           "thread pool job, submit to result, one at a time (asyncio run_in_executor)"),
    Target("executor", "thread_job", "thread_job_batch", "asyncio", 20,
           "thread pool job, 50k in flight (asyncio run_in_executor)"),
]
# TCP echo (issue 5): server CPU per message at most 1/1.3 of Go's, 1/3 of gevent's, and within 10%
# of the raw epoll loop (epoll / spindle at least 1/1.1), for the io-based server and the fibers-only one.
# The verdict compares the figures normalised by the raw epoll loop measured beside each server
# (`cpu_vs_epoll`, see tests/bench/echo/run_echo.py) where the run has them.
TARGETS += [Target("echo", "echo", f"{size}_cpu_per_msg", peer, factor, f"echo {size[:-1]} KiB, server CPU per message", mine)
            for mine in OWN_RUNTIMES
            for size in ["1k", "10k", "100k"]
            for peer, factor in [("go", 1.3), ("gevent", 3), ("epoll", 1 / 1.1)]]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        go = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        go = "go not found"
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    # The interpreter the compat peers run on (tests/bench/meson.build), with uvloop if it has it.
    try:
        python = subprocess.run(["/usr/bin/python3", "-c", "import sys; print('Python', sys.version.split()[0])"],
                                capture_output=True, text=True).stdout.strip()
        uvloop = subprocess.run(["/usr/bin/python3", "-c", "import uvloop; print('uvloop', uvloop.__version__)"],
                                capture_output=True, text=True).stdout.strip() or "no uvloop"
        gevent = subprocess.run(["/usr/bin/python3", "-c", "import gevent; print('gevent', gevent.__version__)"],
                                capture_output=True, text=True).stdout.strip() or "no gevent"
    except OSError:
        python, uvloop, gevent = "python3 not found", "no uvloop", "no gevent"
    return f"{cpu}, {cores} cores, {platform.system()} {platform.release()}; {go}; {python}, {uvloop}, {gevent}"


def read_log(build: Path):
    """Returns {(suite, workload): {runtime: {metric: (value, unit)}}}."""
    results = defaultdict(lambda: defaultdict(dict))
    logs = build / "meson-logs"
    log = logs / "benchmarklog.json" if (logs / "benchmarklog.json").exists() else logs / "testlog.json"
    for line in log.read_text().splitlines():
        if not line.strip():
            continue
        entry = json.loads(line)
        # meson names a test "NAME", or "PROJECT:SUITE / NAME" when the run spans several suites.
        qualifier, _, name = entry["name"].rpartition(" / ")
        suite = qualifier.partition(":")[2]
        if name.startswith("echo_"):
            workload, _, runtime = name.partition("_")
        else:
            runtime, _, workload = name.partition("_")
        if runtime not in RUNTIME_ORDER or not workload:
            continue  # a test, not a benchmark
        key = (suite, workload)
        if entry.get("result") != "OK":
            results[key][runtime]["FAILED"] = (float("nan"), entry.get("result", "?"))
            continue
        for metric, value, unit in METRIC.findall(entry.get("stdout", "")):
            # echo_<server>_1k_cpu_per_msg -> 1k_cpu_per_msg: one row for all servers
            results[key][runtime][metric.removeprefix(f"{workload}_{runtime}_")] = (float(value), unit)
    return results


def suite_rank(key) -> tuple:
    suite, workload = key
    return (SUITE_ORDER.index(suite) if suite in SUITE_ORDER else len(SUITE_ORDER), suite, workload)


def paired_ratio(runtimes: dict, target: Target):
    """peer / spindle from the echo figures normalised by the epoll loop run beside each, or None."""
    normalised = target.metric.replace("_cpu_per_msg", "_cpu_vs_epoll")
    if normalised == target.metric:
        return None
    mine = runtimes.get(target.mine, {}).get(normalised)
    theirs = (1.0, "ratio") if target.peer == "epoll" else runtimes.get(target.peer, {}).get(normalised)
    return theirs[0] / mine[0] if mine and theirs and mine[0] > 0 else None


def verdicts(results) -> str:
    """The TARGETS as a table: each peer's figure over spindle's, against the factor required."""
    lines = ["### Against the ratio targets", "",
             "| target | metric | spindle | peer | peer / spindle | required | verdict |",
             "|---|---|---|---|---|---|---|"]
    for target in TARGETS:
        runtimes = next((r for (suite, workload), r in results.items()
                         if workload == target.workload and suite in (target.suite, "")), {})
        if runtimes and target.mine not in runtimes:
            continue  # measured, but without this server (the echo suite's two spindle servers)
        mine = runtimes.get(target.mine, {}).get(target.metric)
        theirs = runtimes.get(target.peer, {}).get(target.metric)
        if mine and theirs and mine[0] > 0:
            speedup = theirs[0] / mine[0]
            normalised = paired_ratio(runtimes, target)
            if normalised is not None:
                speedup = normalised
            verdict = "met" if speedup >= target.factor else "missed"
            row = [f"{target.mine} {mine[0]:.4g} {mine[1]}", f"{target.peer} {theirs[0]:.4g} {theirs[1]}",
                   f"{speedup:.2f}×"]
        else:
            row = [f"{target.mine} –", f"{target.peer} –", "–"]
            verdict = "not measured"
        cells = [target.what, target.metric] + row + [f"≥ {target.factor:.3g}×", verdict]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table(key, runtimes: dict) -> str:
    suite, workload = key
    order = [r for r in RUNTIME_ORDER if r in runtimes] + sorted(set(runtimes) - set(RUNTIME_ORDER))
    own = next((r for r in OWN_RUNTIMES if r in runtimes), None)
    peers = [r for r in order if r != own]
    metrics = []
    for runtime in order:
        for metric in runtimes[runtime]:
            if metric not in metrics:
                metrics.append(metric)
    header = ["metric", "unit"] + order + [f"{own} / {peer}" for peer in peers if own]
    title = f"{suite}: {workload}" if suite else workload
    lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for metric in metrics:
        unit = next((runtimes[r][metric][1] for r in order if metric in runtimes[r]), "")
        row = [metric, unit]
        for runtime in order:
            value = runtimes[runtime].get(metric)
            row.append(f"{value[0]:.4g}" if value else "–")
        mine = runtimes.get(own, {}).get(metric)
        for peer in peers:
            if not own:
                continue
            theirs = runtimes[peer].get(metric)
            row.append(f"{mine[0] / theirs[0]:.3f}" if mine and theirs and theirs[0] else "–")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", type=Path)
    parser.add_argument("--doc", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md")
    args = parser.parse_args()
    results = read_log(args.build)
    if not results:
        print("no benchmark results found; run `meson test -C BUILD --benchmark` first", file=sys.stderr)
        return 1
    body = [BEGIN, "", f"Run of {date.today().isoformat()} on {machine()}.", ""]
    body += [verdicts(results), ""]
    for key in sorted(results, key=suite_rank):
        body += [table(key, results[key]), ""]
    body.append(END)
    generated = "\n".join(body)
    text = args.doc.read_text() if args.doc.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + generated + text[text.index(END) + len(END):]
    else:
        text = text.rstrip() + "\n\n" + generated + "\n"
    args.doc.write_text(text)
    print(generated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
