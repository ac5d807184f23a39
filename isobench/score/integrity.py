"""What the code under test could have done to its own numbers, caught from outside it.

The timer process runs the candidate's code, so nothing it reports is trusted: the harness times every call
with its own clock and reads the variant's CPU time from its control group (`isobench/measure/spawn.py`).
The checks here turn what the harness saw into flags on a variant's row (`integrity`, with what raised each in
`evidence`); the flags and what each costs are defined in `isobench/flags.py`. The rules:

- `background_work`: its processes used more CPU than the calls the harness timed (work moved into a thread, a
  child process or between calls), or left processes running after a timed process ended (`measure/spawn.py`).
- `cross_call_state`: an agent's first call after import confidently keeps less than half the share of its
  repeated calls' gain over base (log scale) that the human's first call keeps of the human's (per round,
  paired, a bootstrap bound): where the human's first call keeps all of its gain, its first-call speedup is
  confidently below the square root of its repeated-call speedup. The agent is then judged on its first
  calls, timed in every round before any other call. Relative to the human, this rule never flags the
  human; a workload that builds its inputs on the first call lowers the human's share, and the bar with it.
- `shared_results`: more of its results per call were an earlier call's very objects (or one object twice in
  a call) than base's or its A/A copy's were (`_timer.py` counts them inside the timed call).
- `workload_output_differs`: a result compared on base, its A/A copy and the human (see `result_check`) differs
  on some call. Results are what the workload left behind: its stdout, a callable's return value, a script's
  or module's module-level names, an asv benchmark's return value, each by a stable
  digest. A task whose results are not comparable (timestamps, randomness) says `workload_output: ignore`.

A flag on the human's own patch makes the instance invalid (`Integrity.human`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from isobench.config import ScoreConfig
from isobench.flags import BACKGROUND_WORK, CROSS_CALL, OUTPUT_DIFFERS, SHARED_RESULTS, IntegrityFlag
from isobench.measure.protocol import MISSING, Measurement
from isobench.measure.stats import RatioEstimate, noise_floor, with_copy_spread
from isobench.records import ResultCheck, VariantEstimate
from isobench.score.estimate import variant_estimate
from isobench.score.variants import AA, BASE, HUMAN

CROSS_CALL_SHARE = 0.5
"""An agent's first call after import must keep at least this share of the share of its gain the human's first
call keeps (log scale): confidently less, and its gain came from state kept across calls."""


def _first_call_share(m: Measurement, name: str) -> tuple[float, float] | None:
    """(the log of the upper end of its first-call speedup's 95% CI, the log of its repeated-call speedup), both
    over base and paired by round (`Measurement.first_call_speedup`, `Measurement.speedup`: the one estimate
    builder); None without enough first calls. On a log scale: a slow phase of the machine scales both sides
    of a round alike, and single first calls, noisy as they are, are compared with the gain in proportion to
    its size."""
    first = m.first_call_speedup(name)
    if first is None or first.ci_high is None or not math.isfinite(first.ci_high) or first.ci_high <= 0:
        return None
    return math.log(first.ci_high), math.log(m.speedup(name).value)


def human_share(m: Measurement) -> float:
    """The share of its repeated calls' gain (log scale, 0 to 1) the human's first call keeps: 1 for a workload
    whose first call is like the others, less when the first call also pays for something both sides do once
    (inputs built and cached on the first call), 0 when the human's own gain is a cache. 1 where it cannot be
    told (no first calls, the human not timed or not faster)."""
    first = m.first_call_speedup(HUMAN) if HUMAN in m.samples and HUMAN not in m.failed else None
    if first is None:
        return 1.0
    repeated = m.speedup(HUMAN).value
    if repeated <= 1.0:
        return 1.0
    return min(1.0, max(0.0, math.log(max(first.value, 1e-12)) / math.log(repeated)))


def _keeps_little(m: Measurement, name: str, reference: float) -> bool:
    """Its first call confidently keeps less than CROSS_CALL_SHARE x `reference` (the human's share) of its
    repeated calls' gain, log scale. Where the human's first call keeps all of its gain, that is: its first-call
    speedup confidently below the square root of its repeated-call speedup (a 100x repeated gain needs 10x on
    first calls; an honest 1.5x is flagged only if its first calls are confidently below 1.22x)."""
    got = _first_call_share(m, name)
    return got is not None and got[1] > 0 and got[0] < CROSS_CALL_SHARE * reference * got[1]


WEAK_SIZE = 32
"""A comparison of fewer characters than this (a count, a flag, nothing) cannot tell most wrong answers from
right ones: the instance is marked weak."""


def _single(m: Measurement, variant: str, name: str) -> str | None:
    """The one value `variant` left under `name` on every call, or None (several, missing, not measured)."""
    seen = m.results.get(variant, {}).get(name, [])
    return seen[0] if len(seen) == 1 and seen[0] != MISSING else None


def result_check(m: Measurement, compare: bool) -> ResultCheck | None:
    """Which results every agent's must match: those the same on every call of base, its A/A copy and the
    human; the rest left out and listed as non-deterministic or changed by the human."""
    if not compare or not m.results.get(BASE) or not m.results.get(HUMAN):
        return None
    check = ResultCheck()
    for name in sorted(m.results[BASE]):
        ref = _single(m, BASE, name)
        if ref is None or (m.results.get(AA) and AA not in m.failed and _single(m, AA, name) != ref):
            check.nondeterministic.append(name)
        elif _single(m, HUMAN, name) != ref:
            check.changed_by_human.append(name)
        else:
            check.compared.append(name)
            check.size += int(ref.rpartition(":")[2] or 0)
    if check.size < WEAK_SIZE:
        check.weak = True
        what = ", ".join(check.compared) or "nothing"
        check.weak_reason = (
            f"only {check.size} characters of results are compared ({what}): a wrong answer of the same size "
            "passes; make the workload print or keep what it computes"
        )
    return check


def output_check(m: Measurement, compare: bool) -> tuple[dict[str, str], str, ResultCheck | None]:
    """(variant -> which of its results differ, for those whose do; what was compared; the check)."""
    if not compare:
        return {}, "not compared: the task says workload_output: ignore", None
    check = result_check(m, compare)
    if check is None:
        return {}, "not compared: base or the human left no results that were recorded", None
    if not check.compared:
        return {}, "not comparable: base's and the human's results differ from call to call or between them", check
    differs = {}
    for name, seen in m.results.items():
        if name in (BASE, HUMAN, AA) or not seen:
            continue
        wrong = [r for r in check.compared if seen.get(r, [MISSING]) != [m.results[BASE][r][0]]]
        if wrong:
            differs[name] = f"{OUTPUT_DIFFERS}: its {', '.join(wrong)} differ from base's and the human's"
    weak = " (weak: " + check.weak_reason + ")" if check.weak_reason else ""
    return differs, f"compared: {', '.join(check.compared)} on base and the human, every call{weak}", check


def shared(m: Measurement) -> dict[str, str]:
    """Variants whose calls handed back more shared mutable results than base's and its A/A copy's did."""
    allowed = max(m.shared.get(BASE, 0), m.shared.get(AA, 0))
    return {
        name: (
            f"{SHARED_RESULTS}: up to {n} of its results per call were an earlier call's objects or the same "
            f"object twice (base: {m.shared.get(BASE, 0)})"
        )
        for name, n in m.shared.items()
        if name not in (BASE, AA) and name not in m.failed and n > allowed
    }


def cross_call(m: Measurement, est: dict[str, VariantEstimate], sc: ScoreConfig, floor: float) -> dict[str, str]:
    """Flag the agents whose speed came from state kept across calls, and judge them on their first calls
    (updates `est` in place); returns the flagged names with what raised each flag. The rule is relative to
    the human's own first calls (`human_share`), so it never flags the human."""
    if not m.first.get(BASE):
        return {}  # whole processes: every call is a first call
    reference = human_share(m)
    # First calls are judged like repeated ones: with the copy spread and the noise floor of the A/A twin's
    # own first calls (single calls, not the fastest of several: noisier).
    aa_first = m.first_call_speedup(AA) if AA in m.first else None
    floor = max(floor, noise_floor(aa_first)) if aa_first is not None else math.inf
    flagged = {}
    for name, e in list(est.items()):
        if name in (HUMAN, AA) or e.classification != "faster" or not _keeps_little(m, name, reference):
            continue
        got = _first_call_share(m, name)
        assert got is not None
        flagged[name] = (
            f"{CROSS_CALL}: its first calls' speedup is at most {math.exp(got[0]):.2f}x (95% bound), its repeated "
            f"calls' {math.exp(got[1]):.2f}x: it keeps under {CROSS_CALL_SHARE:.0%} of the {reference:.0%} share "
            "of the gain the human's first calls keep (log scale)"
        )
        est[name] = _first_calls(m, name, e, sc, floor, aa_first)
    return flagged


def _first_calls(
    m: Measurement, name: str, e: VariantEstimate, sc: ScoreConfig, floor: float, aa_first: RatioEstimate | None
) -> VariantEstimate:
    """`name`'s estimate judged on its first calls after import (too few rounds: inconclusive)."""
    first = m.first_call_speedup(name)
    if first is None:  # too few rounds to judge the first calls: nothing can be said
        update = {"repeated_call_speedup": e.speedup, "classification": "inconclusive", "speedup_ci": None}
        return e.model_copy(update=update)
    rho = m.first_call_rho(name) if HUMAN not in m.failed else None
    return variant_estimate(
        with_copy_spread(first, aa_first),
        with_copy_spread(rho, aa_first) if rho is not None else None,
        sc,
        floor,
        repeated_call_speedup=e.speedup,
    )


@dataclass
class Integrity:
    """Every check on one measurement: per variant its flags and what raised each; the result check."""

    flags: dict[str, list[IntegrityFlag]] = field(default_factory=dict)
    evidence: dict[str, dict[str, str]] = field(default_factory=dict)
    compared: str = ""
    check: ResultCheck | None = None

    def add(self, name: str, flag: IntegrityFlag, why: str) -> None:
        self.flags.setdefault(name, []).append(flag)
        self.evidence.setdefault(name, {})[flag] = why

    @property
    def differs(self) -> list[str]:
        return [n for n, fs in self.flags.items() if OUTPUT_DIFFERS in fs]

    def human(self) -> str | None:
        """Why the instance is invalid when the human's own patch is flagged, else None."""
        got = self.evidence.get(HUMAN)
        return "the human's patch is flagged: " + "; ".join(got.values()) if got else None


def flags(m: Measurement, est: dict[str, VariantEstimate], sc: ScoreConfig, floor: float, compare: bool) -> Integrity:
    """Every check on one measurement. Judges cross-call agents on their first calls (in `est`)."""
    out = Integrity()
    for name, error in m.failed.items():
        if BACKGROUND_WORK in error:
            out.add(name, BACKGROUND_WORK, error)
    for name, why in cross_call(m, est, sc, floor).items():
        out.add(name, CROSS_CALL, why)
    for name, why in shared(m).items():
        out.add(name, SHARED_RESULTS, why)
    differs, out.compared, out.check = output_check(m, compare)
    for name, why in differs.items():
        out.add(name, OUTPUT_DIFFERS, why)
    return out
