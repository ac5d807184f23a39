"""False verdicts on identical code, CI calibration, precision and repeatability, from recorded samples.

    .venv/bin/python benchmarks/bench_noise.py STATE_DIR [STATE_DIR ...] [--min-gain 0.05] [--json FILE]

Reads every measurement (`run_id`) in `score/*/samples.jsonl` of the given state directories (each
`isobench score --force` adds one) and, per measurement, the pairs of variants whose code is identical:

- base against its A/A twin (`base_aa`, a second copy of base built separately);
- base against every agent attempt whose patch is empty (`noop`): a third copy of base;
- human against every attempt whose patch is the human's own (`oracle`): a copy of the human's code.

For each pair it recomputes, from the same samples, the verdict of the current rule (block-bootstrap
CI over rounds, the whole CI beyond max(min_gain, the A/A noise floor)) and of the previous one (BCa
over single rounds, one-sided Wilcoxon p < 0.05, CI low > 1 and point estimate >= 1 + min_gain), and
whether each CI covers 1.0 (nominal: 95 %). It also reports the human speedup's CI half-width at the
end of each measurement, how far repeated measurements of the same estimate are apart, and the
measurement efficiency (time the children ran / wall time of the rounds).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from isobench.measure.stats import (  # noqa: E402
    RatioEstimate,
    classify_speedup,
    noise_floor,
    ratio_estimate,
    with_copy_spread,
)


def old_rule(e: RatioEstimate, min_gain: float) -> str:
    """The decision before block bootstrap and the A/A floor: Wilcoxon + iid BCa + point estimate."""
    hi_edge = 1 + min_gain
    if e.p_faster is not None and e.p_faster < 0.05 and e.ci_low > 1.0 and e.value >= hi_edge:
        return "faster"
    if e.p_slower is not None and e.p_slower < 0.05 and e.ci_high < 1.0 and e.value <= 1 / hi_edge:
        return "slower"
    if 1 / hi_edge <= e.ci_low and e.ci_high <= hi_edge:
        return "no_difference"
    return "inconclusive"


def runs_of(samples: Path) -> dict[str, dict[str, Any]]:
    """run_id -> {"series": variant -> {round: value}, "end": end record}."""
    runs: dict[str, dict[str, Any]] = defaultdict(lambda: {"series": defaultdict(dict), "end": None})
    for line in samples.read_text().splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        run = runs[rec["run_id"]]
        if rec.get("type") == "sample" and rec.get("phase") == "timed" and rec.get("ok"):
            run["series"][rec["variant"]][rec["round"]] = rec["value_s"]
        elif rec.get("type") == "end":
            run["end"] = rec
    return {k: v for k, v in runs.items() if v["end"] is not None}


def paired(series: dict[str, dict[int, float]], a: str, b: str) -> tuple[list[float], list[float]]:
    rounds = sorted(set(series.get(a, {})) & set(series.get(b, {})))
    return [series[a][r] for r in rounds], [series[b][r] for r in rounds]


def identical_pairs(state: Path, iid: str, score: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(kind, reference, variant) for every pair of identical code in an instance's score."""
    inst = json.loads((state / "plan" / iid / "instance.json").read_text())
    human_patch = inst["patch"].encode("utf-8", "surrogateescape")
    pairs = [("A/A", "base", "base_aa")]
    for name, v in score.get("variants", {}).items():
        if v.get("kind") != "agent":
            continue
        patch = state / "runs" / iid / v["provider"] / str(v["attempt"]) / "model_patch.diff"
        data = patch.read_bytes() if patch.is_file() else b""
        if not data.strip():
            pairs.append(("noop", "base", name))
        elif data == human_patch:
            pairs.append(("oracle/human", "human", name))
    return pairs


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("states", nargs="+", type=Path)
    ap.add_argument("--min-gain", type=float, default=0.05)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    g = args.min_gain
    pairs_out = []
    human_hw, efficiency = [], []
    repeats: dict[tuple[str, str], list[float]] = defaultdict(list)
    for state in args.states:
        for score_path in sorted(state.glob("score/*/score.json")):
            score = json.loads(score_path.read_text())
            iid = score["instance_id"]
            samples = score_path.parent / "samples.jsonl"
            if not samples.is_file():
                continue
            kinds = identical_pairs(state, iid, score)
            for run_id, run in runs_of(samples).items():
                series = run["series"]
                if "base" not in series or "human" not in series:
                    continue
                a, b = paired(series, "base", "human")
                if len(a) >= 3:
                    h = ratio_estimate(a, b)
                    human_hw.append(h.halfwidth_log)
                    repeats[(iid, "human")].append(h.value)
                end = run["end"]
                if end.get("wall_s"):
                    efficiency.append(end["floor_s"] / end["wall_s"])
                a, b = paired(series, "base", "base_aa")
                aa = ratio_estimate(a, b) if len(a) >= 3 else None
                floor = noise_floor(aa) if aa is not None else 0.0
                for kind, ref, name in kinds:
                    a, b = paired(series, ref, name)
                    if len(a) < 5:
                        continue
                    new = ratio_estimate(a, b)
                    old = ratio_estimate(a, b, ci="bca")
                    # What score.json reports: the CI widened by the A/A twin's copy-to-copy spread (the A/A
                    # pair itself is the yardstick and stays as measured).
                    wide = new if kind == "A/A" else with_copy_spread(new, aa)
                    repeats[(iid, name)].append(new.value)
                    pairs_out.append(
                        {
                            "state": str(state),
                            "instance": iid,
                            "run_id": run_id,
                            "kind": kind,
                            "variant": name,
                            "rounds": len(a),
                            "value": new.value,
                            "block_ci": [new.ci_low, new.ci_high],
                            "iid_ci": [old.ci_low, old.ci_high],
                            "p_faster": old.p_faster,
                            "reported_ci": [wide.ci_low, wide.ci_high],
                            "verdict": classify_speedup(wide, min_gain=g, floor=0.0 if kind == "A/A" else floor),
                            "old_verdict": old_rule(old, g),
                            "block_covers_1": new.ci_low <= 1 <= new.ci_high,
                            "reported_covers_1": wide.ci_low <= 1 <= wide.ci_high,
                            "iid_covers_1": old.ci_low <= 1 <= old.ci_high,
                        }
                    )
    n = len(pairs_out)
    if not n:
        print("no measurement with identical pairs found")
        return 1

    def count(key: str, values: tuple[str, ...]) -> int:
        return sum(p[key] in values for p in pairs_out)

    by_kind = defaultdict(list)
    for p in pairs_out:
        by_kind[p["kind"]].append(p)
    print(f"identical-code comparisons: {n} ({', '.join(f'{k} {len(v)}' for k, v in by_kind.items())})")
    print(
        f"false verdicts (faster or slower), current rule: {count('verdict', ('faster', 'slower'))} / {n}; "
        f"previous rule: {count('old_verdict', ('faster', 'slower'))} / {n}"
    )
    print("CI excludes 1.0 (nominal 5%), with its 95% Clopper-Pearson interval:")
    for key, label in (
        ("reported_covers_1", "as score.json reports it (block bootstrap + the A/A copy spread)"),
        ("block_covers_1", "block bootstrap over rounds alone"),
        ("iid_covers_1", "iid BCa over single rounds"),
    ):
        miss = sum(not p[key] for p in pairs_out)
        lo, hi = _binomial_ci(miss, n)
        print(f"  {label}: {miss}/{n} = {miss / n:.1%} [{lo:.1%}, {hi:.1%}]")
    for kind, ps in by_kind.items():
        worst = max(ps, key=lambda p: abs(math.log(p["value"])))
        print(
            f"  {kind}: verdicts {dict(sorted(_tally(p['verdict'] for p in ps).items()))}; previous rule "
            f"{dict(sorted(_tally(p['old_verdict'] for p in ps).items()))}; largest |change| "
            f"{worst['value']:.3f} {worst['instance']} {worst['variant']}"
        )
    if human_hw:
        print(
            f"human speedup CI half-width at the end of each measurement: median {statistics.median(human_hw):.2%}, "
            f"max {max(human_hw):.2%} ({len(human_hw)} measurements)"
        )
    spread = {k: (max(v) / min(v) - 1) for k, v in repeats.items() if len(v) > 1}
    if spread:
        worst = max(spread, key=lambda k: spread[k])
        print(
            f"repeated measurements of the same estimate: {len(spread)} estimates, max apart {spread[worst]:.2%} "
            f"({worst[0]} {worst[1]}), within 1%: {sum(x <= 0.01 for x in spread.values())}/{len(spread)}"
        )
    if efficiency:
        eff = f"min {min(efficiency):.3f}, median {statistics.median(efficiency):.3f}"
        print(f"measurement efficiency (children's time / wall): {eff}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "pairs": pairs_out,
                    "human_halfwidths": human_hw,
                    "spread": {f"{k[0]} {k[1]}": v for k, v in spread.items()},
                },
                indent=1,
            )
        )
    return 0


def _binomial_ci(k: int, n: int) -> tuple[float, float]:
    """The exact (Clopper-Pearson) 95% interval of a rate k/n."""
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(0.95, method="exact")
    return float(ci.low), float(ci.high)


def _tally(items: Any) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for x in items:
        out[x] += 1
    return dict(out)


if __name__ == "__main__":
    sys.exit(main())
