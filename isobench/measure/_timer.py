"""Run a workload inside a fresh process, one call at a time, when the harness asks (standalone: stdlib only).

This file is run by each variant's *own* interpreter, possibly inside a sandbox, so it must not
depend on isobench or any third-party package. isobench passes its source with ``python -c``. The
workload is one of:

    --callable module:function [--path DIR]   DIR (default: the current directory) first on sys.path,
                                              then ``module`` is imported
    --script PATH [--arg A ...]               the script, run as ``python PATH A ...`` would run it:
                                              as ``__main__``, with ``sys.argv = [PATH, A, ...]`` and
                                              the script's own folder first on sys.path
    --module NAME [--arg A ...]               the module, run as ``python -m NAME A ...`` would run
                                              it (``runpy.run_module``), the current directory first
    --asv JSON                                asv benchmarks ({"dir": BENCHMARK_DIR, "benchmarks":
                                              [{"target": "module:Class.time_x", "params": [LITERAL...]}]}):
                                              BENCHMARK_DIR imported as a package from its parent folder,
                                              each benchmark's ``setup_cache`` and ``setup(*params)`` run
                                              once at load (untimed), each call runs every ``time_*`` once

Every call of a script or module runs its whole body again in this process, as a fresh
``__main__``; modules it imports stay imported. ``sys.exit(0)`` (or ``None``) ends a call normally;
any other exit status is a failure.

**This process measures nothing.** The code under test runs in it and could rewrite any clock or any
number it printed, so the harness times every call with its own clock, from the moment it writes a
request to the moment the answer arrives. The protocol uses stdin (requests) and a private copy of
the original stderr descriptor (answers); the workload's own stdout and stderr go where the harness
pointed them (its stdout to a file the harness reads to compare outputs), so nothing the workload
prints can be taken for an answer. Each request carries a fresh token that its answer must repeat:

    harness: "call TOKEN\\n"   ->  this process: "ISOBENCH_DONE TOKEN <RESULTS>\\n"
                                   once the call has returned and its output is flushed
    (at start)                 ->  "ISOBENCH_READY {"import_s": ...}\\n" once the workload is loaded

RESULTS is one JSON object: ``{"results": {NAME: "DIGEST:SIZE", ...}, "shared": N}``. NAME is each result
the call left behind: a script's or module's module-level names after the call (modules, functions and
classes left out), a callable's ``return``, an asv benchmark's return value (named by its target);
DIGEST hashes a stable representation of the value (its ``repr`` with memory addresses taken out, a set's
items sorted) and SIZE is that representation's length. N counts the mutable objects among the results
(and inside containers, breadth first, up to 10,000 objects) that are the very objects an earlier call of
this process left behind, or that appear twice within this call: results shared between calls or inputs,
which is what an input-keyed cache hands back. The harness's clock stops at that answer, so computing it
is part of every call's time (the same for every variant that leaves the same results), and no work can be
deferred into it unseen. Code under test that fakes an early answer gains
nothing: the work it then does in the background shows in its CPU time, which the harness reads from
outside, and work it skips shows in its answers and its first call.

A call that raises answers "ISOBENCH_FAILED TOKEN" (traceback on stderr) and the process exits with
4, or 5 when an earlier call of the same process had succeeded (the workload cannot run twice in one
process: isobench then times it as whole processes). 2: bad arguments, 3: loading failed. The garbage
collector is left enabled (unlike timeit) so the timed body behaves as in real use.
"""

# Annotations stay strings so this runs on the old interpreters (3.7+) of benchmarked repos.
from __future__ import annotations

import argparse
import ast
import builtins
import hashlib
import importlib
import json
import os
import re
import runpy
import sys
import time
import traceback
import types
from collections.abc import Callable

READY = "ISOBENCH_READY"
DONE = "ISOBENCH_DONE"
FAILED = "ISOBENCH_FAILED"


class _Exit(Exception):
    """The workload called sys.exit with a failure status."""


def _resolve(spec: str) -> tuple[Callable[[], object], float]:
    """Import ``module:attr[.attr...]`` and return (callable, import seconds)."""
    module_name, _, attr_path = spec.partition(":")
    t0 = time.perf_counter()
    obj: object = importlib.import_module(module_name)
    import_s = time.perf_counter() - t0
    for part in attr_path.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(spec + " is not callable")
    return obj, import_s


# A call of the workload, `Callable[[], tuple[object, dict[str, object]]]`: (its return value, the results it
# left behind by name). Named in annotations only (strings here): old interpreters cannot subscript Callable.


