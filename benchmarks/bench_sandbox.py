"""Benchmark: what the bubblewrap sandbox costs, at a process's start and on the timed body.

1. `python -c pass` 40 times bare and 40 times in bwrap (interleaved), median wall time of each;
2. the same in-process workload (a 30 ms loop) timed by the real protocol bare and in bwrap, interleaved,
   20 rounds: the speedup of leaving the sandbox, with its 95% CI (1.0: the sandbox costs the body nothing).
Run: `.venv/bin/python benchmarks/bench_sandbox.py` (figures in benchmarks/RESULTS.md).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from isobench.measure.config import ProtocolConfig, Variant  # noqa: E402
from isobench.measure.protocol import measure  # noqa: E402
from isobench.measure.stats import classify_speedup  # noqa: E402
from isobench.sandbox import BwrapSandbox, SandboxSpec, minimal_env  # noqa: E402

LOOP = "def run():\n    s = 0\n    for i in range(800_000):\n        s += i\n    return s\n"


def timed_body(python: str) -> None:
    """The workload in bwrap (the reference) against the same workload bare, by the real protocol."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        (tree / "wl.py").write_text(LOOP)
        box = BwrapSandbox()
        spec = SandboxSpec(writable=[tree], readable=[Path(python).parents[1]], network=False, env=minimal_env())
        env = {**minimal_env(), "PYTHONPATH": str(tree)}
        boxed = Variant("base", tree, python, env, callable="wl:run", wrap=lambda argv: box.wrap(argv, spec).argv)
        bare = Variant("bare", tree, python, env, callable="wl:run")
        m = measure([boxed, bare], ProtocolConfig(min_rounds=20, max_rounds=20, time_budget_s=120))
        e = m.speedup("bare")
        print(
            f"timed body, bare against bwrap over {m.rounds} rounds: {e.value:.3f} [{e.ci_low:.3f}, {e.ci_high:.3f}] "
            f"{classify_speedup(e)}"
        )


def main() -> None:
    python = os.path.realpath(sys.executable)
    argv = [python, "-c", "pass"]
    with tempfile.TemporaryDirectory() as tmp:
        box = BwrapSandbox()
        box.check()
        wrapped = box.wrap(argv, SandboxSpec(writable=[Path(tmp)], network=False, env=minimal_env()))
        env = {"bare": None, "bwrap": wrapped.env}
        times: dict[str, list[float]] = {"bare": [], "bwrap": []}
        for _ in range(40):
            for name, cmd in (("bare", argv), ("bwrap", wrapped.argv)):
                t0 = time.perf_counter()
                subprocess.run(cmd, check=True, env=env[name])
                times[name].append(time.perf_counter() - t0)
    bare, boxed = (statistics.median(times[n]) for n in ("bare", "bwrap"))
    print(
        f"python -c pass, median of 40: bare {bare * 1e3:.1f} ms, bwrap {boxed * 1e3:.1f} ms, "
        f"overhead {(boxed - bare) * 1e3:.1f} ms per process"
    )
    timed_body(python)


if __name__ == "__main__":
    main()
