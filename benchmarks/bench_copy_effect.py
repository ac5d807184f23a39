"""What makes a copy a copy: which differences between identical copies of code move their timings, held
fixed per copy, and whether a layout drawn anew every round (`ProtocolConfig.layout="random"`) averages it out.

    .venv/bin/python benchmarks/bench_copy_effect.py [--work /tmp/copy-effect] [--copies 6] [--rounds 24]
        [--repeat 1] [--experiments copies,copies_random,env,path,seed,aslr] [--json FILE]

Builds the demo repository and `--copies` identical copies of its opt-small commit (the slugify instance,
where two copies of the same patch were once measured 4-5% apart), each in its own folder (neutral names of
equal length, as `isobench score` names them) with its own venv, byte-compiled as score does. Then each
experiment is one measurement by the protocol itself (`isobench.measure.protocol.measure`: interleaved rounds,
fresh processes, every variant in every round, calls ABBA) of `--copies` variants of identical code that
differ in one thing only, held fixed per variant:

- `copies`: the copies themselves (folder, venv, byte-code), the layout fixed: the protocol before this change;
- `copies_random`: the same copies with the layout drawn anew every round: the protocol now;
- `env`: one copy, a fixed environment padding per variant, 0 to 4 KiB;
- `path`: one copy reached through symlinked paths of different lengths (its venv, sys.path, every __file__);
- `seed`: one copy, a fixed PYTHONHASHSEED per variant (the protocol draws one per round);
- `aslr`: as `env`, with address-space layout randomization off (`setarch -R`): what ASLR hides.

The experiments alternate `--repeat` times, so a slow phase of the machine hits them alike. Per experiment:
each round's log times minus the round's mean over its variants; each variant's median of that over rounds
(its fixed offset); S, the standard deviation of those offsets, against S0, what the same rounds give with
the labels permuted within every round (round noise alone); the permutation p-value and the fixed effect's
size, sqrt(max(0, S^2 - S0^2)). The process's place in the round: the median offset by position. And for
`copies` and `copies_random`, with copy 0 as base, copy 1 as its A/A twin and the others as identical agents:
how often each interval excludes 1.0 (block bootstrap alone; widened by the A/A twin's whole reach; widened
by the residual copy effect at any number of rounds; as `stats.with_copy_spread` reports it).

    --coverage MINUTES [--coverage-rounds N | --coverage-budget S]
                                               identical code at the demo's short look, the layout random:
        measurement after measurement of the copies of the demo's opt-ngrams commit, its four instances'
        workloads in turn, each interval by each rule (`--report FILE` prints them again)
    --demo STATE [STATE ...]                   the same figures, the human's half-width and the oracle's
        match label by each rule, from the samples of `isobench score` states
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from isobench.demo_repo import build as build_demo  # noqa: E402
from isobench.envs import uv_binary, variant_env  # noqa: E402
from isobench.measure.config import ProtocolConfig, Variant  # noqa: E402
from isobench.measure.protocol import Measurement, measure  # noqa: E402
from isobench.measure.stats import (  # noqa: E402
    RESIDUAL_MIN_N,
    RatioEstimate,
    match_labels,
    ratio_estimate,
    with_copy_spread,
)
from isobench.score.variants import dirname  # noqa: E402

EXPERIMENTS = ("copies", "copies_random", "env", "path", "seed", "aslr")
CALLABLE = "benchmarks.workloads:slugify"
PERMUTATIONS = 2000


def make_copies(work: Path, n: int, commit: str = "opt-small") -> list[Path]:
    """`n` copies of a demo commit, each `<work>/<commit>/v<8 hex>/{repo,venv}`, byte-compiled."""
    demo = work / "demo-repo"
    build_demo(demo)
    copies = []
    for i in range(n):
        vdir = work / ("copies" if commit == "opt-small" else commit) / dirname(f"copy-{i}")
        if not (vdir / "venv" / "bin" / "python").exists():
            shutil.rmtree(vdir, ignore_errors=True)
            (vdir / "repo").mkdir(parents=True)
            archive = subprocess.run(["git", "-C", str(demo), "archive", commit], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(vdir / "repo")], input=archive.stdout, check=True)
            subprocess.run([uv_binary(), "venv", "-q", "--python", sys.executable, str(vdir / "venv")], check=True)
            subprocess.run([str(vdir / "venv/bin/python"), "-m", "compileall", "-q", str(vdir / "repo")], check=True)
        copies.append(vdir)
    return copies


def variant(name: str, vdir: Path, **kw: Any) -> Variant:
    """The slugify workload of the copy in `vdir` (a path that may go through a symlink), as score runs it."""
    venv = vdir / "venv"
    env = {**variant_env(venv), **kw.pop("env", {})}
    if "command" not in kw:
        kw.setdefault("callable", CALLABLE)
    return Variant(name=name, cwd=vdir / "repo", python=str(venv / "bin" / "python"), env=env, **kw)


# The demo's four instances' workloads as tasks/demo.yaml times them (at its last optimisation, opt-ngrams).
DEMO_WORKLOADS = (
    {"callable": "benchmarks.workloads:stopwords"},
    {"callable": "benchmarks.workloads:wrap"},
    {"callable": "benchmarks.workloads:slugify"},
    {"command": "python -m benchmarks.run ngrams"},
)


def coverage_run(
    work: Path, k: int, minutes: float, out: Path, rounds: int | None = None, budget: float | None = None
) -> None:
    """Identical code's intervals at the demo's short look (bench.yaml: 8-40 rounds, +-2% or 6 s per pair),
    the layout random: measurement after measurement of `k` copies of the demo's opt-ngrams commit, the four
    instances' workloads in turn, until `minutes` have passed; every measurement's samples go to `out`
    (`--report` reads them: copy 0 as base, copy 1 its A/A twin, the others identical agents). `rounds`:
    exactly that many rounds per measurement instead (what the short look gives on a quieter machine). `budget`:
    the full-rigour protocol instead (bench-full.yaml: 10-200 rounds, +-1% or `budget` s per pair), its stop
    judged on the intervals as reported, copy 1 as the A/A twin (`ProtocolConfig.twin`), as `isobench score`
    times an instance."""
    copies = make_copies(work, k, commit="opt-ngrams")
    results: list[dict[str, Any]] = json.loads(out.read_text()) if out.is_file() else []
    deadline = time.time() + 60 * minutes
    i = len(results)
    while time.time() < deadline:
        what = DEMO_WORKLOADS[i % len(DEMO_WORKLOADS)]
        variants = [variant(f"c{j}", c, **what) for j, c in enumerate(copies)]
        names = [v.name for v in variants]
        config = ProtocolConfig(
            min_rounds=8, max_rounds=40, target_halfwidth=0.02, time_budget_s=6.0 * (k - 1), seed=i, reference="c0"
        )
        if rounds is not None:
            config = replace(config, min_rounds=rounds, max_rounds=rounds, time_budget_s=1e9)
        if budget is not None:
            config = replace(
                config, min_rounds=10, max_rounds=200, target_halfwidth=0.01, time_budget_s=budget * (k - 1), twin="c1"
            )
        m = measure(variants, config)
        if not m.failed and m.rounds >= 5:
            samples = {n: m.samples[n] for n in names}
            exp = "coverage" if rounds is None else f"coverage{rounds}"
            exp = f"coverage{budget:g}s" if budget is not None else exp
            results.append({"experiment": exp, "workload": what, "names": names, "samples": samples})
            out.write_text(json.dumps(results))
        i += 1
    print(f"{len(results)} measurements in {out}")


def padding(i: int, k: int) -> dict[str, str]:
    """Variant i of k's fixed environment padding: 0 to 4 KiB, in steps that are not a multiple of 16."""
    return {"ISOBENCH_PAD": "x" * (i * 4096 // k + 3 * i)}


def experiment(name: str, copies: list[Path], work: Path) -> tuple[list[Variant], str]:
    """An experiment's variants (identical code, one difference held fixed per variant) and its layout."""
    k = len(copies)
    if name in ("copies", "copies_random"):
        return [variant(f"c{i}", c) for i, c in enumerate(copies)], "random" if name == "copies_random" else "fixed"
    if name == "env":
        return [variant(f"c{i}", copies[0], env=padding(i, k)) for i in range(k)], "fixed"
    if name == "path":
        links = work / "links"
        links.mkdir(exist_ok=True)
        out = []
        for i in range(k):
            link = links / ("p" * (1 + 24 * i))  # 1 to 1 + 24 (k - 1) characters longer
            if not link.is_symlink():
                link.symlink_to(copies[0])
            out.append(variant(f"c{i}", link))
        return out, "fixed"
    if name == "seed":
        return [variant(f"c{i}", copies[0], env={"PYTHONHASHSEED": str(1000 + i)}) for i in range(k)], "fixed"
    if name == "aslr":
        arch = platform.machine()

        def no_aslr(argv: list[str]) -> list[str]:
            return ["setarch", arch, "-R", *argv]

        return [variant(f"c{i}", copies[0], env=padding(i, k), wrap=no_aslr) for i in range(k)], "fixed"
    raise ValueError(f"unknown experiment {name!r}; one of {', '.join(EXPERIMENTS)}")


def offsets(logs: np.ndarray) -> np.ndarray:
    """Per variant (rows), the median over rounds (columns) of its log time minus the round's mean."""
    return np.asarray(np.median(logs - logs.mean(axis=0, keepdims=True), axis=1))


def fixed_effect(logs: np.ndarray, seed: int) -> dict[str, float]:
    """The spread of the variants' fixed offsets against round noise alone (labels permuted within rounds)."""
    s = float(np.std(offsets(logs), ddof=1))
    rng = np.random.default_rng(seed)
    null = np.empty(PERMUTATIONS)
    for b in range(PERMUTATIONS):
        perm = np.argsort(rng.random(logs.shape), axis=0)
        null[b] = np.std(offsets(np.take_along_axis(logs, perm, axis=0)), ddof=1)
    s0 = float(np.sqrt(np.mean(null**2)))
    return {
        "spread": s,
        "noise_spread": s0,
        "p": float((1 + np.sum(null >= s)) / (PERMUTATIONS + 1)),
        "fixed_sd": math.sqrt(max(0.0, s * s - s0 * s0)),
        "range": float(np.ptp(offsets(logs))),
    }


def by_position(m: Measurement, names: list[str], logs: np.ndarray) -> list[float]:
    """The median offset of a process by its place in the round (first started, second, ...)."""
    centred = logs - logs.mean(axis=0, keepdims=True)
    pos: list[list[float]] = [[] for _ in names]
    for r, order in enumerate(m.orders):
        for p, name in enumerate(order):
            pos[p].append(float(centred[names.index(name), r]))
    return [float(np.median(v)) for v in pos]


def old_spread(est: RatioEstimate, aa: RatioEstimate) -> RatioEstimate:
    """The widening before this change: the A/A twin's whole reach beyond 1 on each side."""
    up, down = max(0.0, math.log(aa.ci_high)), max(0.0, -math.log(aa.ci_low))
    lo, hi = math.log(est.ci_low) - up, math.log(est.ci_high) + down
    return RatioEstimate(math.exp((lo + hi) / 2), math.exp(lo), math.exp(hi), est.n, (hi - lo) / 2, None)


def coverage(samples: dict[str, list[float]], names: list[str]) -> list[dict[str, Any]]:
    """Copy 0 as base, copy 1 its A/A twin, the others identical agents: each comparison's intervals, computed
    from the recorded samples by the rule of the code that reads them (`--report` recomputes them)."""
    base, twin, agents = names[0], names[1], names[2:]
    aa = ratio_estimate(samples[base], samples[twin])
    rows: list[dict[str, Any]] = [{"variant": twin, "block": [aa.ci_low, aa.ci_high], "old": None, "new": None}]
    for a in agents:
        est = ratio_estimate(samples[base], samples[a])
        old, new = old_spread(est, aa), with_copy_spread(est, aa)
        # the residual rule whatever the number of rounds (score.json applies it from RESIDUAL_MIN_N rounds on)
        resid = with_copy_spread(replace(est, n=max(est.n, RESIDUAL_MIN_N)), replace(aa, n=max(aa.n, RESIDUAL_MIN_N)))
        rows.append(
            {
                "variant": a,
                "block": [est.ci_low, est.ci_high],
                "old": [old.ci_low, old.ci_high],
                "new": [new.ci_low, new.ci_high],
                "resid": [resid.ci_low, resid.ci_high],
                "value": est.value,
            }
        )
    for row in rows:
        row["base"] = base
    return rows


def run_one(name: str, copies: list[Path], work: Path, rounds: int, seed: int) -> dict[str, Any]:
    """One measurement of an experiment and its figures."""
    variants, layout = experiment(name, copies, work)
    names = [v.name for v in variants]
    config = ProtocolConfig(
        min_rounds=rounds, max_rounds=rounds, time_budget_s=1e9, seed=seed, layout=layout, reference=names[0]
    )
    t0 = time.time()
    m = measure(variants, config, samples_path=work / "samples" / f"{name}-{seed}.jsonl")
    if m.failed:
        return {"experiment": name, "failed": m.failed}
    logs = np.log(np.array([m.samples[n] for n in names]))
    out: dict[str, Any] = {
        "experiment": name,
        "seed": seed,
        "rounds": m.rounds,
        "wall_s": time.time() - t0,
        "load_1min": os.getloadavg()[0],
        "offsets": offsets(logs).tolist(),
        **fixed_effect(logs, seed),
        "by_position": by_position(m, names, logs),
        "vs_first": [
            {"variant": n, "value": e.value, "ci": [e.ci_low, e.ci_high]} for n in names[1:] for e in [m.speedup(n)]
        ],
    }
    out["names"] = names
    out["samples"] = {n: m.samples[n] for n in names}
    return out


def excludes(ci: list[float] | None) -> bool:
    return ci is not None and not ci[0] <= 1.0 <= ci[1]


def report(results: list[dict[str, Any]]) -> None:
    """The tables of benchmarks/RESULTS.md."""
    print(
        "| experiment | measurements | fixed offsets' SD | round noise alone | permutation p | fixed effect (SD) "
        "| range of offsets | vs variant 0, CI excl. 1 |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in EXPERIMENTS:
        rows = [r for r in results if r["experiment"] == name and "failed" not in r]
        if not rows:
            continue

        def pct(key: str, rows: list[dict[str, Any]] = rows) -> str:
            return ", ".join(f"{100 * r[key]:.2f}%" for r in rows)

        excl = sum(excludes(v["ci"]) for r in rows for v in r["vs_first"])
        total = sum(len(r["vs_first"]) for r in rows)
        ps = ", ".join(f"{r['p']:.3f}" for r in rows)
        print(
            f"| {name} | {len(rows)} | {pct('spread')} | {pct('noise_spread')} | {ps} | {pct('fixed_sd')} "
            f"| {pct('range')} | {excl}/{total} |"
        )
    positions = [r["by_position"] for r in results if r["experiment"].startswith("copies") and "failed" not in r]
    if positions:
        med = np.median(np.array(positions), axis=0)
        print(
            "\nplace in the round (median offset, copies experiments): "
            + ", ".join(f"{i + 1}: {100 * v:+.2f}%" for i, v in enumerate(med))
        )
    for name in (
        "copies",
        "copies_random",
        "coverage",
        *sorted({str(r["experiment"]) for r in results} - set(EXPERIMENTS) - {"coverage"}),
    ):
        done = [r for r in results if r["experiment"] == name and "failed" not in r]
        rows = [c for r in done for c in coverage(r["samples"], r["names"])]
        if not rows:
            continue
        n = len(rows)
        print(f"\n{name}: {len(done)} measurements, {n} comparisons of identical code (the A/A twin's own: block)")
        for rule, label in (
            ("block", "block bootstrap alone"),
            ("old", "widened by the A/A reach (before)"),
            ("resid", "widened by the residual copy effect, at any number of rounds"),
            ("new", f"as score.json reports it now (the residual from {RESIDUAL_MIN_N} rounds on)"),
        ):
            k = sum(excludes(c[rule] if c["new"] is not None else c["block"]) for c in rows)
            lo, hi = _clopper_pearson(k, n)
            print(f"  CI excludes 1.0, {label}: {k}/{n} = {k / n:.1%} [{lo:.1%}, {hi:.1%}]")
        widths = {
            rule: [math.log(c[rule][1] / c[rule][0]) / 2 for c in rows if c["new"] is not None]
            for rule in ("block", "old", "resid", "new")
        }
        print(
            "  identical agents' CI half-width, median: "
            + ", ".join(f"{rule} {100 * float(np.median(w)):.2f}%" for rule, w in widths.items() if w)
        )


def _noise_module() -> Any:
    """benchmarks/bench_noise.py, for its reading of score states (measurements, identical pairs)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_noise", Path(__file__).with_name("bench_noise.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _clopper_pearson(k: int, n: int) -> tuple[float, float]:
    from scipy.stats import beta

    lo = 0.0 if k == 0 else float(beta.ppf(0.025, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(0.975, k + 1, n - k))
    return lo, hi


def demo_figures(states: list[Path]) -> None:
    """For every measurement of `isobench score` states: identical code's intervals (block alone, widened by
    the A/A reach as before, widened by the residual as now), the human speedup's reported half-width and the
    oracle's match label, by each rule, recomputed from samples.jsonl."""
    noise = _noise_module()
    rows: list[dict[str, Any]] = []
    human_hw: dict[str, list[float]] = {"old": [], "new": [], "block": []}
    labels: dict[str, list[str]] = {"old": [], "new": []}
    for state in states:
        for score_path in sorted(state.glob("score/*/score.json")):
            score = json.loads(score_path.read_text())
            kinds = noise.identical_pairs(state, score["instance_id"], score)
            for run in noise.runs_of(score_path.parent / "samples.jsonl").values():
                series = run["series"]
                aa_pair = noise.paired(series, "base", "base_aa")
                if len(aa_pair[0]) < 5 or "human" not in series:
                    continue
                aa = ratio_estimate(*aa_pair)
                human = ratio_estimate(*noise.paired(series, "base", "human"))
                for rule, widen in (("old", old_spread), ("new", with_copy_spread)):
                    human_hw[rule].append(widen(human, aa).halfwidth_log)
                human_hw["block"].append(human.halfwidth_log)
                for kind, ref, name in kinds:
                    a, b = noise.paired(series, ref, name)
                    if len(a) < 5:
                        continue
                    est = ratio_estimate(a, b)
                    row = {"kind": kind, "block": [est.ci_low, est.ci_high]}
                    for rule, widen in (("old", old_spread), ("new", with_copy_spread)):
                        wide = est if kind == "A/A" else widen(est, aa)
                        row[rule] = [wide.ci_low, wide.ci_high]
                        if kind == "oracle/human":
                            labels[rule].append(str(match_labels(wide)["match_label"]))
                    rows.append(row)
    n = len(rows)
    kinds = ", ".join(f"{k} {v}" for k, v in Counter(r["kind"] for r in rows).items())
    print(f"identical-code comparisons: {n} ({kinds})")
    for rule, label in (
        ("block", "block bootstrap alone"),
        ("old", "widened by the A/A reach (before)"),
        ("new", f"as score.json reports it now (the residual from {RESIDUAL_MIN_N} rounds on)"),
    ):
        k = sum(excludes(r[rule]) for r in rows)
        lo, hi = _clopper_pearson(k, n) if n else (0.0, 1.0)
        print(f"  CI excludes 1.0, {label}: {k}/{n} = {k / max(n, 1):.1%} [{lo:.1%}, {hi:.1%}]")
    for rule in ("block", "old", "new"):
        hw = human_hw[rule]
        if hw:
            print(
                f"  human CI half-width ({rule}): median {100 * float(np.median(hw)):.2f}%, max {100 * max(hw):.2f}%"
                f" ({len(hw)} measurements)"
            )
    for rule in ("old", "new"):
        print(f"  oracle match labels ({rule}): {dict(Counter(labels[rule]))}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/copy-effect"))
    ap.add_argument("--copies", type=int, default=6)
    ap.add_argument("--rounds", type=int, default=24)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--experiments", default=",".join(EXPERIMENTS))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--report", type=Path, help="only print the tables of an earlier --json")
    ap.add_argument("--demo", type=Path, nargs="+", help="only the figures of these `isobench score` states")
    ap.add_argument("--coverage", type=float, metavar="MINUTES", help="only coverage at the short look, this long")
    ap.add_argument("--coverage-rounds", type=int, help="... with exactly this many rounds per measurement")
    ap.add_argument(
        "--coverage-budget", type=float, metavar="S", help="... with the full-rigour protocol at S seconds per pair"
    )
    args = ap.parse_args(argv)
    if args.report is not None:
        report(json.loads(args.report.read_text()))
        return 0
    if args.demo:
        demo_figures(args.demo)
        return 0
    if args.coverage:
        args.work.mkdir(parents=True, exist_ok=True)
        out = args.json or args.work / "coverage.json"
        coverage_run(args.work, args.copies, args.coverage, out, args.coverage_rounds, args.coverage_budget)
        return 0
    names = [e.strip() for e in args.experiments.split(",") if e.strip()]
    unknown = [n for n in names if n not in EXPERIMENTS]
    if unknown or args.copies < 3:
        print(f"unknown experiments {unknown} or fewer than 3 copies", file=sys.stderr)
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    copies = make_copies(args.work, args.copies)
    results: list[dict[str, Any]] = []
    for rep in range(args.repeat):
        for name in names:
            res = run_one(name, copies, args.work, args.rounds, seed=rep)
            results.append(res)
            print(json.dumps({k: v for k, v in res.items() if k not in ("samples", "vs_first")}), flush=True)
            if args.json is not None:
                args.json.write_text(json.dumps(results, indent=1))
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
