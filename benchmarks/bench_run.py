"""Benchmark: scheduling overhead of `isobench run`.

N scripted attempts (the real OpenHands agent driven by the scripted `noop` LLM) at parallelism P:
the wall time of the whole `isobench run` against the ideal, sum of the attempts' own wall times / P.
Also runs the same attempts once without the sandbox, to measure bubblewrap's cost per attempt.
Run: `.venv/bin/python benchmarks/bench_run.py [N] [P]` (figures in benchmarks/RESULTS.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import TaskRepo  # noqa: E402


def isobench(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    return subprocess.run(
        [sys.executable, "-m", "isobench.cli", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    p = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        TaskRepo(t / "repo").task_yaml(t / "task.yaml")
        (t / "bench.yaml").write_text(
            "tasks: [task.yaml]\nagents:\n  openhands:\n    llm_configs:\n      - {name: noop, provider: scripted}\n"
        )
        isobench(t, "plan")
        isobench(t, "prepare")
        rows = []
        for sandbox in ([], ["--no-sandbox"]):
            t0 = time.perf_counter()
            out = isobench(t, "run", "-k", str(n), "-j", str(p), "--force", "--json", *sandbox)
            wall = time.perf_counter() - t0
            attempts = json.loads(out.stdout)
            assert len(attempts) == n and all(a["status"] == "success" for a in attempts)
            total = sum(a["wall_s"] for a in attempts)
            ideal = total / p
            rows.append((("bwrap" if not sandbox else "none"), wall, ideal, total / n))
        for name, wall, ideal, mean in rows:
            print(
                f"sandbox {name:5}: {n} attempts at P={p}: wall {wall:6.1f} s, ideal {ideal:6.1f} s, "
                f"overhead {wall / ideal - 1:+.1%}, mean attempt {mean:5.1f} s"
            )
        print(f"sandbox cost per attempt: {rows[0][3] - rows[1][3]:+.2f} s")


if __name__ == "__main__":
    main()
