"""Runs the TCP echo benchmark against one server: start it, load it once per message size, stop it.

usage: run_echo.py --server NAME --client ECHO_CLIENT [--reference EPOLL_SERVER] [--sizes 1024,10240,102400]
                   [--rounds 5] [--smoke] -- SERVER_CMD...

SERVER_CMD must listen on 127.0.0.1, print `port=N` on its first stdout line once it accepts, and
run until killed; every server runs single-threaded (GOMAXPROCS=1 is set for the Go one). For each
size the load client (echo_client.cpp) opens the connections, ping-pongs for a warm-up and a
measured window and reports one round; this prints the median of the rounds as the
`metric=echo_NAME_SIZE_...` lines.

Why rounds against a reference. The machine is shared (other builds, other VMs on the host), and a
server's CPU time per message moves by tens of percent with the load around it. With --reference,
every round measures the raw epoll server too, right before or after (alternating, so a trend in the
load hits both alike), and `cpu_vs_epoll` is the median of the per-round ratios: a figure that
compares servers measured minutes apart as if they had run side by side.

--smoke is the test suite's scale: one round, 10 connections, 20 ms warm-up, 100 ms measured, every
echoed byte compared. After every round the server must have closed all its connections within 2 s.
The servers are stopped (SIGTERM, then SIGKILL) whatever happens, and die with this driver.
"""
import argparse
import ctypes
import os
import re
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import time

START_TIMEOUT_S = 15


def die_with_parent() -> None:
    """In the server's child process: SIGKILL it if this driver dies (PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


def start_server(command: list[str]) -> tuple[subprocess.Popen, int]:
    env = dict(os.environ, GOMAXPROCS="1")
    server = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, preexec_fn=die_with_parent)
    try:
        return server, wait_for_port(server, command[0])
    except BaseException:
        stop_server(server)
        raise


def wait_for_port(server: subprocess.Popen, name: str) -> int:
    selector = selectors.DefaultSelector()
    selector.register(server.stdout, selectors.EVENT_READ)
    if not selector.select(START_TIMEOUT_S):
        raise RuntimeError(f"{name} did not announce its port within {START_TIMEOUT_S} s")
    line = server.stdout.readline().decode().strip()
    if not line.startswith("port="):
        raise RuntimeError(f"{name} printed {line!r} instead of port=N (exit status {server.poll()})")
    port = int(line.removeprefix("port="))
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:  # it said it listens; make sure it accepts
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return port
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise
            time.sleep(0.01)


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    server.stdout.close()


METRIC = re.compile(r"^metric=echo_\w+?_(\d+k?)_(\w+) value=([-0-9.eE+]+) unit=(\S+)$", re.MULTILINE)


class Server:
    """One running echo server and the client invocation that loads it."""

    def __init__(self, name: str, command: list[str], client: str, load: list[str]):
        self.name, self.client, self.load = name, client, load
        self.process, self.port = start_server(command)

    def open_sockets(self) -> int:
        fds = f"/proc/{self.process.pid}/fd"
        count = 0
        for fd in os.listdir(fds):
            try:
                count += os.readlink(f"{fds}/{fd}").startswith("socket:")
            except FileNotFoundError:
                pass  # closed meanwhile
        return count

    def check_connections_closed(self, before: int) -> None:
        """The server must close every connection once the client has gone (counted by its sockets)."""
        deadline = time.monotonic() + 2
        while self.open_sockets() > before:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {self.name} server still holds {self.open_sockets() - before} "
                                   "sockets 2 s after the client closed its connections")
            time.sleep(0.01)

    def measure(self, size: str) -> dict[str, tuple[float, str]]:
        """One round at `size` bytes: {figure: (value, unit)}."""
        if self.process.poll() is not None:
            raise RuntimeError(f"the {self.name} server exited with status {self.process.returncode}")
        sockets_before = self.open_sockets()
        client = subprocess.run([self.client, "--port", str(self.port), "--server-pid", str(self.process.pid),
                                 "--server", self.name, "--size", size] + self.load,
                                stdout=subprocess.PIPE, text=True, timeout=60)
        if client.returncode != 0:
            raise RuntimeError(f"the client failed against {self.name} at {size} bytes (status {client.returncode})")
        self.check_connections_closed(sockets_before)
        return {figure: (float(value), unit) for _, figure, value, unit in METRIC.findall(client.stdout)}


def size_name(size: str) -> str:
    return f"{int(size) // 1024}k" if int(size) % 1024 == 0 else size


def report(server: str, size: str, figure: str, value: float, unit: str) -> None:
    print(f"metric=echo_{server}_{size_name(size)}_{figure} value={value:.3f} unit={unit}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="the name in the metric lines: epoll, go, spindle...")
    parser.add_argument("--client", required=True, help="the echo_client binary")
    parser.add_argument("--reference", help="the raw epoll server, measured beside this one in every round")
    parser.add_argument("--sizes", default="1024,10240,102400", help="message sizes in bytes, comma-separated")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per size; the median is reported")
    parser.add_argument("--smoke", action="store_true", help="the test suite's tiny scale, every byte checked")
    parser.add_argument("command", nargs="+", help="the server command, after --")
    args = parser.parse_args()
    if args.smoke:
        load = ["--connections", "10", "--warmup-ms", "20", "--measure-ms", "100", "--verify"]
        args.rounds = 1
    else:
        load = ["--connections", "100", "--warmup-ms", "300", "--measure-ms", "1000", "--max-messages", "1000000"]
    # meson's timeout and Ctrl-C end the driver with SIGTERM/SIGINT; the finally below still runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    servers = []
    try:
        servers.append(Server(args.server, args.command, args.client, load))
        if args.reference:
            servers.append(Server("epoll", [args.reference], args.client, load))
        for size in args.sizes.split(","):
            rounds = {server.name: [] for server in servers}
            for round_index in range(args.rounds):
                for server in servers if round_index % 2 == 0 else reversed(servers):
                    rounds[server.name].append(server.measure(size))
            mine = rounds[args.server]
            for figure, (_, unit) in mine[0].items():
                report(args.server, size, figure, statistics.median(r[figure][0] for r in mine), unit)
            if args.reference:
                theirs = rounds["epoll"]
                report(args.server, size, "epoll_cpu_per_msg",
                       statistics.median(r["cpu_per_msg"][0] for r in theirs), "us")
                report(args.server, size, "cpu_vs_epoll",
                       statistics.median(m["cpu_per_msg"][0] / t["cpu_per_msg"][0] for m, t in zip(mine, theirs)), "ratio")
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        print(f"run_echo: {error}", file=sys.stderr)
        return 1
    finally:
        for server in servers:
            stop_server(server.process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
