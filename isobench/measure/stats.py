"""Statistics for paired timing measurements (pure functions, no I/O).

Conventions (the reasoning is in docs/measurement.md):

* Timings are paired by *round*: round r ran every variant once, interleaved, so per-round ratios
  cancel slow drifts of the machine.
* Everything is done on the log scale. For reference times ``a`` and candidate times ``b``,
  ``d_r = ln a_r - ln b_r``; the speedup of b over a is ``exp(median d)`` (> 1 means b is faster).
* The median (not the mean) because timing noise on shared machines is heavy-tailed.
* Confidence intervals of a timing ratio: a circular block bootstrap of the median of ``d`` over
  rounds (blocks of about n^(1/3) consecutive rounds), exponentiated. Rounds are not exchangeable
  on a shared machine: slow phases last several rounds, so neighbouring ``d_r`` are correlated, and a
  bootstrap that resamples single rounds (or a rank test that treats them as independent) claims
  more certainty than the data hold. Resampling runs of rounds keeps that dependence. The
  measured consequence (benchmarks/RESULTS.md, "False verdicts on identical code"): on identical
  copies, iid intervals excluded 1.0 far more often than the nominal 5 %.
* Decisions are made on the interval (:func:`classify_speedup`): a variant is "faster" only when its
  whole CI lies above ``1 + max(min_gain, floor)``, where ``floor`` is the noise floor the instance's
  A/A twin measured. The one-sided Wilcoxon signed-rank p-values (``scipy.stats.wilcoxon``) are still
  reported, as a description; they assume independent rounds and decide nothing.

Aggregates over instances and attempts (opt@k, geometric means, medians and their CIs) are not here: they
are in :mod:`isobench.metrics`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from isobench.measure.config import CONFIDENCE, MATCH_THRESHOLD, MIN_GAIN

__all__ = [
    "RatioEstimate",
    "block_length",
    "classify_speedup",
    "decision_margin",
    "match_labels",
    "noise_floor",
    "paired_log_ratios",
    "ratio_estimate",
    "rho_estimate",
    "with_copy_spread",
    "copy_effect",
]

DEFAULT_RESAMPLES = 9999
# The Wilcoxon signed-rank test cannot reach p < 0.05 (one-sided) with fewer than 5 pairs.
MIN_WILCOXON_N = 5
# Fewer pairs than this carry no usable information about spread: the CI is left unbounded.
MIN_CI_N = 3
MIN_FREE_N = 6
"""The fewest rounds whose widest interval, their smallest to their largest ratio, holds the true median with
at least 95% probability whatever the noise (1 - 2 / 2^n: 93.75% with 5 rounds, 96.9% with 6)."""
RESIDUAL_MIN_N = 24
"""The fewest rounds (of the estimate and of the A/A twin) from which `with_copy_spread` carries only the
residual copy effect; with fewer, the A/A twin's whole reach. Measured on identical code with the layout
random (benchmarks/RESULTS.md, 2026-12-06), the residual widening left 11% of 90 comparisons at 8 rounds
excluding 1.0 (the whole reach 6.7%), but at 24 rounds 8 of 170 (4.7%, 95% CI [2.1%, 9.1%]) on a loaded
machine, with intervals half as wide as the whole reach's (median half-width 1.7% against 3.4%)."""
# Differences closer than this (relative) are treated as identical: they are rounding, not noise.
_TIE_TOL = 1e-12


