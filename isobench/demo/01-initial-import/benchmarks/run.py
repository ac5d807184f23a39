"""Run one workload once, for whole-process timing: python -m benchmarks.run <name>."""

from __future__ import annotations

import sys
import time

from benchmarks.workloads import WORKLOADS


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in WORKLOADS and argv[0] != "--list":
        print(f"usage: python -m benchmarks.run {{--list|{'|'.join(WORKLOADS)}}}", file=sys.stderr)
        return 2
    if argv[0] == "--list":
        print("\n".join(WORKLOADS))
        return 0
    start = time.perf_counter()
    result = WORKLOADS[argv[0]]()
    print(f"{argv[0]}: {result}")  # the result on stdout, the time (which varies) on stderr
    print(f"{argv[0]}: {time.perf_counter() - start:.3f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