def _exits_ok(
    run: Callable[[dict[str, object]], None], namespace: Callable[[], dict[str, object]]
) -> Callable[[], tuple[object, dict[str, object]]]:
    """A script's or module's call: ``run`` fills a fresh namespace; sys.exit(0) / sys.exit() is a normal end
    (what the namespace holds by then is the result), any other status a failure."""

    def call() -> tuple[object, dict[str, object]]:
        names = namespace()
        try:
            run(names)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                raise _Exit(f"the workload exited with status {exc.code!r}") from None
        return None, _names(names)

    return call


def _callable(func: Callable[[], object]) -> Callable[[], tuple[object, dict[str, object]]]:
    def call() -> tuple[object, dict[str, object]]:
        value = func()
        return value, {"return": value}

    return call


def _script(path: str, args: list[str]) -> Callable[[], tuple[object, dict[str, object]]]:
    """``python PATH ARGS``, as a call: compiled once, its body run as a fresh ``__main__`` each time."""
    path = os.path.abspath(path)
    with open(path, "rb") as fh:
        code = compile(fh.read(), path, "exec")
    if sys.path and sys.path[0] in ("", os.getcwd()):
        sys.path.pop(0)  # `python -c` put the current directory there; `python PATH` does not
    sys.path.insert(0, os.path.dirname(path))

    def namespace() -> dict[str, object]:
        sys.argv = [path, *args]
        return {
            "__name__": "__main__",
            "__file__": path,
            "__builtins__": builtins,
            "__cached__": None,
            "__doc__": None,
            "__loader__": None,
            "__package__": None,
            "__spec__": None,
        }

    def run(names: dict[str, object]) -> None:
        exec(code, names)

    return _exits_ok(run, namespace)


def _module(name: str, args: list[str]) -> Callable[[], tuple[object, dict[str, object]]]:
    """``python -m NAME ARGS``, as a call (its results: the globals ``runpy`` hands back)."""
    sys.path.insert(0, os.getcwd())

    def namespace() -> dict[str, object]:
        sys.argv = [name, *args]
        return {}

    def run(names: dict[str, object]) -> None:
        # A module that ends with sys.exit leaves no globals behind: only what it printed is compared then.
        names.update(runpy.run_module(name, run_name="__main__", alter_sys=True))

    return _exits_ok(run, namespace)


def _asv(spec: str) -> Callable[[], tuple[object, dict[str, object]]]:
    """asv benchmarks as one call (the shim of isobench's asv suites): asv's own rules for ``setup``
    (a method of the class; for a function its ``setup`` attribute, else the module's ``setup``) and
    ``setup_cache`` (its result passed first), run here once and untimed, as asv runs them before timing."""
    data = json.loads(spec)
    folder = os.path.abspath(data["dir"])
    sys.path.insert(0, os.path.dirname(folder))
    package = os.path.basename(folder)
    calls = []
    for item in data["benchmarks"]:
        module_name, _, qualname = item["target"].partition(":")
        module = importlib.import_module(package + "." + module_name if module_name else package)
        owner_name, _, attr = qualname.rpartition(".")
        params = [ast.literal_eval(p) for p in item["params"]]
        if owner_name:
            owner = getattr(module, owner_name)()
            func = getattr(owner, attr)
            setup = getattr(owner, "setup", None)
            cache = getattr(owner, "setup_cache", None)
        else:
            func = getattr(module, attr)
            setup = getattr(func, "setup", getattr(module, "setup", None))
            cache = getattr(func, "setup_cache", getattr(module, "setup_cache", None))
        args = [cache(), *params] if callable(cache) else params
        if callable(setup):
            setup(*args)
        calls.append((item["target"], func, args))

    def run() -> tuple[object, dict[str, object]]:
        values, named = [], {}
        for target, func, args in calls:
            values.append(func(*args))
            named[target] = values[-1]
        return values, named

    return run


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_SKIP = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type, types.MethodType)
_MUTABLE = (list, dict, set, bytearray)
_WALK_LIMIT = 10000
"""Objects looked at per call for sharing (bounded, so the check's cost stays small and the same for all)."""


def _stable(value: object) -> str:
    """A representation of ``value`` that identical results share across processes: its repr with memory
    addresses taken out; a set's (or frozenset's) items sorted, as their order follows the hash seed."""
    try:
        if isinstance(value, (set, frozenset)):
            text = type(value).__name__ + "{" + ", ".join(sorted(_stable(v) for v in value)) + "}"
        else:
            text = repr(value)
    except Exception as exc:  # a repr that fails is an answer too, and the same one every time
        text = f"<repr failed: {type(exc).__name__}>"
    return _ADDRESS.sub("", text)


