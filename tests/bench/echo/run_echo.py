"""Runs the TCP echo benchmark against one server: start it, load it once per message size, stop it.

usage: run_echo.py --server NAME --client ECHO_CLIENT [--sizes 1024,10240,102400] [--smoke] -- SERVER_CMD...

SERVER_CMD must listen on 127.0.0.1, print `port=N` on its first stdout line once it accepts, and
run until killed; every server runs single-threaded (GOMAXPROCS=1 is set for the Go one). For each
size the load client (echo_client.cpp) opens the connections, ping-pongs for a warm-up and a
measured window and prints the `metric=echo_NAME_SIZE_...` lines, which pass through to stdout.
--smoke is the test suite's scale: 10 connections, 20 ms warm-up, 100 ms measured, every echoed byte
compared. The server is stopped (SIGTERM, then SIGKILL) whatever happens, and dies with this driver.
"""
import argparse
import ctypes
import os
import selectors
import signal
import socket
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
    selector = selectors.DefaultSelector()
    selector.register(server.stdout, selectors.EVENT_READ)
    if not selector.select(START_TIMEOUT_S):
        raise RuntimeError(f"{command[0]} did not announce its port within {START_TIMEOUT_S} s")
    line = server.stdout.readline().decode().strip()
    if not line.startswith("port="):
        raise RuntimeError(f"{command[0]} printed {line!r} instead of port=N (exit status {server.poll()})")
    port = int(line.removeprefix("port="))
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:  # it said it listens; make sure it accepts
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="the name in the metric lines: epoll, go, spindle...")
    parser.add_argument("--client", required=True, help="the echo_client binary")
    parser.add_argument("--sizes", default="1024,10240,102400", help="message sizes in bytes, comma-separated")
    parser.add_argument("--smoke", action="store_true", help="the test suite's tiny scale, every byte checked")
    parser.add_argument("command", nargs="+", help="the server command, after --")
    args = parser.parse_args()
    if args.smoke:
        load = ["--connections", "10", "--warmup-ms", "20", "--measure-ms", "100", "--verify"]
    else:
        load = ["--connections", "100", "--warmup-ms", "1000", "--measure-ms", "3000", "--max-messages", "2000000"]
    # meson's timeout and Ctrl-C end the driver with SIGTERM/SIGINT; the finally below still runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    server, port = start_server(args.command)
    try:
        for size in args.sizes.split(","):
            if server.poll() is not None:
                print(f"run_echo: the {args.server} server exited with status {server.returncode}", file=sys.stderr)
                return 1
            client = subprocess.run([args.client, "--port", str(port), "--server-pid", str(server.pid),
                                     "--server", args.server, "--size", size] + load,
                                    stdout=subprocess.PIPE, text=True, timeout=60)
            sys.stdout.write(client.stdout)
            sys.stdout.flush()
            if client.returncode != 0:
                print(f"run_echo: the client failed against {args.server} at {size} bytes "
                      f"(status {client.returncode})", file=sys.stderr)
                return 1
    finally:
        stop_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
