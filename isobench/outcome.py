"""What an attempt achieved: decided once, here, from its records.

`score` calls `decide` for every attempt it scores and sets the result, one `Outcome`, as the `outcome` of
the attempt's row of score.json; `correlate`, `export`, the report and the dataset card only read it (an
attempt that was never scored gets `unscored`). The README's metric definitions are these docstrings.

Definitions, for one agent attempt:

- **empty patch**: the agent changed no code (edits to tests and benchmarks do not count).
- **valid patch**: a non-empty patch that applies to the base and builds (setup and install commands pass).
- **correct**: a valid patch whose variant passes every test command that passes on the human commit.
  An empty patch is never correct: there is nothing to credit.
- **effective speedup**: the measured speedup over base if the attempt is correct and was timed, else 1.0
  (an incorrect or empty patch counts as no change, as SWE-fficiency counts it).
- **effective rho**: rho (agent speedup / human speedup) if correct and timed, else 1 / human speedup.
- **faster**: correct, and its speedup is `faster` by the timing rule (its whole 95% CI above
  1 + max(min_gain, the instance's A/A noise floor)), and not overfit.
- **overfit**: `faster` by that rule on the shown workload, while on the task's held-out workload (never
  shown to the agent) the human is `faster` and the attempt is `no_difference` or `slower`, or its run
  failed, or it is `inconclusive` there with its rho's CI wholly below its rho's CI on the shown workload.
  Such an attempt is not faster, not an opt (strict or GSO) and does not beat the human.
- **integrity flags** (defined in `isobench/flags.py`, raised in `isobench/score/integrity.py` from what the
  harness saw outside the code under test): `workload_output_differs` (not correct), `background_work` (not
  timed), `cross_call_state` and `shared_results`. **Every flag costs the win**: a flagged attempt is not
  faster, not an opt (strict or GSO), does not beat or match the human, and counts as no change (effective
  speedup 1.0), whatever its speedup.
- **opt, strict**: faster, and rho's 95% CI lower bound reaches the match threshold p (0.95).
- **opt, GSO-compatible**: correct, unflagged, speedup point estimate >= 1.2 and rho point estimate >= p
  (GSO's opt_p).
- **beats human**: correct, unflagged, and rho is "faster" by the same rule a speedup is.
- **raw outcome** (`Outcome.raw`, where it differs): the same attempt decided with `overfit`,
  `cross_call_state` and `shared_results` ignored (`flags.WIN_RULES`): the figures before the integrity rules,
  as GSO reports `score` beside `score_hack_control`. correlate reports both.
- **reviewed hack** (`reviewed`): a model review's `hack` verdict (`isobench review`) costs the win as a flag
  does, failure reason `reviewed_hack`; correlate reports the figures with and without it.
- **match label** and **failure reason** come from one ordered list of checks (`_STEPS`): the first check
  that applies gives both. In order: `empty_patch`; `not_scored`; the build failure (`patch_failed`,
  `install_failed`, `outside_targets`, ...; its label `outside_targets` or `incorrect`); `incorrect` (or
  `workload_output_differs`); `not_timed` (or `background_work`); `overfit`; `cross_call_state`;
  `shared_results`; then, for a correct timed unflagged attempt, the label is rho's (`confident_pass` /
  `confident_fail` / `inconclusive`, its CI against p) and the reason `not_faster` (not faster than base) or
  `below_human` (faster, rho's CI low below p), or None for a strict opt. An agent that did not finish
  (`timeout`, `api_error`, ...) has that status as its failure reason first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from isobench.flags import BACKGROUND_WORK, CROSS_CALL, OUTPUT_DIFFERS, SHARED_RESULTS, WIN_RULES
from isobench.records import Attempt, HeldoutEstimate, Outcome, VariantScore

__all__ = ["GSO_MIN_SPEEDUP", "Outcome", "decide", "overfit", "reviewed", "unscored"]

GSO_MIN_SPEEDUP = 1.2
"""GSO's opt threshold on the speedup over base (point estimate)."""


def overfit(row: VariantScore, human_heldout: HeldoutEstimate | None) -> bool:
    """Faster on the shown workload only: on the held-out one the human is faster and this row is not (no
    difference, slower, its run failed, or inconclusive while its rho there is below its rho on the shown
    workload, beyond both CIs). False when the task has no held-out workload."""
    held = row.heldout
    if row.classification != "faster" or held is None or human_heldout is None:
        return False
    if human_heldout.classification != "faster":
        return False  # the held-out workload shows no speedup to miss
    if held.error is not None or held.classification in ("no_difference", "slower"):
        return True
    # Where the noise is wider than min_gain, code identical to base comes out "no_difference" only by luck
    # (the floor is its A/A twin's far end, whose CI is as wide as its own): it is then "inconclusive", and
    # the drop of its rho from the shown workload to the held-out one is what shows the overfit.
    return (
        held.classification == "inconclusive"
        and held.rho_ci is not None
        and row.rho_ci is not None
        and held.rho_ci[1] < row.rho_ci[0]
    )


@dataclass(frozen=True)
class _Facts:
    """What the checks read: the attempt, its row (None: not scored) and what was decided of it so far."""

    attempt: Attempt
    row: VariantScore | None
    empty: bool
    correct: bool
    timed: bool
    faster: bool
    flags: tuple[str, ...]

    def has(self, flag: str) -> str | None:
        return flag if flag in self.flags else None


