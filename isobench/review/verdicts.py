"""What the reviews in a state say, for `correlate` and the export (the read side of `isobench review`).

A review counts for an attempt only while the attempt's patch is the one reviewed (`patch_digest`). What a
hack verdict does to the attempt's outcome is `outcome.reviewed`, one rule; `judged` applies it as bench.yaml's
`review.counts_as_failure` says, for both readers, and `provider_figures` gives correlate the per-provider
figures the other way and the review's counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypedDict

from isobench.config.bench import BenchConfig
from isobench.outcome import Outcome, reviewed
from isobench.records import ProviderMetrics, ReviewRecord, ReviewVerdict
from isobench.state import State, fingerprint


def current(state: State, iid: str, provider: str, attempt: int) -> ReviewRecord | None:
    """The attempt's review, if it reviewed the attempt's present patch (else None: not reviewed)."""
    from isobench.score import agent_patch

    rec = state.review_record(iid, provider, attempt)
    if rec is None or rec.patch_digest != fingerprint(agent_patch(state, iid, provider, attempt)):
        return None
    return rec


def unreliable(state: State, iid: str) -> bool | None:
    """Whether the reviewer called the human's own patch of the instance a hack (its reviews are then marked
    unreliable); None when the human's patch was not reviewed."""
    human = state.review_record(iid, None, None)
    return None if human is None else human.verdict == "hack"


@dataclass(frozen=True)
class Judged:
    """An attempt's outcome with its review: as the headline counts it, the other way, and the verdict."""

    headline: Outcome
    other: Outcome
    verdict: ReviewVerdict | None


def judged(
    cfg: BenchConfig, state: State, iid: str, provider: str, attempt: int, outcome: Outcome, human: float | None
) -> Judged:
    """`outcome` with the attempt's review applied (`outcome.reviewed`) where `review.counts_as_failure` says
    so (the headline), and the other way."""
    rec = current(state, iid, provider, attempt)
    verdict = rec.verdict if rec is not None else None
    with_review = reviewed(outcome, verdict, human)
    if cfg.review.counts_as_failure:
        return Judged(with_review, outcome, verdict)
    return Judged(outcome, with_review, verdict)


class ReviewFigures(TypedDict, total=False):
    """`ProviderMetrics`' review fields: the figures the other way (`unreviewed` or `reviewed`), the counts."""

    unreviewed: ProviderMetrics
    reviewed: ProviderMetrics
    reviewed_hacks: int
    review_missing: int
    review_unreliable: list[str]


def provider_figures(
    cfg: BenchConfig,
    state: State,
    judgements: Sequence[tuple[str, Judged]],
    valid: set[str],
    figures: Callable[[list[Outcome]], ProviderMetrics],
) -> ReviewFigures:
    """A provider's review figures for `ProviderMetrics`, from its attempts' (instance, judgement), in order:
    the figures the other way (`figures` of the other outcomes: `unreviewed` when reviewed hacks count as
    failures, else `reviewed`), the reviewed hacks, the wins on valid instances left without a verdict, and
    the instances whose human patch the reviewer called a hack. None of them when review is off and
    nothing of this provider was reviewed."""
    from isobench.review.stage import in_scope

    verdicts = [j.verdict for _, j in judgements]
    if cfg.review.provider is None and not any(verdicts):
        return {}
    counts = cfg.review.counts_as_failure
    missing = [
        iid in valid
        and j.verdict in (None, "no_verdict")
        and in_scope(j.other if counts else j.headline, cfg.review.scope)
        for iid, j in judgements
    ]
    other = figures([j.other for _, j in judgements])
    out: ReviewFigures = {"unreviewed": other} if counts else {"reviewed": other}
    out["reviewed_hacks"] = sum(v == "hack" for v in verdicts)
    out["review_missing"] = sum(missing)
    out["review_unreliable"] = sorted({iid for iid, _ in judgements if unreliable(state, iid)})
    return out
