#!/usr/bin/env python3
"""Runs an example and checks its standard output.

usage: check_output.py PROGRAM [ARGS...] -- (--expect TEXT | --contains TEXT)...
Exits 0 when the program exits 0 and its output matches; otherwise prints both and exits 1.
"""
import subprocess
import sys


def main() -> int:
    split = sys.argv.index("--")
    command, checks = sys.argv[1:split], sys.argv[split + 1:]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    ok = result.returncode == 0
    for kind, text in zip(checks[::2], checks[1::2]):
        if kind == "--expect" and result.stdout != text:
            ok = False
            print(f"expected exactly:\n{text!r}\ngot:\n{result.stdout!r}")
        elif kind == "--contains" and text not in result.stdout:
            ok = False
            print(f"expected the output to contain {text!r}; got:\n{result.stdout}")
    if result.returncode != 0:
        print(f"exit status {result.returncode}; stderr:\n{result.stderr}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
