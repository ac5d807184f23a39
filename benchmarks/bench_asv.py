"""What an asv suite costs `score`, and how that grows with the number of benchmarks N.

    .venv/bin/python benchmarks/bench_asv.py [--n 1 2 4 6] [--keep DIR]

Builds the demo repository, then for each N scores the demo's opt-ngrams commit (ngram_counts, ~2x) with its
asv suite as the only workload (as a FormulaCode row is), restricted by `asv.bench` to N of the base's six
benchmarks (time_ngram_counts first: the one the human's change moves), with base, its A/A twin and the
human (no agent: the cost per variant pair is what scales with agents). bench.yaml's asv keys are their
defaults (5 screening rounds, 10 s per variant pair and benchmark in the full pass); the judged workload (the
kept benchmarks as one call) gets `time_budget_s: 10` per pair. Prints per N: the benchmarks the human's change
moves (kept by screening / moved in the full pass), the screening pass's seconds (in all and per
benchmark), the full pass's (in all and per kept benchmark and variant pair), the judged workload's timing,
the whole `score` (builds and tests included), and the human's geometric-mean speedup on the suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
ISOBENCH = [sys.executable, "-m", "isobench.cli"]
ORDER = ["ngram", "tokenize", "stopwords", "wrap", "ascii", "accented"]


def run(cwd: Path, *args: str) -> object:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENHANDS_SUPPRESS_BANNER": "1"}
    r = subprocess.run([*ISOBENCH, *args, "--json"], cwd=cwd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"isobench {' '.join(args)}: exit {r.returncode}\n{r.stderr[-3000:]}")
    return json.loads(r.stdout)


def score_suite(folder: Path, repo: Path, n: int) -> dict[str, float | str]:
    """Plan and score the demo's opt-ngrams with the first `n` benchmarks of ORDER; its figures."""
    folder.mkdir(parents=True)
    (folder / "tasks").mkdir()
    task = {
        "name": "demo",
        "repo": str(repo),
        "commits": [{"head": "opt-ngrams"}],
        "asv": {"bench": "|".join(ORDER[:n])},
        "tests": ["python -m unittest discover -s tests -q"],
    }
    (folder / "tasks" / "t.yaml").write_text(yaml.safe_dump(task))
    bench = {"tasks": ["tasks/t.yaml"], "score": {"time_budget_s": 10}}
    (folder / "bench.yaml").write_text(yaml.safe_dump(bench))
    run(folder, "plan")
    t0 = time.monotonic()
    [res] = run(folder, "score")  # type: ignore[misc]
    wall = time.monotonic() - t0
    asv = res["asv"]
    pairs = len(res["measurement"]["variants"]) - 1
    human = res["variants"]["human"]["asv"]
    ci = human.get("speedup_ci") or [float("nan")] * 2
    kept = sum(b["status"] in ("moved", "unmoved") for b in asv["benchmarks"])
    return {
        "n": n,
        "moved": f"{kept} / {len(asv['headline'])}",
        "screen": asv["screen_wall_s"],
        "screen_each": asv["screen_wall_s"] / n,
        "full": asv["timing_wall_s"],
        "full_each": asv["timing_wall_s"] / max(1, kept) / pairs,
        "shown": res["measurement"]["wall_s"] + res["measurement"]["warmup_s"],
        "score": wall,
        "human": f"{human['speedup']:.2f} [{ci[0]:.2f}, {ci[1]:.2f}]" if human.get("speedup") else "-",
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1, 2, 4, 6], help="suite sizes (1 to 6)")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = ap.parse_args()
    top = args.keep or Path(tempfile.mkdtemp(prefix="isobench-asv-"))
    top.mkdir(parents=True, exist_ok=True)
    repo = top / "demo-repo"
    if not repo.exists():
        subprocess.run([sys.executable, "-m", "isobench.demo_repo", str(repo)], check=True, capture_output=True)
    rows = [score_suite(top / f"n{n}", repo, n) for n in args.n]
    print(f"asv suite cost on the demo's opt-ngrams (base, A/A twin, human: 2 variant pairs); {os.cpu_count()} cores")
    print()
    print(
        "| N | kept / moved | screening s | screening s per benchmark | full pass s | full pass s per kept benchmark "
        "and variant pair | judged workload s | whole score s | human suite speedup [95% CI] |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['n']} | {r['moved']} | {r['screen']:.1f} | {r['screen_each']:.1f} | {r['full']:.1f} | "
            f"{r['full_each']:.1f} | {r['shown']:.1f} | {r['score']:.1f} | {r['human']} |"
        )
    if not args.keep:
        shutil.rmtree(top, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
