"""Statistics for paired timing measurements (pure functions, no I/O).

Conventions (see shared/notes/measurement.md):

* Timings are paired by *round*: round r ran every variant once, interleaved, so per-round ratios
  cancel slow drifts of the machine.
* Everything is done on the log scale. For reference times ``a`` and candidate times ``b``,
  ``d_r = ln a_r - ln b_r``; the speedup of b over a is ``exp(median d)`` (> 1 means b is faster).
* The median (not the mean) because timing noise on shared machines is heavy-tailed.
* Confidence intervals: percentile bootstrap with bias correction and acceleration (BCa,
  ``scipy.stats.bootstrap``) of the median of ``d``, exponentiated.
* Significance: one-sided Wilcoxon signed-rank test on ``d`` (``scipy.stats.wilcoxon``), which
  tests the same paired, symmetric-location question without assuming normality.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

__all__ = [
    "RatioEstimate",
    "bootstrap_gmean_ci",
    "classify_speedup",
    "match_labels",
    "median_ci",
    "opt_at_k",
    "paired_log_ratios",
    "ratio_estimate",
    "required_rounds",
    "rho_estimate",
]

DEFAULT_RESAMPLES = 9999
# The Wilcoxon signed-rank test cannot reach p < 0.05 (one-sided) with fewer than 5 pairs.
MIN_WILCOXON_N = 5
# Fewer pairs than this carry no usable information about spread: the CI is left unbounded.
MIN_CI_N = 3
# Differences closer than this (relative) are treated as identical: they are rounding, not noise.
_TIE_TOL = 1e-12


@dataclass(frozen=True)
class RatioEstimate:
    """A paired ratio estimate: ``value`` = exp(median(ln a - ln b)) with its CI.

    ``ci_low``/``ci_high`` are on the ratio scale. An unbounded CI (0, inf) means "not estimable"
    (too few rounds). ``halfwidth_log`` is (ln ci_high - ln ci_low) / 2, i.e. roughly the relative
    precision of ``value``. ``p_faster``/``p_slower`` are one-sided Wilcoxon p-values that the
    candidate ``b`` is faster/slower than the reference ``a`` (None when n < 5).
    ``ci_method`` is "bca", "percentile" (BCa was degenerate), "degenerate" (all differences equal)
    or "insufficient" (n < 3).
    """

    value: float
    ci_low: float
    ci_high: float
    n: int
    halfwidth_log: float
    p_faster: float | None
    p_slower: float | None = None
    confidence: float = 0.95
    ci_method: str = "bca"

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies inside the closed CI."""
        return self.ci_low <= x <= self.ci_high

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (inf is kept as a float; json writes it as Infinity)."""
        return asdict(self)


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
    return np.median(x, axis=axis)


def _mean(x: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(x, axis=axis)


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


def ratio_estimate(
    a: Sequence[float],
    b: Sequence[float],
    *,
    confidence: float = 0.95,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int | None = 0,
) -> RatioEstimate:
    """Speedup of ``b`` over reference ``a`` (paired by round), with a BCa CI and Wilcoxon p-values.

    Degenerate inputs never raise: n < 3 gives an unbounded CI (0, inf) because two pairs say
    nothing about spread (a zero-width CI there would wrongly stop an adaptive loop or pass an
    equivalence test); identical differences give CI = [value, value]. Invalid inputs (empty,
    unpaired, non-positive times) raise ValueError.
    """
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


def classify_speedup(est: RatioEstimate, *, min_gain: float = 0.05, alpha: float = 0.05) -> str:
    """Label a speedup estimate "faster", "slower", "no_difference" or "inconclusive".

    * "faster": all three of (1) significance, one-sided Wilcoxon ``p_faster < alpha``;
      (2) the CI excludes 1 (``ci_low > 1``), so the size is bounded away from no change;
      (3) practical relevance, the point estimate ``value >= 1 + min_gain``. A real but tiny gain
      (say a confident 1 %) is not called faster: two checkouts of identical code can differ by
      ~1 % (paths, layout), so such gains are not attributable to the patch.
    * "slower": the mirror image (``p_slower < alpha``, ``ci_high < 1``,
      ``value <= 1 / (1 + min_gain)``; on the log scale this is symmetric to "faster").
    * "no_difference": an equivalence statement (as in TOST): the whole CI lies within the band
      ``[1/(1+min_gain), 1+min_gain]``, so any true difference is confidently smaller than the
      minimum gain. This includes the usual A/A outcome (a narrow CI containing 1) and a
      significant-but-negligible shift. We deliberately do NOT call a wide CI that merely contains
      1 (e.g. [0.8, 1.3]) "no difference": absence of evidence is not evidence of absence, and
      that case is "inconclusive" (more rounds needed).
    * "inconclusive": everything else, including too few rounds (p-value None, unbounded CI) and
      a significant change whose point estimate is large but whose CI still reaches past the
      band edge on the near side.
    """
    hi_edge = 1.0 + min_gain
    lo_edge = 1.0 / hi_edge
    if est.p_faster is not None and est.p_faster < alpha and est.ci_low > 1.0 and est.value >= hi_edge:
        return "faster"
    if est.p_slower is not None and est.p_slower < alpha and est.ci_high < 1.0 and est.value <= lo_edge:
        return "slower"
    if lo_edge <= est.ci_low and est.ci_high <= hi_edge:
        return "no_difference"
    return "inconclusive"


def rho_estimate(
    base: Sequence[float],
    human: Sequence[float],
    agent: Sequence[float],
    *,
    confidence: float = 0.95,
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


def match_labels(rho: RatioEstimate, p: float = 0.95, min_gain: float = 0.05) -> dict[str, bool | str]:
    """Does the agent match the human? GSO's threshold p on rho, strict (CI) and GSO-style (point).

    ``confident_pass``: even the lower CI bound reaches p; ``confident_fail``: even the upper bound
    is below p; otherwise ``inconclusive``. ``beats_human`` asks of rho what "faster" asks of a
    speedup: a CI above 1 and a point estimate of at least 1 + ``min_gain``. Without the margin, two
    copies of the same code (the oracle against the human) "beat" each other by ~1% once the CI is
    tight: the layout effect the measurement note describes, not an optimization.
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
        "beats_human": rho.ci_low > 1.0 and rho.value >= 1.0 + min_gain,
        "match_label": label,
    }