def _kept(value: object) -> bool:
    """A mutable object whose identity can carry state from one call (or input) to another."""
    return isinstance(value, _MUTABLE) or (
        hasattr(value, "__dict__") and not isinstance(value, _SKIP) and not callable(value)
    )


class _Results:
    """What each call left behind (see the module docstring), and the objects earlier calls left."""

    def __init__(self) -> None:
        self.earlier: dict[int, object] = {}  # strong references: an id cannot be reused while kept here

    def answer(self, named: dict[str, object]) -> str:
        results = {}
        for name, value in named.items():
            if isinstance(value, _SKIP):
                continue
            text = _stable(value)
            digest = hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()[:16]
            results[name] = f"{digest}:{len(text)}"
        shared = self._shared(list(named.values()))
        return json.dumps({"results": results, "shared": shared}, sort_keys=True, separators=(",", ":"))

    def _shared(self, values: list[object]) -> int:
        """How many mutable objects, looked at breadth first (bounded), are an earlier call's or seen twice."""
        seen: dict[int, object] = {}
        shared = 0
        todo = [v for v in values if not isinstance(v, _SKIP)][:_WALK_LIMIT]
        i = 0
        while i < len(todo):
            value = todo[i]
            i += 1
            if _kept(value):
                if id(value) in seen or id(value) in self.earlier:
                    shared += 1
                    seen[id(value)] = value  # kept: the next call may hand it back again
                    continue  # its contents were counted where it was first seen
                seen[id(value)] = value
            room = _WALK_LIMIT - len(todo)
            if room > 0 and isinstance(value, (list, tuple)):
                todo.extend(value[:room])
            elif room > 0 and isinstance(value, dict):
                todo.extend(list(value.values())[:room])
        self.earlier = seen
        return shared


def _names(namespace: dict[str, object]) -> dict[str, object]:
    """A script's or module's results: its module-level names, less dunders."""
    return {k: v for k, v in namespace.items() if not (k.startswith("__") and k.endswith("__"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="_timer.py", description="Run a workload call by call.")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--callable", dest="spec", help="module:function")
    what.add_argument("--script", help="a Python script, run as `python SCRIPT ARG...`")
    what.add_argument("--module", help="a module, run as `python -m MODULE ARG...`")
    what.add_argument("--asv", help="asv benchmarks, as JSON (see the module docstring)")
    parser.add_argument("--arg", action="append", default=[], help="an argument of the script or module")
    parser.add_argument("--path", default=None, help="callable: directory put first on sys.path (default: cwd)")
    args = parser.parse_args(argv)

    # The answers go on a private copy of stderr; the workload's stderr stays where it was (the same
    # file), but nothing it writes can be read as an answer: answers are matched by token.
    channel = os.fdopen(os.dup(2), "w", buffering=1)
    requests = sys.stdin
    sys.stdin = open(os.devnull)  # noqa: SIM115 (the workload reads nothing of the protocol)

    def say(*words: str) -> None:
        channel.write(" ".join(words) + "\n")
        channel.flush()

    label = args.spec or args.script or (f"-m {args.module}" if args.module else "asv benchmarks")
    import_s = 0.0
    try:
        if args.spec is not None:
            module_name, sep, attr_path = args.spec.partition(":")
            if not sep or not module_name or not attr_path:
                print(f"_timer.py: --callable must be module:function, got {args.spec!r}", file=sys.stderr)
                return 2
            sys.path.insert(0, os.path.abspath(args.path or os.getcwd()))
            target, import_s = _resolve(args.spec)
            func = _callable(target)
        elif args.script is not None:
            func = _script(args.script, args.arg)
        elif args.asv is not None:
            t0 = time.perf_counter()
            func = _asv(args.asv)
            import_s = time.perf_counter() - t0
        else:
            func = _module(args.module, args.arg)
    except BaseException:  # SystemExit too: a module that exits on import is broken
        traceback.print_exc()
        print(f"_timer.py: loading {label} failed", file=sys.stderr)
        return 3

    say(READY, json.dumps({"import_s": import_s}))
    results = _Results()
    calls = 0
    for line in requests:
        words = line.split()
        if len(words) != 2 or words[0] != "call":
            continue
        token = words[1]
        try:
            _, named = func()
            answer = results.answer(named)
        except BaseException:
            say(FAILED, token)
            traceback.print_exc()
            if calls:
                print(
                    f"_timer.py: {label} failed when run again in the same process (call {calls + 1}; the first "
                    "succeeded): it cannot be timed in-process",
                    file=sys.stderr,
                )
                return 5
            print(f"_timer.py: calling {label} failed", file=sys.stderr)
            return 4
        sys.stdout.flush()  # what the call printed is in the harness's file before it answers
        say(DONE, token, answer)
        calls += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
