"""The demo, timed stage by stage, and what it shows: the figures the README quotes come from here.

    .venv/bin/python benchmarks/bench_demo.py [--full] [--keep DIR]

Runs `./scripts/demo`'s six stages in a fresh folder (a copy of bench.yaml and tasks/, or bench-full.yaml
with --full: the full-rigour protocol), times each one, then prints per instance the human speedup with its
95% CI, the A/A twin's verdict, each provider's label, the widest CI half-width reached and how timing
stopped. --keep DIR leaves the folder (its state) for `bench_noise.py`.
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

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("plan", "prepare", "run", "score", "correlate", "export")


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--full", action="store_true", help="bench-full.yaml: the full-rigour protocol")
    ap.add_argument("--keep", type=Path, help="run in this folder and keep it")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="isobench-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / ("bench-full.yaml" if args.full else "bench.yaml"), folder / "bench.yaml")
    shutil.copytree(ROOT / "tasks", folder / "tasks", dirs_exist_ok=True)
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENHANDS_SUPPRESS_BANNER": "1"}
    times = {}
    t_all = time.monotonic()
    for stage in STAGES:
        t0 = time.monotonic()
        r = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "isobench"), stage], cwd=folder, env=env, capture_output=True, text=True
        )
        times[stage] = time.monotonic() - t0
        if r.returncode not in (0, 1):
            print(r.stdout[-2000:], r.stderr[-2000:], file=sys.stderr)
            return r.returncode
    total = time.monotonic() - t_all
    print(f"demo ({'bench-full.yaml' if args.full else 'bench.yaml'}) in {folder}: {total:.0f} s")
    print("  " + ", ".join(f"{s} {t:.0f} s" for s, t in times.items()))
    builds = [
        json.loads(p.read_text()).get("env_build_s") for p in (folder / "state" / "runs").glob("*/*/*/result.json")
    ]
    builds = sorted(b for b in builds if b is not None)
    if builds:
        print(
            f"  the agent's environment, built per attempt: median {builds[len(builds) // 2]:.1f} s, "
            f"max {builds[-1]:.1f} s"
        )
    for path in sorted((folder / "state" / "score").glob("*/score.json")):
        s = json.loads(path.read_text())
        human = s["variants"]["human"]
        lo, hi = human.get("speedup_ci") or (None, None)
        aa = (s.get("aa") or {}).get("classification")
        widest = max((v.get("halfwidth_log") or 0) for v in s["variants"].values())
        m = s.get("measurement") or {}
        labels = {
            v["provider"]: v["outcome"]["match_label"] or v["outcome"]["failure_reason"]
            for v in s["variants"].values()
            if v["kind"] == "agent"
        }
        print(
            f"  {s['instance_id']} ({s.get('timing_mode')}): human {human.get('speedup') or 0:.2f}x "
            f"[{lo or 0:.2f}, {hi or 0:.2f}] {human.get('classification')}, valid {s['valid']}; A/A {aa}; "
            f"{labels}; widest half-width {widest:.1%}; {m.get('rounds')} rounds, {m.get('stop_reason')}"
        )
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