def opt_at_k(n: int, c: int, k: int) -> float:
    """Unbiased estimate of P(at least one of k rollouts passes) from n rollouts with c passes.

    1 - C(n-c, k) / C(n, k). For k > n no unbiased estimate exists; we return the observed
    any-pass indicator (1.0 if c > 0 else 0.0), which is what the formula gives at k = n.
    """
    if n < 1 or k < 1 or not 0 <= c <= n:
        raise ValueError(f"need n >= 1, k >= 1, 0 <= c <= n (got n={n}, c={c}, k={k})")
    if c == 0:
        return 0.0
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def bootstrap_gmean_ci(
    values: Sequence[float],
    confidence: float = 0.95,
    seed: int | None = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> tuple[float, float, float]:
    """Geometric mean over instances with a BCa bootstrap CI (resampling instances).

    Bootstraps the mean of ln(values) and exponentiates. One value or identical values give
    (v, v, v).
    """
    x = np.log(_as_positive_array(values, "values"))
    if x.size == 0:
        raise ValueError("no values")
    g = float(stats.gmean(np.exp(x)))
    if x.size < 2 or np.ptp(x) <= _TIE_TOL * max(1.0, float(np.max(np.abs(x)))):
        return g, g, g
    lo, hi, _ = _bootstrap_ci(x, _mean, confidence, n_resamples, seed)
    return g, math.exp(lo), math.exp(hi)


def median_ci(
    values: Sequence[float],
    confidence: float = 0.95,
    seed: int | None = 0,
    n_resamples: int = DEFAULT_RESAMPLES,
) -> tuple[float, float, float]:
    """Median over instances with a bootstrap CI (BCa, percentile if BCa degenerates)."""
    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError("values must be a non-empty 1-d sequence of finite numbers")
    m = float(np.median(x))
    if x.size < 2 or np.ptp(x) <= _TIE_TOL * max(1.0, float(np.max(np.abs(x)))):
        return m, m, m
    lo, hi, _ = _bootstrap_ci(x, _median, confidence, n_resamples, seed)
    return m, lo, hi


def required_rounds(cv: float, delta: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Rounds needed to detect a relative change ``delta`` at noise ``cv`` (informational).

    n ~= 2 (z_{1-alpha} + z_{power})^2 cv^2 / ln(1+delta)^2 (one-sided, normal approximation).
    """
    if cv < 0 or delta <= 0 or not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("need cv >= 0, delta > 0, 0 < alpha, power < 1")
    z = float(stats.norm.ppf(1 - alpha) + stats.norm.ppf(power))
    return max(1, math.ceil(2 * z * z * cv * cv / math.log1p(delta) ** 2))