_Step = tuple[Callable[[_Facts], bool], Callable[[_Facts], "str | None"], Callable[[_Facts], "str | None"]]
_STEPS: list[_Step] = [
    # (applies, match label, failure reason): the first step that applies decides both.
    (lambda f: f.empty, lambda f: "empty_patch", lambda f: "empty_patch"),
    (lambda f: f.row is None, lambda f: None, lambda f: "not_scored"),
    (
        lambda f: f.row is not None and f.row.build != "ok",
        lambda f: "outside_targets" if f.row and f.row.build == "outside_targets" else "incorrect",
        lambda f: f.row.build if f.row else None,
    ),
    (
        lambda f: not f.correct,
        lambda f: f.has(OUTPUT_DIFFERS) or "incorrect",
        lambda f: f.has(OUTPUT_DIFFERS) or "incorrect",
    ),
    (
        lambda f: not f.timed,
        lambda f: f.has(BACKGROUND_WORK) or "not_timed",
        lambda f: f.has(BACKGROUND_WORK) or "not_timed",
    ),
    (lambda f: "overfit" in f.flags, lambda f: "overfit", lambda f: "overfit"),
    (lambda f: CROSS_CALL in f.flags, lambda f: CROSS_CALL, lambda f: CROSS_CALL),
    (lambda f: SHARED_RESULTS in f.flags, lambda f: SHARED_RESULTS, lambda f: SHARED_RESULTS),
    (lambda f: not f.faster, lambda f: f.row.match_label if f.row else None, lambda f: "not_faster"),
    (
        lambda f: not (f.row and f.row.matches_human_strict),
        lambda f: f.row.match_label if f.row else None,
        lambda f: "below_human",
    ),
]


def _label_and_reason(f: _Facts) -> tuple[str | None, str | None]:
    """(match label, failure reason) from the first step that applies; a strict opt has no failure reason."""
    status = f.attempt.status if f.attempt.status != "success" else None
    for applies, label_of, reason_of in _STEPS:
        if applies(f):
            return label_of(f), status or reason_of(f)
    return (f.row.match_label if f.row else None), status


def decide(
    attempt: Attempt,
    row: VariantScore,
    human_speedup: float | None,
    match_threshold: float,
    human_heldout: HeldoutEstimate | None = None,
) -> Outcome:
    """The outcome of a scored attempt, from its record and its score row (see the module docstring), with
    its raw view (the integrity rules that cost a win ignored) where that differs; `human_heldout`: the
    human's result on the held-out workload, if the task has one."""
    flags = [*row.integrity, *(["overfit"] if overfit(row, human_heldout) else [])]
    decided = _decide(attempt, row, human_speedup, match_threshold, tuple(flags))
    raw = _decide(attempt, row, human_speedup, match_threshold, tuple(f for f in flags if f not in WIN_RULES))
    return decided.model_copy(update={"raw": None if raw == decided else raw})


def _decide(
    attempt: Attempt, row: VariantScore, human_speedup: float | None, match_threshold: float, flags: tuple[str, ...]
) -> Outcome:
    empty = attempt.patch_empty or row.patch_empty
    valid = not empty and row.build == "ok"
    correct = valid and row.correct
    timed = correct and row.speedup is not None
    wins = timed and not any(f in WIN_RULES for f in flags)  # a flag costs the win
    faster = wins and row.classification == "faster"
    rho = row.rho if timed else None
    no_change_rho = 1.0 / human_speedup if human_speedup else None  # rho of an attempt that changes nothing
    label, reason = _label_and_reason(_Facts(attempt, row, empty, correct, timed, faster, flags))
    return Outcome(
        scored=True,
        empty_patch=empty,
        valid_patch=valid,
        correct=correct,
        timed=timed,
        effective_speedup=row.speedup if wins and row.speedup is not None else 1.0,
        effective_rho=rho if wins else no_change_rho,
        faster=faster,
        opt_strict=faster and bool(row.matches_human_strict),
        opt_gso=wins and (row.speedup or 0.0) >= GSO_MIN_SPEEDUP and rho is not None and rho >= match_threshold,
        beats_human=wins and bool(row.beats_human),
        matches_human=wins and bool(row.matches_human_strict),
        matches_human_gso=wins and bool(row.matches_human_gso),
        match_label=label,
        failure_reason=reason,
        flags=list(flags),
    )


def reviewed(outcome: Outcome, verdict: str | None, human_speedup: float | None) -> Outcome:
    """The outcome with its model review counted (`isobench review`; correlate and the export apply it as
    bench.yaml's `review.counts_as_failure` says): a `hack` verdict costs the win as an integrity flag does
    (not faster, not an opt, does not beat or match the human, counts as no change: effective speedup 1.0,
    effective rho 1 / the human's speedup), with failure reason `reviewed_hack` where its own reason was
    about speed (none, `not_faster`, `below_human`); `raw` keeps it as decided before the flags and the
    review (GSO's uncontrolled `score`). Any other verdict, or none, leaves it as it is."""
    if verdict != "hack":
        return outcome
    speed_reason = outcome.failure_reason in (None, "not_faster", "below_human")
    return outcome.model_copy(
        update={
            "faster": False,
            "opt_strict": False,
            "opt_gso": False,
            "beats_human": False,
            "matches_human": False,
            "matches_human_gso": False,
            "effective_speedup": 1.0,
            "effective_rho": 1.0 / human_speedup if human_speedup else None,
            "failure_reason": "reviewed_hack" if speed_reason else outcome.failure_reason,
            "raw": outcome.raw or outcome,
        }
    )


def unscored(attempt: Attempt) -> Outcome:
    """The outcome of an attempt `score` has not scored (yet): nothing is credited."""
    label, reason = _label_and_reason(_Facts(attempt, None, attempt.patch_empty, False, False, False, ()))
    return Outcome(
        scored=False,
        empty_patch=attempt.patch_empty,
        valid_patch=False,
        correct=False,
        timed=False,
        effective_speedup=1.0,
        effective_rho=None,
        faster=False,
        opt_strict=False,
        opt_gso=False,
        beats_human=False,
        match_label=label,
        failure_reason=reason,
    )
