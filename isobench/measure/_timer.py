"""Time a Python callable inside a fresh process (standalone: stdlib only, no isobench imports).

This file is run by each variant's *own* interpreter, possibly inside a sandbox, so it must not
depend on isobench or any third-party package. isobench passes its source with ``python -c``, so
it also works where the file cannot be copied; running it as a script works the same way:

    python _timer.py --callable module:function [--warmup 1] [--values 3] [--path DIR] [--serve]

It puts DIR (default: the current directory) first on sys.path, imports ``module`` (timed as
``import_s``), calls ``function()`` ``--warmup`` times untimed, then ``--values`` times timed with
``time.perf_counter_ns``, and prints one line, the last on stdout and on a line of its own:

    ISOBENCH_TIMES {"values": [seconds, ...], "import_s": seconds}

With ``--serve`` (how ``score`` interleaves the calls of several variants), the process instead
prints ``ISOBENCH_READY {"import_s": seconds}`` after the warm-up, then times one call for every
line it reads on stdin and answers each with ``ISOBENCH_VALUE {"value": seconds}``, until stdin
closes (exit 0). Both lines start on a line of their own, whatever the workload prints.

The callable's return value is ignored. If the import or a call raises, the traceback goes to
stderr and the exit status is non-zero (2: bad arguments, 3: import failed, 4: call failed).
The garbage collector is left enabled (unlike timeit) so the timed body behaves as in real use.
"""

# Annotations stay strings so this runs on the old interpreters (3.7+) of benchmarked repos.
from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable

PREFIX = "ISOBENCH_TIMES"
READY = "ISOBENCH_READY"
VALUE = "ISOBENCH_VALUE"


def _resolve(spec: str) -> tuple[Callable[[], object], float]:
    """Import ``module:attr[.attr...]`` and return (callable, import seconds)."""
    module_name, _, attr_path = spec.partition(":")
    t0 = time.perf_counter_ns()
    obj = importlib.import_module(module_name)
    import_s = (time.perf_counter_ns() - t0) / 1e9
    for part in attr_path.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{spec} is not callable")
    return obj, import_s


def _say(prefix: str, payload: dict) -> None:
    """One protocol line, on a line of its own even if the workload left a partial line."""
    sys.stdout.flush()
    sys.stdout.write("\n" + prefix + " " + json.dumps(payload) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="_timer.py", description="Time module:function in-process.")
    parser.add_argument("--callable", required=True, dest="spec", help="module:function")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--values", type=int, default=3)
    parser.add_argument("--path", default=None, help="directory put first on sys.path (default: cwd)")
    parser.add_argument("--serve", action="store_true", help="after the warm-up, time one call per stdin line")
    args = parser.parse_args(argv)

    module_name, sep, attr_path = args.spec.partition(":")
    if not sep or not module_name or not attr_path:
        print(f"_timer.py: --callable must be module:function, got {args.spec!r}", file=sys.stderr)
        return 2
    if args.warmup < 0 or args.values < 1:
        print("_timer.py: need --warmup >= 0 and --values >= 1", file=sys.stderr)
        return 2

    sys.path.insert(0, os.path.abspath(args.path or os.getcwd()))
    try:
        func, import_s = _resolve(args.spec)
    except BaseException:  # SystemExit too: a module that exits on import is broken
        traceback.print_exc()
        print(f"_timer.py: importing {args.spec} failed", file=sys.stderr)
        return 3

    values: list[float] = []
    try:
        for _ in range(args.warmup):
            func()
        if args.serve:
            _say(READY, {"import_s": import_s})
            for _line in sys.stdin:
                t0 = time.perf_counter_ns()
                func()
                _say(VALUE, {"value": (time.perf_counter_ns() - t0) / 1e9})
            return 0
        for _ in range(args.values):
            t0 = time.perf_counter_ns()
            func()
            values.append((time.perf_counter_ns() - t0) / 1e9)
    except BaseException:
        traceback.print_exc()
        print(f"_timer.py: calling {args.spec} failed", file=sys.stderr)
        return 4

    # On a line of its own, and the last one on stdout, whatever the workload printed.
    _say(PREFIX, {"values": values, "import_s": import_s})
    return 0


if __name__ == "__main__":
    sys.exit(main())
