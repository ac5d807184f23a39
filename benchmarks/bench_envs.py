"""Install cost: building N variants of one instance whose install commands need packages from the index.

    .venv/bin/python benchmarks/bench_envs.py [N]        # default N = 5

A throwaway repository with a src/ layout (importable only once installed) and install commands
`pip install -e .` and `pip install pytest python-dateutil`, planned as one instance; then N variants of it
are built one after another exactly as `score` builds them (copy, patch, uv venv, install commands in the
sandbox with the index reachable), starting from an empty download cache. Prints seconds per variant: the
first pays the downloads, the next ones hit the shared cache.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from isobench.config import BenchConfig  # noqa: E402
from isobench.plan import plan  # noqa: E402
from isobench.prepare import ensure_snapshot  # noqa: E402
from isobench.progress import PlainScoreReporter  # noqa: E402
from isobench.sandbox import get_sandbox  # noqa: E402
from isobench.score import Scorer  # noqa: E402
from isobench.score.variants import VariantSpec  # noqa: E402
from isobench.state import State  # noqa: E402

GIT = ["git", "-c", "user.name=b", "-c", "user.email=b@example.com"]


def make_repo(path: Path) -> None:
    path.mkdir()
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=path, check=True)
    (path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "benchlib"\nversion = "0.1"\n[tool.setuptools.packages.find]\nwhere = ["src"]\n'
    )
    (path / "src" / "benchlib").mkdir(parents=True)
    (path / "src" / "benchlib" / "__init__.py").write_text("def f():\n    return sum(range(1000))\n")
    (path / "tests").mkdir()
    (path / "tests" / "test_f.py").write_text(
        "import dateutil\nimport benchlib\n\ndef test_f():\n    assert benchlib.f()\n"
    )
    subprocess.run([*GIT, "add", "-A"], cwd=path, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "init"], cwd=path, check=True)
    (path / "src" / "benchlib" / "__init__.py").write_text("def f():\n    return 499500\n")
    subprocess.run([*GIT, "commit", "-q", "-am", "Speed up f"], cwd=path, check=True)


def main(n: int = 5) -> None:
    with tempfile.TemporaryDirectory(prefix="isobench-bench-envs-") as tmp:
        root = Path(tmp)
        make_repo(root / "repo")
        (root / "t.yaml").write_text(
            "name: b\nrepo: repo\ncommits: [{head: HEAD}]\nefficiency_test: ['python -c pass']\n"
            "install_commands: ['pip install -e .', 'pip install pytest python-dateutil']\n"
            "tests: ['python -m pytest -q -p no:cacheprovider tests']\n"
        )
        cfg = BenchConfig()
        cfg.root = root
        state = State(root / "state")
        [planned] = plan(cfg, state, [root / "t.yaml"])
        inst = planned.record
        ensure_snapshot(state, inst)
        scorer = Scorer(cfg, state, get_sandbox("bwrap"), PlainScoreReporter(sys.stderr, quiet=True))
        times = []
        for i in range(n):
            v = VariantSpec(f"v{i}", "agent", inst.patch, "bench", i + 1)
            t0 = time.perf_counter()
            rec = scorer.builder.variant(inst, v, force=True)
            times.append(time.perf_counter() - t0)
            tests = rec.tests[0].passed if rec.tests else None
            steps = ", ".join(f"{s.command} {s.seconds:.1f} s" for s in rec.build_steps)
            print(f"variant {i + 1}: {times[-1]:.2f} s (build {rec.build}, tests passed: {tests}; {steps})")
        cache = sum(f.stat().st_size for f in (state.root / "cache").rglob("*") if f.is_file())
        print(
            f"\nfirst variant {times[0]:.2f} s (empty cache), then median {statistics.median(times[1:]):.2f} s "
            f"(min {min(times[1:]):.2f}, max {max(times[1:]):.2f}); shared cache {cache / 1e6:.0f} MB"
        )
        shutil.rmtree(state.root / "score", ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
