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
- **integrity flags** (`isobench/score/integrity.py`, from what the harness saw outside the code under test):
  `workload_output_differs` (its workload printed or returned something else than base and the human: not
  correct), `background_work` (it worked outside the calls the harness timed: not timed), `cross_call_state`
  (its repeated calls gained far more than its first call: judged on its first calls).
- **opt, strict**: faster, and rho's 95% CI lower bound reaches the match threshold p (0.95).
- **opt, GSO-compatible**: correct, speedup point estimate >= 1.2 and rho point estimate >= p (GSO's opt_p).
- **beats human**: correct and rho is "faster" by the same rule a speedup is.
- **match label**: `confident_pass` / `confident_fail` / `inconclusive` for a correct timed attempt (rho's
  CI against p); otherwise why it could not match: `empty_patch`, `outside_targets`, `incorrect`,
  `not_timed`, `overfit`.
- **failure reason** (None for a strict opt): the first that applies of the attempt's status when the
  agent did not finish (`timeout`, `api_error`, ...), `empty_patch`, the build failure (`patch_failed`,
  `install_failed`, `outside_targets`, ...), `not_scored`, `incorrect`, `not_timed`, `overfit` (faster on
  the shown workload only), `not_faster` (correct but not faster than base), `below_human` (faster, but
  rho's CI low is below p).
"""

from __future__ import annotations

from isobench.records import Attempt, HeldoutEstimate, Outcome, VariantScore

__all__ = ["GSO_MIN_SPEEDUP", "Outcome", "decide", "overfit", "unscored"]

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


def decide(
    attempt: Attempt,
    row: VariantScore,
    human_speedup: float | None,
    match_threshold: float,
    human_heldout: HeldoutEstimate | None = None,
) -> Outcome:
    """The outcome of a scored attempt, from its record and its score row (see the module docstring);
    `human_heldout`: the human's result on the held-out workload, if the task has one."""
    empty = attempt.patch_empty or row.patch_empty
    valid = not empty and row.build == "ok"
    correct = valid and row.correct
    timed = correct and row.speedup is not None
    overfitted = timed and overfit(row, human_heldout)
    faster = timed and row.classification == "faster" and not overfitted
    rho = row.rho if timed else None
    strict = faster and bool(row.matches_human_strict)
    gso = (
        timed
        and not overfitted
        and row.speedup is not None
        and row.speedup >= GSO_MIN_SPEEDUP
        and rho is not None
        and rho >= match_threshold
    )
    no_change_rho = 1.0 / human_speedup if human_speedup else None  # rho of an attempt that changes nothing
    effective_rho = rho if timed else no_change_rho
    if empty:
        label: str | None = "empty_patch"
    elif row.build == "outside_targets":
        label = "outside_targets"
    elif not correct:
        label = _flag(row, "workload_output_differs") or "incorrect"
    elif not timed:
        label = _flag(row, "background_work") or "not_timed"
    elif overfitted:
        label = "overfit"
    elif not faster and _flag(row, "cross_call_state"):
        label = "cross_call_state"
    else:
        label = row.match_label
    return Outcome(
        scored=True,
        empty_patch=empty,
        valid_patch=valid,
        correct=correct,
        timed=timed,
        effective_speedup=row.speedup if timed and row.speedup is not None else 1.0,
        effective_rho=effective_rho,
        faster=faster,
        opt_strict=strict,
        opt_gso=gso,
        beats_human=timed and not overfitted and bool(row.beats_human),
        matches_human=timed and bool(row.matches_human_strict),
        matches_human_gso=timed and bool(row.matches_human_gso),
        match_label=label,
        failure_reason=None if strict else _failure(attempt, row, empty, correct, timed, faster, overfitted),
    )


def _flag(row: VariantScore | None, name: str) -> str | None:
    return name if row is not None and name in row.integrity else None


def unscored(attempt: Attempt) -> Outcome:
    """The outcome of an attempt `score` has not scored (yet): nothing is credited."""
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
        match_label="empty_patch" if attempt.patch_empty else None,
        failure_reason=_failure(attempt, None, attempt.patch_empty, False, False, False),
    )


def _failure(
    attempt: Attempt,
    row: VariantScore | None,
    empty: bool,
    correct: bool,
    timed: bool,
    faster: bool,
    overfitted: bool = False,
) -> str:
    """Why an attempt is not a strict opt: the first reason that applies (module docstring)."""
    if attempt.status != "success":
        return attempt.status
    if empty:
        return "empty_patch"
    if row is None:
        return "not_scored"
    if row.build != "ok":
        return row.build
    if not correct:
        return _flag(row, "workload_output_differs") or "incorrect"
    if not timed:
        return _flag(row, "background_work") or "not_timed"
    if overfitted:
        return "overfit"
    if not faster:
        return _flag(row, "cross_call_state") or "not_faster"
    return "below_human"
