"""The aggregate metrics, as pure functions over attempts' outcomes (no I/O, no git).

`correlate` computes them once and writes correlation.json; the export, its dataset card and the HTML
report show that file's numbers (computing them with these same functions when correlate was not run).

Per provider, over the instances whose human speedup is valid:

- **opt@1** (strict or GSO-compatible): per instance, the share of its attempts that are opt successes
  (`outcome`), averaged over instances; 95% CI by bootstrap over instances.
- **opt@k**: per instance, the unbiased estimator 1 - C(n-c, k) / C(n, k) of "at least one of k attempts
  succeeds" from n attempts with c successes, averaged over instances (k = the most attempts any instance
  has).
- **speedup**: per instance, the geometric mean over its attempts of the effective speedup (1.0 for an
  incorrect attempt); then the geometric mean and the median over instances, each with a 95% bootstrap CI.
- **rho**: the same, over each attempt's effective rho (its own paired estimate, not a ratio of
  aggregates).
- **asv advantage** (FormulaCode's): on instances with an asv suite, per instance the mean over its timed
  attempts of the attempt's geometric-mean speedup on the suite minus the human's (`score/asv.py`); then
  the mean over instances with its 95% CI. Attempts not timed on the suite (incorrect) have none.
- **cost per success**: the provider's cost on the valid instances / its strict opt successes there.
- **Spearman**: rank correlation of the per-instance agent speedup with the human speedup.

Every CI here is a 95% percentile bootstrap over instances (independent by construction; 9,999 resamples,
seed 0). The timing protocol's estimates within one instance (paired rounds, block bootstrap) are in
:mod:`isobench.measure.stats`.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

import numpy as np

from isobench.outcome import Outcome


@dataclass(frozen=True)
class AttemptResult:
    """What the metrics need of one attempt: who, its outcome, what it cost."""

    instance_id: str
    provider: str
    attempt: int
    status: str
    outcome: Outcome
    cost_usd: float
    wall_s: float
    iterations: int
    asv_advantage: float | None = None
    """On an asv suite: its geometric-mean speedup minus the human's (FormulaCode's advantage)."""


def opt_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of P(at least one of k rollouts passes) from n rollouts with c passes.

    1 - C(n-c, k) / C(n, k). For k > n no unbiased estimate exists; the observed any-pass indicator
    (1.0 if c > 0 else 0.0) is returned, which is what the formula gives at k = n.
    """
    if n < 1 or k < 1 or not 0 <= c <= n:
        raise ValueError(f"need n >= 1, k >= 1, 0 <= c <= n (got n={n}, c={c}, k={k})")
    if c == 0:
        return 0.0
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def _bootstrap(values: np.ndarray, stat: str, seed: int = 0, n_resamples: int = 9999) -> list[float] | None:
    """95% percentile bootstrap CI of the mean or median over independent values (instances); [v, v] when
    every value is the same."""
    if values.size == 0:
        return None
    summarize = np.mean if stat == "mean" else np.median
    if values.size < 2 or np.ptp(values) == 0:
        v = float(summarize(values))
        return [v, v]
    rng = np.random.default_rng(seed)
    resamples = values[rng.integers(0, values.size, size=(n_resamples, values.size))]
    lo, hi = np.quantile(summarize(resamples, axis=1), [0.025, 0.975])
    return [float(lo), float(hi)]


def mean_ci(values: Sequence[float]) -> tuple[float | None, list[float] | None]:
    """Mean over instances and its 95% bootstrap CI."""
    if not values:
        return None, None
    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), _bootstrap(arr, "mean")


def gmean_ci(values: Sequence[float]) -> tuple[float | None, list[float] | None]:
    """Geometric mean over instances and its 95% bootstrap CI (the mean of logs, exponentiated)."""
    if not values:
        return None, None
    logs = np.log(np.asarray(values, dtype=float))
    ci = _bootstrap(logs, "mean")
    return float(math.exp(logs.mean())), [math.exp(x) for x in ci] if ci else None


def median_ci(values: Sequence[float]) -> tuple[float | None, list[float] | None]:
    """Median over instances and its 95% bootstrap CI."""
    if not values:
        return None, None
    arr = np.asarray(values, dtype=float)
    return float(np.median(arr)), _bootstrap(arr, "median")


class Spearman(TypedDict):
    """Spearman's rank correlation: rho and its p-value (None below 3 points or without variation), n points."""

    rho: float | None
    p: float | None
    n: int


def spearman(x: Sequence[float], y: Sequence[float]) -> Spearman:
    """Spearman's rank correlation (None below 3 points or without variation)."""
    n = len(x)
    if n < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return {"rho": None, "p": None, "n": n}
    from scipy.stats import spearmanr

    r = spearmanr(x, y)
    return {"rho": float(r.statistic), "p": float(r.pvalue), "n": n}


