"""What an attempt achieved: decided once, here, from its records.

`score` calls `decide` for every attempt it scores and writes the result into the attempt's row of
score.json; `correlate`, `export`, the report and the dataset card only read those fields (an attempt
that was never scored gets `unscored`). The README's metric definitions are these docstrings.

Definitions, for one agent attempt:

- **empty patch**: the agent changed no code (edits to tests and benchmarks do not count).
- **valid patch**: a non-empty patch that applies to the base and builds (setup and install commands pass).
- **correct**: a valid patch whose variant passes every test command that passes on the human commit.
  An empty patch is never correct: there is nothing to credit.
- **effective speedup**: the measured speedup over base if the attempt is correct and was timed, else 1.0
  (an incorrect or empty patch counts as no change, as SWE-fficiency counts it).
- **effective rho**: rho (agent speedup / human speedup) if correct and timed, else 1 / human speedup.
- **faster**: correct, and its speedup is `faster` by the timing rule (its whole 95% CI above
  1 + max(min_gain, the instance's A/A noise floor)).
- **opt, strict**: faster, and rho's 95% CI lower bound reaches the match threshold p (0.95).
- **opt, GSO-compatible**: correct, speedup point estimate >= 1.2 and rho point estimate >= p (GSO's opt_p).
- **beats human**: correct and rho is "faster" by the same rule a speedup is.
- **match label**: `confident_pass` / `confident_fail` / `inconclusive` for a correct timed attempt (rho's
  CI against p); otherwise why it could not match: `empty_patch`, `outside_targets`, `incorrect`,
  `not_timed`.
- **failure reason** (None for a strict opt): the first that applies of the attempt's status when the
  agent did not finish (`timeout`, `api_error`, ...), `empty_patch`, the build failure (`patch_failed`,
  `install_failed`, `outside_targets`, ...), `not_scored`, `incorrect`, `not_timed`, `not_faster` (correct
  but not faster than base), `below_human` (faster, but rho's CI low is below p).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from isobench.records import Attempt, VariantScore

GSO_MIN_SPEEDUP = 1.2
"""GSO's opt threshold on the speedup over base (point estimate)."""


class Outcome(BaseModel):
    """The decisions about one attempt (see the module docstring for each definition)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scored: bool
    empty_patch: bool
    valid_patch: bool
    correct: bool
    timed: bool
    effective_speedup: float
    effective_rho: float | None
    faster: bool
    opt_strict: bool
    opt_gso: bool
    beats_human: bool
    match_label: str | None
    failure_reason: str | None


def decide(attempt: Attempt, row: VariantScore, human_speedup: float | None, match_threshold: float) -> Outcome:
    """The outcome of a scored attempt, from its record and its score row (see the module docstring)."""
    empty = attempt.patch_empty or row.patch_empty
    valid = not empty and row.build == "ok"
    correct = valid and row.correct
    timed = correct and row.speedup is not None
    faster = timed and row.classification == "faster"
    rho = row.rho if timed else None
    strict = faster and bool(row.matches_human_strict)
    gso = (
        timed
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
        label = "incorrect"
    elif not timed:
        label = "not_timed"
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
        beats_human=timed and bool(row.beats_human),
        match_label=label,
        failure_reason=None if strict else _failure(attempt, row, empty, correct, timed, faster),
    )


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


def _failure(attempt: Attempt, row: VariantScore | None, empty: bool, correct: bool, timed: bool, faster: bool) -> str:
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
        return "incorrect"
    if not timed:
        return "not_timed"
    if not faster:
        return "not_faster"
    return "below_human"
