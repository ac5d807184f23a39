#!/usr/bin/env python3
"""Plain interleaved timing of one workload script on a base and a head commit.

This is the by-hand cross-check for isobench's numbers: no isobench code, stdlib only.

    python reference_timing.py REPO BASE HEAD WORKLOAD [--rounds 20] [--mode process|inprocess|both]

It makes two temporary git worktrees (BASE and HEAD, detached) and times the workload in each:

* process mode: one fresh interpreter per sample, ``PYTHON WORKLOAD`` with the worktree as the
  current directory, in the order A B B A A B ... so that drifts of the machine hit both sides
  alike; the sample is the wall time of the whole process (start-up and imports included).
* inprocess mode: one long-lived interpreter per side (cwd = its worktree) that runs the workload
  with ``runpy.run_path`` on request and reports the wall time of that call; the two are asked in
  turn (A B B A ...), after a few warm-up calls each, so imports are paid once and not timed.

It prints the median of each side and the speedup median(base) / median(head) with a percentile
bootstrap 95% confidence interval (the rounds, i.e. (base, head) pairs, are resampled).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

# The child of the in-process mode: reads one line per request, runs the workload, answers the time.
_SERVER = r"""
import json, runpy, sys, time
path = sys.argv[1]
for line in sys.stdin:
    t0 = time.perf_counter()
    runpy.run_path(path, run_name="__main__")
    dt = time.perf_counter() - t0
    sys.stdout.write(json.dumps(dt) + "\n")
    sys.stdout.flush()
"""


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout.strip()


def order(i: int) -> tuple[str, str]:
    """A B, B A, A B, ... (the pair order alternates every round)."""
    return ("base", "head") if i % 2 == 0 else ("head", "base")


def time_process(python: str, workload: str, dirs: dict[str, str], rounds: int, warmup: int) -> dict[str, list[float]]:
    def once(side: str) -> float:
        t0 = time.perf_counter()
        r = subprocess.run([python, workload], cwd=dirs[side], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        dt = time.perf_counter() - t0
        if r.returncode != 0:
            sys.exit(f"workload failed on {side} (exit {r.returncode}):\n{r.stderr.decode(errors='replace')[-2000:]}")
        return dt

    for _ in range(warmup):  # also writes the .pyc files of each worktree
        once("base"), once("head")
    times: dict[str, list[float]] = {"base": [], "head": []}
    for i in range(rounds):
        for side in order(i):
            times[side].append(once(side))
    return times


def time_inprocess(
    python: str, workload: str, dirs: dict[str, str], rounds: int, warmup: int
) -> dict[str, list[float]]:
    procs = {
        side: subprocess.Popen(
            [python, "-c", _SERVER, workload], cwd=d, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for side, d in dirs.items()
    }

    def once(side: str) -> float:
        p = procs[side]
        p.stdin.write("run\n")
        p.stdin.flush()
        line = p.stdout.readline()
        if not line:
            sys.exit(f"in-process workload failed on {side} (exit {p.wait()})")
        return json.loads(line)

    try:
        for _ in range(max(warmup, 1)):
            once("base"), once("head")
        times: dict[str, list[float]] = {"base": [], "head": []}
        for i in range(rounds):
            for side in order(i):
                times[side].append(once(side))
        return times
    finally:
        for p in procs.values():
            p.stdin.close()
            p.wait()


def bootstrap_ci(base: list[float], head: list[float], n: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap of median(base) / median(head), resampling rounds (pairs) with replacement."""
    rng = random.Random(seed)
    k = len(base)
    stats = []
    for _ in range(n):
        idx = [rng.randrange(k) for _ in range(k)]
        stats.append(statistics.median(base[j] for j in idx) / statistics.median(head[j] for j in idx))
    stats.sort()
    return stats[int(0.025 * n)], stats[min(n - 1, int(0.975 * n))]


def report(label: str, times: dict[str, list[float]]) -> dict:
    b, h = times["base"], times["head"]
    mb, mh = statistics.median(b), statistics.median(h)
    lo, hi = bootstrap_ci(b, h)
    pair = statistics.median(x / y for x, y in zip(b, h, strict=False))
    print(
        f"{label:10s} base {mb * 1e3:9.2f} ms  head {mh * 1e3:9.2f} ms  "
        f"speedup {mb / mh:6.3f}x  95% CI [{lo:.3f}, {hi:.3f}]  "
        f"(median paired ratio {pair:.3f}, {len(b)} rounds)"
    )
    return {
        "mode": label,
        "base_median_s": mb,
        "head_median_s": mh,
        "speedup": mb / mh,
        "ci95": [lo, hi],
        "median_paired_ratio": pair,
        "rounds": len(b),
        "base": b,
        "head": h,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("repo", help="path of a git clone holding both commits")
    ap.add_argument("base", help="base commit (e.g. the head's first parent)")
    ap.add_argument("head", help="head commit (the optimization)")
    ap.add_argument("workload", help="workload script (outside the repository); run with cwd = the worktree")
    ap.add_argument("--rounds", type=int, default=20, help="timed (base, head) pairs per mode (default 20)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs per side first (default 2)")
    ap.add_argument("--mode", choices=["process", "inprocess", "both"], default="both")
    ap.add_argument("--python", default=sys.executable, help="interpreter to run the workload with")
    ap.add_argument("--json", help="also write all samples to this JSON file")
    a = ap.parse_args()

    workload = os.path.abspath(a.workload)
    repo = os.path.abspath(a.repo)
    base, head = git("-C", repo, "rev-parse", a.base + "^{commit}"), git("-C", repo, "rev-parse", a.head + "^{commit}")
    print(f"repo {repo}\nbase {base}\nhead {head}\nworkload {workload}\npython {a.python}")
    results = []
    with tempfile.TemporaryDirectory(prefix="reftiming-") as tmp:
        dirs = {"base": os.path.join(tmp, "base"), "head": os.path.join(tmp, "head")}
        for side, sha in (("base", base), ("head", head)):
            git("-C", repo, "worktree", "add", "--detach", "--quiet", dirs[side], sha)
        try:
            if a.mode in ("process", "both"):
                results.append(report("process", time_process(a.python, workload, dirs, a.rounds, a.warmup)))
            if a.mode in ("inprocess", "both"):
                results.append(report("inprocess", time_inprocess(a.python, workload, dirs, a.rounds, a.warmup)))
        finally:
            for d in dirs.values():
                subprocess.run(["git", "-C", repo, "worktree", "remove", "--force", d], capture_output=True)
            subprocess.run(["git", "-C", repo, "worktree", "prune"], capture_output=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"repo": repo, "base": base, "head": head, "workload": workload, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