def _gmean(values: Sequence[float]) -> float:
    return float(math.exp(np.mean(np.log(np.asarray(values, dtype=float)))))


def per_instance(results: Sequence[AttemptResult], key: str) -> dict[str, float]:
    """instance -> geometric mean over its attempts of an outcome's effective speedup or rho."""
    by: dict[str, list[float]] = {}
    for r in results:
        v = getattr(r.outcome, key)
        if v is not None and v > 0:
            by.setdefault(r.instance_id, []).append(v)
    return {iid: _gmean(vs) for iid, vs in by.items()}


def raw_results(results: Sequence[AttemptResult]) -> list[AttemptResult]:
    """The attempts as decided before the integrity rules (`Outcome.raw` where it differs)."""
    return [dataclasses.replace(r, outcome=r.outcome.raw) if r.outcome.raw else r for r in results]


def provider_metrics(
    results: Sequence[AttemptResult], human_speedup: dict[str, float | None], valid: set[str]
) -> dict[str, object]:
    """Every per-provider figure (module docstring), from one provider's attempts: `ProviderMetrics`'s fields."""
    headline = [r for r in results if r.instance_id in valid]
    by_inst: dict[str, list[AttemptResult]] = {}
    for r in headline:
        by_inst.setdefault(r.instance_id, []).append(r)
    k = max((len(rs) for rs in by_inst.values()), default=0)
    opt1_s = [sum(r.outcome.opt_strict for r in rs) / len(rs) for rs in by_inst.values()]
    opt1_g = [sum(r.outcome.opt_gso for r in rs) / len(rs) for rs in by_inst.values()]
    optk_s = [opt_at_k(len(rs), sum(r.outcome.opt_strict for r in rs), k) for rs in by_inst.values()]
    optk_g = [opt_at_k(len(rs), sum(r.outcome.opt_gso for r in rs), k) for rs in by_inst.values()]
    speed = per_instance(headline, "effective_speedup")
    rho = per_instance(headline, "effective_rho")
    total_cost = float(sum(r.cost_usd for r in results))
    successes = sum(r.outcome.opt_strict for r in results)
    # Over the instances that count: money spent on an invalid instance buys no success that could count.
    headline_cost = float(sum(r.cost_usd for r in headline))
    headline_successes = sum(r.outcome.opt_strict for r in headline)
    common = [iid for iid in speed if human_speedup.get(iid)]
    out: dict[str, object] = {
        "attempts": len(results),
        "instances": len({r.instance_id for r in results}),
        "headline_instances": len(by_inst),
        "k": k,
        "valid_patches": sum(r.outcome.valid_patch for r in results),
        "correct": sum(r.outcome.correct for r in results),
        "faster_than_base": sum(r.outcome.faster for r in results),
        "opt_successes": successes,
        "optk_strict": float(np.mean(optk_s)) if optk_s else None,
        "optk_gso": float(np.mean(optk_g)) if optk_g else None,
        "total_cost_usd": total_cost,
        "cost_per_instance": total_cost / len({r.instance_id for r in results}) if results else None,
        "cost_per_success": headline_cost / headline_successes if headline_successes else None,
        "mean_wall_s": float(np.mean([r.wall_s for r in results])) if results else None,
        "mean_iterations": float(np.mean([r.iterations for r in results])) if results else None,
        "failure_reasons": dict(
            sorted(Counter(r.outcome.failure_reason for r in results if r.outcome.failure_reason).items())
        ),
        "spearman_vs_human": spearman([human_speedup[i] or 0.0 for i in common], [speed[i] for i in common]),
        "solved": sorted(iid for iid, rs in by_inst.items() if any(r.outcome.opt_strict for r in rs)),
        "flagged_attempts": sum(bool(r.outcome.flags) for r in results),
    }
    for name, values in (("opt1_strict", opt1_s), ("opt1_gso", opt1_g)):
        out[name], out[f"{name}_ci"] = mean_ci(values)
    advantage: dict[str, list[float]] = {}
    for r in headline:
        if r.asv_advantage is not None:
            advantage.setdefault(r.instance_id, []).append(r.asv_advantage)
    out["asv_advantage_mean"], out["asv_advantage_mean_ci"] = mean_ci([float(np.mean(v)) for v in advantage.values()])
    for name, values in (("speedup", list(speed.values())), ("rho", list(rho.values()))):
        out[f"{name}_gmean"], out[f"{name}_gmean_ci"] = gmean_ci(values)
        out[f"{name}_median"], out[f"{name}_median_ci"] = median_ci(values)
    return out
