"""Benchmark: how long `prepare` takes for 100 instances from one repository.

Builds a synthetic repository (a few hundred files, 100 "Speed up ..." commits), plans them with
`discover`, then times `isobench prepare` for 1 and for 3 providers (fresh state each time), and a
re-run that has nothing to do. Run: `.venv/bin/python benchmarks/bench_prepare.py` (figures in
benchmarks/RESULTS.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_COMMITS = 100
N_FILES = 300
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@x",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@x",
    "GIT_CONFIG_GLOBAL": "/dev/null",
}


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, env=ENV, capture_output=True)


def build_repo(path: Path) -> None:
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "pkg").mkdir()
    for i in range(N_FILES):
        (path / "pkg" / f"mod{i}.py").write_text("".join(f"def f{j}(x):\n    return x + {j}\n" for j in range(40)))
    (path / "tests").mkdir()
    (path / "tests" / "test_x.py").write_text("def test_x():\n    pass\n")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "initial")
    for c in range(N_COMMITS):
        f = path / "pkg" / f"mod{c % N_FILES}.py"
        f.write_text(f.read_text() + f"\ndef fast{c}(x):\n    return x\n")
        git(path, "commit", "-q", "-am", f"Speed up mod{c} (#{c})")


def isobench(cwd: Path, *args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "isobench.cli", *args], cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        build_repo(t / "repo")
        (t / "task.yaml").write_text(
            "name: synth\nrepo: repo\ndiscover: {limit: 100, max_files_changed: 5}\n"
            "efficiency_test: ['python -c pass']\ntests: ['python -c pass']\n"
        )
        (t / "bench.yaml").write_text(
            "tasks: [task.yaml]\nagents:\n  openhands:\n    llm_configs:\n"
            "      - {name: a, provider: scripted, script: noop}\n      - {name: b, provider: scripted, script: noop}\n"
            "      - {name: c, provider: scripted, script: noop}\n"
        )
        plan_s = isobench(t, "--state-dir", "s1", "plan")
        one = isobench(t, "--state-dir", "s1", "prepare", "-p", "a")
        again = isobench(t, "--state-dir", "s1", "prepare", "-p", "a")
        isobench(t, "--state-dir", "s3", "plan")
        three = isobench(t, "--state-dir", "s3", "prepare")
        print(f"plan {N_COMMITS} commits (discover):           {plan_s:6.2f} s")
        print(f"prepare {N_COMMITS} instances x 1 provider:     {one:6.2f} s")
        print(f"prepare {N_COMMITS} instances x 3 providers:    {three:6.2f} s")
        print(f"prepare again (nothing to do):           {again:6.2f} s")


if __name__ == "__main__":
    main()
