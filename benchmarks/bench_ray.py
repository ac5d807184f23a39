"""Benchmark: what `--executor ray` costs per attempt, against the local executor.

N scripted attempts (the real OpenHands agent driven by the scripted `noop` LLM) on the same project,
once with the local executor at parallelism 2, once on a 2-node Ray cluster on this machine (each node
one CPU, its processes pinned to a core of its own: two one-core machines), also at parallelism 2.

For each, with N and 2N attempts: the wall time of the whole `isobench run`, the ideal (the sum of the
attempts' own wall times, as their runners measured them, / 2), and wall - ideal, split into what a run
pays once (on Ray: each node starts a worker process for the run, which imports isobench) and what each
attempt adds (scheduling; on Ray also shipping its inputs and outputs and its worker's throwaway state):
wall - ideal = once + per_attempt x N / 2, fitted through the two sizes. The cluster's own start is
reported apart, not counted.

Run: `.venv/bin/python benchmarks/bench_ray.py [N] [--out FILE]` (figures in benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.conftest import TaskRepo  # noqa: E402

P = 2
BENCH = """\
tasks: [task.yaml]
sandbox: bwrap
agents:
  openhands:
    llm_configs:
      - {name: noop, provider: scripted}
"""


def isobench(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENHANDS_SUPPRESS_BANNER": "1"}
    return subprocess.run(
        [sys.executable, "-m", "isobench.cli", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env
    )


def measure(project: Path, n: int, *executor: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    out = isobench(project, "run", "-k", str(n), "-j", str(P), "--force", "--json", *executor)
    wall = time.perf_counter() - t0
    attempts = json.loads(out.stdout)
    assert len(attempts) == n and all(a["status"] == "success" for a in attempts), out.stdout[-2000:]
    total = sum(a["wall_s"] for a in attempts)
    ideal = total / P
    nodes = sorted({(a["executor"] or {}).get("node", "this machine") for a in attempts})
    state = project / "state" / "runs"
    folders = [d for d in state.glob("*/*/*") if d.is_dir()]  # every attempt kept, also from a larger earlier N
    per_attempt = sum(f.stat().st_size for d in folders for f in d.rglob("*") if f.is_file()) / max(len(folders), 1)
    return {
        "wall_s": round(wall, 1),
        "ideal_s": round(ideal, 1),
        "mean_attempt_s": round(total / n, 1),
        "extra_s": round(wall - ideal, 1),
        "nodes": len(nodes),
        "bytes_per_attempt": round(per_attempt),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", nargs="?", type=int, default=8, help="attempts (default 8)")
    ap.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = ap.parse_args()
    from tests.ray_cluster import RayCluster

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        TaskRepo(t / "repo").task_yaml(t / "task.yaml")
        (t / "bench.yaml").write_text(BENCH)
        isobench(t, "plan")
        isobench(t, "prepare")
        sizes = (args.n, 2 * args.n)
        rows: dict[str, dict[int, dict[str, Any]]] = {"local": {n: measure(t, n) for n in sizes}}
        t0 = time.perf_counter()
        cluster = RayCluster(workers=2)
        start = time.perf_counter() - t0
        try:
            on_ray = ("--executor", "ray", "--ray-address", cluster.address)
            rows["ray"] = {n: measure(t, n, *on_ray) for n in sizes}
        finally:
            cluster.shutdown()
    print(f"attempts at P={P} (cluster start, not counted: {start:.0f} s)")
    print("| executor | attempts | wall | ideal | wall - ideal | mean attempt | nodes | bytes per attempt |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    fits = {}
    for name, by_n in rows.items():
        for n, r in by_n.items():
            print(
                f"| {name} | {n} | {r['wall_s']} s | {r['ideal_s']} s | {r['extra_s']:+} s | "
                f"{r['mean_attempt_s']} s | {r['nodes']} | {r['bytes_per_attempt']:,} |"
            )
        (n1, a), (n2, b) = by_n.items()
        per = (b["extra_s"] - a["extra_s"]) / ((n2 - n1) / P)
        fits[name] = {"once_s": round(a["extra_s"] - per * n1 / P, 1), "per_attempt_s": round(per, 2)}
    for name, f in fits.items():
        print(f"{name}: once per run {f['once_s']:+} s, per attempt {f['per_attempt_s']:+} s")
    if args.out:
        out = {"p": P, "cluster_start_s": round(start, 1), "rows": rows, "fits": fits}
        args.out.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
