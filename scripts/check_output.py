#!/usr/bin/env python3
"""Runs an example and checks its standard output and exit status.

usage: check_output.py PROGRAM [ARGS...] -- CHECK...
  --expect TEXT         the whole output is exactly TEXT
  --expect-file PATH    the whole output is exactly the file's text
  --contains TEXT       the output contains TEXT
  --contains-file PATH  the output contains every non-empty line of the file
  --status N            the program exits with status N (default 0)
Exits 0 when every check holds; otherwise prints what differed and exits 1.
"""
import pathlib
import subprocess
import sys


def main() -> int:
    split = sys.argv.index("--")
    command, checks = sys.argv[1:split], sys.argv[split + 1:]
    expected_status = 0
    expect, contains = [], []
    for kind, value in zip(checks[::2], checks[1::2]):
        if kind == "--expect":
            expect.append(value)
        elif kind == "--expect-file":
            expect.append(pathlib.Path(value).read_text())
        elif kind == "--contains":
            contains.append(value)
        elif kind == "--contains-file":
            contains += [line for line in pathlib.Path(value).read_text().splitlines() if line]
        elif kind == "--status":
            expected_status = int(value)
        else:
            print(f"check_output.py: unknown check {kind!r}")
            return 2
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    ok = result.returncode == expected_status
    for text in expect:
        if result.stdout != text:
            ok = False
            print(f"expected exactly:\n{text!r}\ngot:\n{result.stdout!r}")
    for text in contains:
        if text not in result.stdout:
            ok = False
            print(f"expected the output to contain {text!r}; got:\n{result.stdout}")
    if result.returncode != expected_status:
        print(f"exit status {result.returncode}, expected {expected_status}; stderr:\n{result.stderr}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