@dataclass(frozen=True)
class RatioEstimate:
    """A paired ratio estimate: ``value`` = exp(median(ln a - ln b)) with its CI.

    ``ci_low``/``ci_high`` are on the ratio scale. An unbounded CI (0, inf) means "not estimable"
    (too few rounds). ``halfwidth_log`` is (ln ci_high - ln ci_low) / 2, i.e. roughly the relative
    precision of ``value``. ``p_faster``/``p_slower`` are one-sided Wilcoxon p-values that the
    candidate ``b`` is faster/slower than the reference ``a`` (None when n < 5).
    ``ci_method`` is "block<L>" (the default circular block bootstrap, blocks of L rounds), "bca" or
    "percentile" (``ratio_estimate(ci="bca")``, percentile where BCa was degenerate), "degenerate" (all
    differences equal) or "insufficient" (n < 3).
    """

    value: float
    ci_low: float
    ci_high: float
    n: int
    halfwidth_log: float
    p_faster: float | None
    p_slower: float | None = None
    confidence: float = CONFIDENCE
    ci_method: str = "bca"

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies inside the closed CI."""
        return self.ci_low <= x <= self.ci_high


def _as_positive_array(x: Sequence[float], name: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{name} must contain finite, positive times")
    return arr


def paired_log_ratios(a: Sequence[float], b: Sequence[float]) -> np.ndarray:
    """Per-round ``ln a_r - ln b_r`` (positive where b was faster than a in that round)."""
    aa = _as_positive_array(a, "a")
    bb = _as_positive_array(b, "b")
    if aa.shape != bb.shape:
        raise ValueError(f"a and b must be paired by round (lengths {aa.size} and {bb.size})")
    return np.log(aa) - np.log(bb)


def _median(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.asarray(np.median(x, axis=axis))


def _jackknife_is_flat(x: np.ndarray, statistic: Callable[..., np.ndarray]) -> bool:
    """True when every leave-one-out value of ``statistic`` is the same (up to rounding)."""
    n = x.size
    loo = np.broadcast_to(x, (n, n))[~np.eye(n, dtype=bool)].reshape(n, n - 1)
    jack = statistic(loo, axis=-1)
    return bool(np.ptp(jack) <= _TIE_TOL * max(1.0, float(np.max(np.abs(jack)))))


def _bootstrap_ci(
    x: np.ndarray,
    statistic: Callable[..., np.ndarray],
    confidence: float,
    n_resamples: int,
    seed: int | None,
) -> tuple[float, float, str]:
    """BCa CI of ``statistic`` over ``x``; percentile when BCa degenerates; never raises.

    Callers handle n < 2 and zero-spread data before calling.
    """
    methods = ["BCa", "percentile"]
    if _jackknife_is_flat(x, statistic):
        # BCa's acceleration is 0/0 here; scipy may return nan or, when rounding makes the
        # jackknife values differ by an ulp, a finite but arbitrary interval. Skip it.
        methods = ["percentile"]
    for method in methods:
        with warnings.catch_warnings():
            # Degenerate BCa (e.g. a median whose jackknife values are all equal) warns and
            # returns nan; we detect nan ourselves and fall back.
            warnings.simplefilter("ignore")
            try:
                res = stats.bootstrap(
                    (x,),
                    statistic,
                    n_resamples=n_resamples,
                    vectorized=True,
                    confidence_level=confidence,
                    method=method,
                    rng=np.random.default_rng(seed),
                )
            except (ValueError, FloatingPointError):
                continue
        lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if math.isfinite(lo) and math.isfinite(hi):
            return lo, hi, "bca" if method == "BCa" else "percentile"
    # Unreachable for finite data with spread, kept so that callers never crash.
    return -math.inf, math.inf, "insufficient"


def _wilcoxon_p(d: np.ndarray, alternative: str) -> float | None:
    """One-sided Wilcoxon signed-rank p-value of ``d`` vs 0; None when n is too small."""
    if d.size < MIN_WILCOXON_N:
        return None
    if not np.any(d != 0):
        # No non-zero differences: no evidence either way.
        return 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = float(stats.wilcoxon(d, alternative=alternative).pvalue)
    return p if math.isfinite(p) else 1.0


def block_length(n: int) -> int:
    """Rounds per block of the block bootstrap: about n^(1/3) (the usual rate for a variance), at least 1."""
    return max(1, int(round(n ** (1 / 3))))


def _block_bootstrap_ci(
    d: np.ndarray, confidence: float, n_resamples: int, seed: int | None
) -> tuple[float, float, str]:
    """Percentile CI of median(d) from a circular block bootstrap over rounds (vectorised)."""
    medians = _block_medians(d, n_resamples, np.random.default_rng(seed))
    alpha = (1.0 - confidence) / 2.0
    lo, hi = np.quantile(medians, [alpha, 1.0 - alpha])
    return float(lo), float(hi), f"block{block_length(d.size)}"


def _block_indices(n: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """The rounds (indices) of `n_resamples` circular block-bootstrap resamples of `n` rounds."""
    length = block_length(n)
    k = -(-n // length)  # blocks per resample
    starts = rng.integers(0, n, size=(n_resamples, k))
    return ((starts[:, :, None] + np.arange(length)[None, None, :]) % n).reshape(n_resamples, -1)[:, :n]


def _block_medians(d: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """median(d) of `n_resamples` circular block-bootstrap resamples of the rounds."""
    return np.asarray(np.median(d[_block_indices(d.size, n_resamples, rng)], axis=1))


def geomean_estimate(
    pairs: Sequence[tuple[Sequence[float], Sequence[float]]],
    *,
    confidence: float = CONFIDENCE,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int | None = 0,
) -> RatioEstimate:
    """The geometric mean over benchmarks of speedups of ``b`` over ``a``: ``pairs`` holds one (reference
    times, candidate times) per benchmark, paired by round within it. Each benchmark's speedup is
    exp(median(ln a - ln b)) as in :func:`ratio_estimate`; the geometric mean is exp(mean of their logs).
    Its CI: each benchmark's rounds resampled by the circular block bootstrap, independently (the benchmarks
    are measured one after another), the mean of the resampled medians taken, its percentiles. No p-value.
    Raises ValueError without benchmarks."""
    if not pairs:
        raise ValueError("no benchmarks")
    ds = [paired_log_ratios(a, b) for a, b in pairs]
    value = float(np.mean([np.median(d) for d in ds]))
    n = min(d.size for d in ds)
    if n < MIN_CI_N:
        lo, hi, method = -math.inf, math.inf, "insufficient"
    else:
        rng = np.random.default_rng(seed)
        means = np.mean([_block_medians(d, n_resamples, rng) for d in ds], axis=0)
        alpha = (1.0 - confidence) / 2.0
        lo, hi = (float(q) for q in np.quantile(means, [alpha, 1.0 - alpha]))
        lo, hi = min(lo, value), max(hi, value)
        method = "block-geomean"
    return RatioEstimate(
        value=math.exp(value),
        ci_low=math.exp(lo),
        ci_high=math.exp(hi),
        n=n,
        halfwidth_log=(hi - lo) / 2,
        p_faster=None,
        confidence=confidence,
        ci_method=method,
    )


def advantage_estimate(
    benchmarks: Sequence[tuple[Sequence[float], Sequence[float], Sequence[float]]],
    aa: RatioEstimate | None = None,
    *,
    confidence: float = CONFIDENCE,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int | None = 0,
) -> tuple[float, list[float]]:
    """FormulaCode's advantage: the geometric mean over benchmarks of the candidate's speedup over base minus
    the human's (as :func:`geomean_estimate` computes each), with its CI: each benchmark's rounds resampled
    by the circular block bootstrap, base, human and candidate by the same blocks (they are paired by
    round), both geometric means recomputed, the difference's percentiles; then widened by the residual copy
    effect the A/A twin measured (:func:`copy_effect`), each geometric mean moved by it the way that lowers
    (or raises) the difference. ``benchmarks`` holds one (base, human, candidate) per benchmark."""
    if not benchmarks:
        raise ValueError("no benchmarks")
    dh = [paired_log_ratios(b, h) for b, h, _ in benchmarks]
    dc = [paired_log_ratios(b, c) for b, _, c in benchmarks]
    value = math.exp(np.mean([np.median(d) for d in dc])) - math.exp(np.mean([np.median(d) for d in dh]))
    n = min(d.size for d in dh + dc)
    if n < MIN_CI_N:
        return value, [-math.inf, math.inf]
    rng = np.random.default_rng(seed)
    log_h, log_c = np.zeros(n_resamples), np.zeros(n_resamples)
    for h, c in zip(dh, dc, strict=True):
        idx = _block_indices(h.size, n_resamples, rng)
        log_h += np.median(h[idx], axis=1) / len(dh)
        log_c += np.median(c[idx], axis=1) / len(dc)
    up = down = copy_effect(aa)
    alpha = (1.0 - confidence) / 2.0
    lo = float(np.quantile(np.exp(log_c - up) - np.exp(log_h + down), alpha))
    hi = float(np.quantile(np.exp(log_c + down) - np.exp(log_h - up), 1.0 - alpha))
    return value, [min(lo, value), max(hi, value)]


CI_METHODS = ("block", "bca")


def ratio_estimate(
    a: Sequence[float],
    b: Sequence[float],
    *,
    confidence: float = CONFIDENCE,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int | None = 0,
    ci: str = "block",
) -> RatioEstimate:
    """Speedup of ``b`` over reference ``a`` (paired by round), with a CI and Wilcoxon p-values.

    ``ci="block"`` (default): circular block bootstrap over rounds (see the module docstring);
    ``ci="bca"``: BCa over single rounds, which assumes exchangeable rounds (kept for comparison).
    Degenerate inputs never raise: n < 3 gives an unbounded CI (0, inf) because two pairs say
    nothing about spread (a zero-width CI there would wrongly stop an adaptive loop or pass an
    equivalence test); identical differences give CI = [value, value]. Invalid inputs (empty,
    unpaired, non-positive times) raise ValueError.
    """
    if ci not in CI_METHODS:
        raise ValueError(f"ci must be one of {CI_METHODS}, got {ci!r}")
    d = paired_log_ratios(a, b)
    n = int(d.size)
    if n == 0:
        raise ValueError("no paired samples")
    m = float(np.median(d))
    value = math.exp(m)
    if n < MIN_CI_N:
        lo, hi, method = -math.inf, math.inf, "insufficient"
    elif np.ptp(d) <= _TIE_TOL * max(1.0, abs(m)):
        lo, hi, method = m, m, "degenerate"
    elif ci == "block":
        lo, hi, method = _block_bootstrap_ci(d, confidence, n_resamples, seed)
    else:
        lo, hi, method = _bootstrap_ci(d, _median, confidence, n_resamples, seed)
    ci_low, ci_high = math.exp(lo), math.exp(hi)
    return RatioEstimate(
        value=value,
        ci_low=ci_low,
        ci_high=ci_high,
        n=n,
        halfwidth_log=(hi - lo) / 2,
        p_faster=_wilcoxon_p(d, "greater"),
        p_slower=_wilcoxon_p(d, "less"),
        confidence=confidence,
        ci_method=method,
    )


def decision_margin(min_gain: float, floor: float = 0.0) -> float:
    """The relative change a decision needs: ``max(min_gain, floor)``. ``floor`` is the noise floor of
    the measurement (what the instance's A/A twin, identical code, showed: see :func:`noise_floor`);
    ``min_gain`` stays the least change ever called one."""
    return max(min_gain, floor)


def noise_floor(aa: RatioEstimate | None) -> float:
    """The largest relative difference the A/A twin (a second copy of base) could not rule out: the far
    end of its CI, as a fraction (0.03 for a CI reaching 1.03 or 1/1.03). 0 when there is no A/A."""
    if aa is None or not math.isfinite(aa.ci_low) or not math.isfinite(aa.ci_high) or aa.ci_low <= 0:
        return 0.0 if aa is None else math.inf
    return math.expm1(max(abs(math.log(aa.ci_low)), abs(math.log(aa.ci_high))))


def copy_effect(aa: RatioEstimate | None) -> float:
    """The residual copy effect the A/A twin measured, as a margin on the log scale (0.02: about 2%).

    Every variant is its own copy (folder, venv, files on disk). What a copy's layout does to its speed is
    drawn anew for every round (`ProtocolConfig.layout`), so most of it is round-to-round noise that the block
    bootstrap already carries; what is left, a difference fixed per copy that no resampling of one copy's
    rounds can see, shows as the A/A twin (a second copy of base, identical code) reading further from 1 than
    its own rounds explain. With ``d`` its log estimate and ``s`` its standard error (its CI's half-width /
    z), the copy-to-copy variance is estimated as ``max(0, d^2 - s^2)`` (a random effect: one draw of it,
    less the A/A's own noise), and another copy may differ by ``z`` times its root at 95%; never more than
    the A/A CI's own reach beyond 1 (the rule before randomization). 0 when the A/A reads within its noise,
    or without an A/A estimate; an unbounded A/A gives no estimate here (its infinite noise floor decides).
    With fewer than ``RESIDUAL_MIN_N`` rounds its own interval is too short to tell noise from a copy effect:
    its whole reach."""
    if aa is None or not (math.isfinite(aa.ci_low) and math.isfinite(aa.ci_high)) or aa.ci_low <= 0:
        return 0.0
    reach = max(0.0, math.log(aa.ci_high), -math.log(aa.ci_low))
    if aa.n < RESIDUAL_MIN_N:
        return reach
    z = float(stats.norm.ppf(0.5 + aa.confidence / 2))
    d, s = math.log(aa.value), aa.halfwidth_log / z
    return min(z * math.sqrt(max(0.0, d * d - s * s)), reach)


def with_copy_spread(est: RatioEstimate, aa: RatioEstimate | None) -> RatioEstimate:
    """``est``'s CI widened by the residual copy effect the A/A twin measured (:func:`copy_effect`), added in
    quadrature to each side's distance from the estimate (independent errors: the rounds' noise, and which
    copy each variant happened to be). Without an A/A estimate, or when the A/A twin read within its own
    noise, ``est`` is returned as it is. With fewer than ``RESIDUAL_MIN_N`` rounds (a short look), intervals
    from the rounds undercover (see there): each end moves out by the A/A CI's whole reach beyond 1 on the
    other side (a copy that may read up to x faster widens the interval down by x), as before the layout was
    randomized."""
    margin = copy_effect(aa)
    if margin == 0.0 or aa is None or est.ci_low <= 0 or not math.isfinite(est.ci_high):
        return est
    v, lo, hi = math.log(est.value), math.log(est.ci_low), math.log(est.ci_high)
    if min(est.n, aa.n) < RESIDUAL_MIN_N:
        lo, hi = lo - max(0.0, math.log(aa.ci_high)), hi + max(0.0, -math.log(aa.ci_low))
    else:
        lo, hi = v - math.hypot(max(0.0, v - lo), margin), v + math.hypot(max(0.0, hi - v), margin)
    return replace(est, ci_low=math.exp(lo), ci_high=math.exp(hi), halfwidth_log=(hi - lo) / 2)


def classify_speedup(est: RatioEstimate, *, min_gain: float = MIN_GAIN, floor: float = 0.0) -> str:
    """Label a speedup estimate "faster", "slower", "no_difference" or "inconclusive".

    With ``g = max(min_gain, floor)`` (:func:`decision_margin`):

    * "faster": the whole 95% CI lies above ``1 + g``: confidently at least the minimum gain, and
      beyond anything identical code showed in this measurement (the A/A twin's noise floor);
    * "slower": the whole CI lies below ``1 / (1 + g)`` (symmetric on the log scale);
    * "no_difference": the whole CI lies within ``[1 / (1 + g), 1 + g]``, an equivalence statement
      (as in TOST): any true difference is confidently smaller than the margin. A wide CI that merely
      contains 1 (e.g. [0.8, 1.3]) is not "no difference": absence of evidence is not evidence of
      absence, and that case is "inconclusive";
    * "inconclusive": everything else (too few rounds, an unbounded CI, a CI across a band edge, an
      infinite floor: an A/A twin that could not be timed or whose CI is unbounded).

    Decisions use the interval alone: a p-value from a test that assumes independent rounds overstated
    the evidence on a shared machine (an identical copy of base came out "faster", p = 0.0009).
    """
    g = decision_margin(min_gain, floor)
    if not math.isfinite(g):
        return "inconclusive"  # no bound on what identical code may show: nothing can be decided
    hi_edge = 1.0 + g
    lo_edge = 1.0 / hi_edge
    if est.ci_low > hi_edge:
        return "faster"
    if est.ci_high < lo_edge:
        return "slower"
    if lo_edge <= est.ci_low and est.ci_high <= hi_edge:
        return "no_difference"
    return "inconclusive"


def rho_estimate(
    base: Sequence[float],
    human: Sequence[float],
    agent: Sequence[float],
    *,
    confidence: float = CONFIDENCE,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int | None = 0,
) -> RatioEstimate:
    """rho = agent speedup / human speedup, as exp(median g), g_r = ln human_r - ln agent_r.

    Per round, (base/agent) / (base/human) = human/agent, so ``base`` cancels; it is taken only to
    check that the three series are aligned by round. Note exp(median g) is not in general equal to
    speedup_agent.value / speedup_human.value (medians do not divide); it is the paired estimate.
    """
    n = len(base)
    if len(human) != n or len(agent) != n:
        raise ValueError(f"base/human/agent not aligned by round ({n}, {len(human)}, {len(agent)})")
    _as_positive_array(base, "base")
    return ratio_estimate(human, agent, confidence=confidence, n_resamples=n_resamples, seed=seed)


def match_labels(
    rho: RatioEstimate, p: float = MATCH_THRESHOLD, min_gain: float = MIN_GAIN, floor: float = 0.0
) -> dict[str, bool | str]:
    """Does the agent match the human? GSO's threshold p on rho, strict (CI) and GSO-style (point).

    ``confident_pass``: even the lower CI bound reaches p; ``confident_fail``: even the upper bound
    is below p; otherwise ``inconclusive``. ``beats_human`` asks of rho exactly what "faster" asks of a
    speedup (:func:`classify_speedup`, same margin and noise floor), so a copy of the human's own code
    never beats it.
    """
    strict = rho.ci_low >= p
    if strict:
        label = "confident_pass"
    elif rho.ci_high < p:
        label = "confident_fail"
    else:
        label = "inconclusive"
    return {
        "matches_human_strict": strict,
        "matches_human_gso": rho.value >= p,
        "beats_human": classify_speedup(rho, min_gain=min_gain, floor=floor) == "faster",
        "match_label": label,
    }
