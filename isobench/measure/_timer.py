"""Time a workload inside a fresh process (standalone: stdlib only, no isobench imports).

This file is run by each variant's *own* interpreter, possibly inside a sandbox, so it must not
depend on isobench or any third-party package. isobench passes its source with ``python -c``, so
it also works where the file cannot be copied; running it as a script works the same way. The
workload is one of:

    --callable module:function [--path DIR]   DIR (default: the current directory) first on sys.path,
                                              then ``module`` is imported (timed as ``import_s``)
    --script PATH [--arg A ...]               the script, run as ``python PATH A ...`` would run it:
                                              as ``__main__``, with ``sys.argv = [PATH, A, ...]`` and
                                              the script's own folder first on sys.path
    --module NAME [--arg A ...]               the module, run as ``python -m NAME A ...`` would run
                                              it (``runpy.run_module``), the current directory first

Every call of a script or module runs its whole body again in this process, as a fresh
``__main__``; modules it imports stay imported, so after the warm-up call, which pays the imports,
a timed call is the script's own work, like a callable's. ``sys.exit(0)`` (or ``None``) ends a call
normally; any other exit status is a failure.

It calls the workload ``--warmup`` times untimed, then ``--values`` times timed with
``time.perf_counter_ns``, and prints one line, the last on stdout and on a line of its own:

    ISOBENCH_TIMES {"values": [seconds, ...], "import_s": seconds}

With ``--serve`` (how ``score`` interleaves the calls of several variants), the process instead
prints ``ISOBENCH_READY {"import_s": seconds}`` after the warm-up, then times one call for every
line it reads on stdin and answers each with ``ISOBENCH_VALUE {"value": seconds}``, until stdin
closes (exit 0). Both lines start on a line of their own, whatever the workload prints.

For a script or module, ``import_s`` is the first warm-up call (imports plus one run). If the import
or a call raises, the traceback goes to stderr and the exit status is non-zero: 2 bad arguments,
3 import failed, 4 a call failed, 5 a call failed after an earlier call of the same process had
succeeded (the workload cannot run twice in one process: it keeps state between runs, on disk or in
imported modules; isobench then times it as a whole process instead). The garbage collector is left
enabled (unlike timeit) so the timed body behaves as in real use.
"""

# Annotations stay strings so this runs on the old interpreters (3.7+) of benchmarked repos.
from __future__ import annotations

import argparse
import builtins
import importlib
import json
import os
import runpy
import sys
import time
import traceback
from collections.abc import Callable

PREFIX = "ISOBENCH_TIMES"
READY = "ISOBENCH_READY"
VALUE = "ISOBENCH_VALUE"


class _Exit(Exception):
    """The workload called sys.exit with a failure status."""


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


def _exits_ok(run: Callable[[], object]) -> Callable[[], object]:
    """A call that treats sys.exit(0) / sys.exit() as a normal end, and any other status as a failure."""

    def call() -> object:
        try:
            return run()
        except SystemExit as exc:
            if exc.code not in (None, 0):
                raise _Exit(f"the workload exited with status {exc.code!r}") from None
            return None

    return call


def _script(path: str, args: list[str]) -> Callable[[], object]:
    """``python PATH ARGS``, as a call: compiled once, its body run as a fresh ``__main__`` each time."""
    path = os.path.abspath(path)
    with open(path, "rb") as fh:
        code = compile(fh.read(), path, "exec")
    if sys.path and sys.path[0] in ("", os.getcwd()):
        sys.path.pop(0)  # `python -c` put the current directory there; `python PATH` does not
    sys.path.insert(0, os.path.dirname(path))

    def run() -> object:
        sys.argv = [path, *args]
        namespace = {
            "__name__": "__main__",
            "__file__": path,
            "__builtins__": builtins,
            "__cached__": None,
            "__doc__": None,
            "__loader__": None,
            "__package__": None,
            "__spec__": None,
        }
        exec(code, namespace)
        return None

    return _exits_ok(run)


def _module(name: str, args: list[str]) -> Callable[[], object]:
    """``python -m NAME ARGS``, as a call."""
    sys.path.insert(0, os.getcwd())

    def run() -> object:
        sys.argv = [name, *args]
        runpy.run_module(name, run_name="__main__", alter_sys=True)
        return None

    return _exits_ok(run)


def _say(prefix: str, payload: dict[str, object]) -> None:
    """One protocol line, on a line of its own even if the workload left a partial line."""
    sys.stdout.flush()
    sys.stdout.write("\n" + prefix + " " + json.dumps(payload) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="_timer.py", description="Time a workload in-process.")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--callable", dest="spec", help="module:function")
    what.add_argument("--script", help="a Python script, run as `python SCRIPT ARG...`")
    what.add_argument("--module", help="a module, run as `python -m MODULE ARG...`")
    parser.add_argument("--arg", action="append", default=[], help="an argument of the script or module")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--values", type=int, default=3)
    parser.add_argument("--path", default=None, help="callable: directory put first on sys.path (default: cwd)")
    parser.add_argument("--serve", action="store_true", help="after the warm-up, time one call per stdin line")
    args = parser.parse_args(argv)

    if args.warmup < 0 or args.values < 1:
        print("_timer.py: need --warmup >= 0 and --values >= 1", file=sys.stderr)
        return 2
    label = args.spec or args.script or f"-m {args.module}"
    import_s = None
    try:
        if args.spec is not None:
            module_name, sep, attr_path = args.spec.partition(":")
            if not sep or not module_name or not attr_path:
                print(f"_timer.py: --callable must be module:function, got {args.spec!r}", file=sys.stderr)
                return 2
            sys.path.insert(0, os.path.abspath(args.path or os.getcwd()))
            func, import_s = _resolve(args.spec)
        elif args.script is not None:
            func = _script(args.script, args.arg)
        else:
            func = _module(args.module, args.arg)
    except BaseException:  # SystemExit too: a module that exits on import is broken
        traceback.print_exc()
        print(f"_timer.py: loading {label} failed", file=sys.stderr)
        return 3

    values: list[float] = []
    calls = 0
    try:
        for _ in range(args.warmup):
            t0 = time.perf_counter_ns()
            func()
            calls += 1
            if import_s is None:
                import_s = (time.perf_counter_ns() - t0) / 1e9
        if args.serve:
            _say(READY, {"import_s": import_s or 0.0})
            for _line in sys.stdin:
                t0 = time.perf_counter_ns()
                func()
                calls += 1
                _say(VALUE, {"value": (time.perf_counter_ns() - t0) / 1e9})
            return 0
        for _ in range(args.values):
            t0 = time.perf_counter_ns()
            func()
            calls += 1
            values.append((time.perf_counter_ns() - t0) / 1e9)
    except BaseException:
        traceback.print_exc()
        if calls:
            print(
                f"_timer.py: {label} failed when run again in the same process (call {calls + 1}; "
                "the first succeeded): it cannot be timed in-process",
                file=sys.stderr,
            )
            return 5
        print(f"_timer.py: calling {label} failed", file=sys.stderr)
        return 4

    # On a line of its own, and the last one on stdout, whatever the workload printed.
    _say(PREFIX, {"values": values, "import_s": import_s or 0.0})
    return 0


if __name__ == "__main__":
    sys.exit(main())
