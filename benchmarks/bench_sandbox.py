"""Benchmark: the cost of starting one command in the bubblewrap sandbox.

`python -c pass` 40 times bare and 40 times in bwrap (interleaved), median wall time of each.
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
from isobench.sandbox import BwrapSandbox, SandboxSpec, minimal_env  # noqa: E402


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


if __name__ == "__main__":
    main()
