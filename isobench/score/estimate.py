"""A variant's estimate from a timed ratio: the one place a speedup (and rho) becomes a `VariantEstimate`,
with its classification and match labels. `judge.estimates` builds every variant's from its repeated calls;
`integrity` builds a cross-call variant's again from its first calls."""

from __future__ import annotations

from typing import Any

from isobench.config import ScoreConfig
from isobench.measure.stats import RatioEstimate, classify_speedup, match_labels
from isobench.records import VariantEstimate


def variant_estimate(
    speedup: RatioEstimate,
    rho: RatioEstimate | None,
    sc: ScoreConfig,
    floor: float,
    repeated_call_speedup: float | None = None,
) -> VariantEstimate:
    """The estimate of one variant: its speedup over base classified beyond max(min_gain, `floor`), and, given
    its rho, rho with the match labels (against `sc.match_threshold`, beyond the same margin); an estimate
    judged on first calls keeps the repeated calls' speedup beside it."""
    fields: dict[str, Any] = {}
    if rho is not None:
        fields = {"rho": rho.value, "rho_ci": [rho.ci_low, rho.ci_high]}
        fields.update(match_labels(rho, sc.match_threshold, sc.min_gain, floor))
    return VariantEstimate(
        speedup=speedup.value,
        speedup_ci=[speedup.ci_low, speedup.ci_high],
        p_faster=speedup.p_faster,
        classification=classify_speedup(speedup, min_gain=sc.min_gain, floor=floor),
        halfwidth_log=speedup.halfwidth_log,
        **fields,
        repeated_call_speedup=repeated_call_speedup,
    )
