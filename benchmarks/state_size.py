"""How big a state directory is, per thing it holds, and what a run of N instances would take.

    .venv/bin/python benchmarks/state_size.py STATE_DIR [--instances 100] [--json FILE]

Sums the files of every attempt folder (`runs/<instance>/<provider>/<n>/`), every scored variant (its
record in `score/<instance>/variants/` plus its share of the instance's samples.jsonl and score.json),
and every instance's fixed part (its plan record, the snapshot of its base, its prompts). Checkouts and
environments left in the state (`workspace/`, `score/*/envs/`, from `--keep-work` or an older isobench)
are counted apart. The N-instance figure is the measured means scaled: N x (fixed + attempts per
instance x attempt + variants per instance x variant).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path


def size(path: Path) -> int:
    if not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def measure(state: Path) -> dict[str, float]:
    attempts, workspaces = [], []
    for d in state.glob("runs/*/*/*"):
        if d.is_dir():
            ws = size(d / "workspace")
            workspaces.append(ws)
            attempts.append(size(d) - ws)
    variants, envs, fixed = [], [], []
    for sdir in state.glob("score/*"):
        records = list((sdir / "variants").glob("*.json"))
        if not records:
            continue
        shared = (size(sdir / "samples.jsonl") + size(sdir / "score.json")) / len(records)
        variants += [size(r) + shared for r in records]
        envs += [size(e) for e in (sdir / "envs").glob("*")] if (sdir / "envs").is_dir() else []
    for pdir in state.glob("prepare/*"):
        iid = pdir.name
        fixed.append(size(pdir) + size(state / "plan" / iid))
    n_inst = max(len(fixed), 1)
    return {
        "instances": len(fixed),
        "attempts": len(attempts),
        "variants": len(variants),
        "bytes_per_attempt": statistics.mean(attempts) if attempts else 0,
        "max_bytes_per_attempt": max(attempts, default=0),
        "bytes_per_variant": statistics.mean(variants) if variants else 0,
        "bytes_per_instance_fixed": statistics.mean(fixed) if fixed else 0,
        "attempts_per_instance": len(attempts) / n_inst,
        "variants_per_instance": len(variants) / n_inst,
        "checkouts_bytes_per_attempt": statistics.mean(workspaces) if workspaces else 0,
        "envs_bytes_per_variant": statistics.mean(envs) if envs else 0,
        "total_bytes": size(state),
        "cache_bytes": size(state / "cache"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("state", type=Path)
    ap.add_argument("--instances", type=int, default=100)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    m = measure(args.state)
    per_instance = (
        m["bytes_per_instance_fixed"]
        + m["attempts_per_instance"] * m["bytes_per_attempt"]
        + m["variants_per_instance"] * m["bytes_per_variant"]
    )
    m[f"projected_bytes_{args.instances}_instances"] = args.instances * per_instance
    kept = m["checkouts_bytes_per_attempt"] * m["attempts_per_instance"]
    kept += m["envs_bytes_per_variant"] * m["variants_per_instance"]
    m[f"projected_bytes_{args.instances}_instances_keep_work"] = args.instances * (per_instance + kept)
    mb = 1e6
    print(
        f"{args.state}: {m['instances']} instances, {m['attempts']} attempts, {m['variants']} scored variants, "
        f"{m['total_bytes'] / mb:.1f} MB in all ({m['cache_bytes'] / mb:.1f} MB of it uv's cache)"
    )
    print(f"  per attempt  {m['bytes_per_attempt'] / 1e3:8.1f} kB (max {m['max_bytes_per_attempt'] / 1e3:.1f} kB)")
    print(f"  per variant  {m['bytes_per_variant'] / 1e3:8.1f} kB")
    print(f"  per instance {m['bytes_per_instance_fixed'] / 1e3:8.1f} kB (plan, base snapshot, prompts)")
    if kept:
        print(
            f"  left checkouts: {m['checkouts_bytes_per_attempt'] / mb:.1f} MB per attempt workspace, "
            f"{m['envs_bytes_per_variant'] / mb:.1f} MB per variant copy + venv"
        )
    keep = m[f"projected_bytes_{args.instances}_instances_keep_work"] / mb
    print(
        f"  {args.instances} instances like these: {m[f'projected_bytes_{args.instances}_instances'] / mb:.0f} MB"
        + (f" (keeping every checkout and venv: {keep:.0f} MB)" if kept else " (no checkout or venv left to count)")
    )
    if args.json:
        args.json.write_text(json.dumps(m, indent=2))


if __name__ == "__main__":
    main()
