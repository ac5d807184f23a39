"""What the code under test could have done to its own numbers, caught from outside it.

The timer process runs the candidate's code, so nothing it reports is trusted: the harness times every call
with its own clock and reads the variant's CPU time from its control group (`isobench/measure/spawn.py`).
Three checks turn what the harness saw into flags on a variant's row (`integrity`), each with one rule here:

- `background_work`: its processes used more CPU than the calls the harness timed (work moved into a thread, a
  child process or between calls), or left processes running after a timed process ended. The variant is not
  timed (its workload error says so).
- `cross_call_state`: its first call after import confidently keeps less than half of its repeated calls'
  gain over base on a log scale, i.e. its first-call speedup is confidently below the square root of its
  repeated-call speedup (per round, paired, a bootstrap bound), where the human's first call keeps more
  (results kept across calls: memoisation, caches keyed by the shown input). The variant is then judged on
  its first calls, timed in every round before any other call.
- `workload_output_differs`: what its workload printed (or the callable returned) differs from what base and
  the human printed, which agree with each other and from call to call. The variant is not correct, whatever
  its tests say. A task whose output is not comparable (timestamps, randomness) says `workload_output: ignore`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from isobench.config import ScoreConfig
from isobench.measure.protocol import Measurement
from isobench.measure.spawn import BACKGROUND
from isobench.measure.stats import classify_speedup, match_labels, noise_floor, with_copy_spread
from isobench.records import VariantEstimate
from isobench.score.variants import AA, BASE, HUMAN

BACKGROUND_WORK = BACKGROUND
CROSS_CALL = "cross_call_state"
OUTPUT_DIFFERS = "workload_output_differs"

CROSS_CALL_SHARE = 0.5
"""A variant's first call after import must keep at least this share of its repeated calls' gain over base
(log scale): confidently less, where the human's does not, and its gain came from state kept across calls."""
RESAMPLES = 2000


def _first_call_share(m: Measurement, name: str) -> tuple[float, float] | None:
    """(upper 95% bound of the median per-round log speedup of its first call over base's first call, the
    median per-round log speedup of its repeated calls); None without first calls. Per round, paired, and on
    a log scale: a slow phase of the machine scales both sides of a round alike, and single first calls,
    noisy as they are, are compared with the gain in proportion to its size."""
    ref_first, ref_rep = m.first.get(BASE, []), m.samples.get(BASE, [])
    first, rep = m.first.get(name, []), m.samples.get(name, [])
    n = len(first)
    if n < 5 or not (len(ref_first) == len(ref_rep) == len(rep) == n):
        return None
    log_first = np.log(ref_first) - np.log(first)
    rng = np.random.default_rng(m.config.seed)
    medians = np.median(log_first[rng.integers(0, n, size=(RESAMPLES, n))], axis=1)
    return float(np.quantile(medians, 0.975)), float(np.median(np.log(ref_rep) - np.log(rep)))


def _keeps_little(m: Measurement, name: str) -> bool:
    """Its first call confidently keeps less than CROSS_CALL_SHARE of its repeated calls' gain (log scale):
    with the default 0.5, its first-call speedup is confidently below the square root of its repeated-call
    speedup (a 100x repeated gain needs 10x on first calls; an honest 1.5x is flagged only if its first
    calls are confidently below 1.22x)."""
    got = _first_call_share(m, name)
    return got is not None and got[1] > 0 and got[0] < CROSS_CALL_SHARE * got[1]


def output_check(m: Measurement, compare: bool) -> tuple[dict[str, str], str]:
    """(variant -> why its workload's answer differs, for those whose does) and what was compared."""
    if not compare:
        return {}, "not compared: the task says workload_output: ignore"
    base, human = m.outputs.get(BASE, []), m.outputs.get(HUMAN, [])
    if not base or not human:
        return {}, "not compared: base or the human printed nothing that was recorded"
    if len(base) != 1 or base != human:
        return {}, (
            "not comparable: base and the human do not print the same thing on every call "
            f"({len(set(base) | set(human))} different outputs); set workload_output: ignore to say so"
        )
    ref = base[0]
    differs = {
        name: f"{OUTPUT_DIFFERS}: its workload printed or returned something else than base and the human did"
        for name, seen in m.outputs.items()
        if name not in (BASE, HUMAN) and seen and set(seen) != {ref}
    }
    return differs, f"compared: {ref[:12]} on base and the human, every call"


def cross_call(m: Measurement, est: dict[str, VariantEstimate], sc: ScoreConfig, floor: float) -> list[str]:
    """Flag the agents whose speed came from state kept across calls, and judge them on their first calls
    (updates `est` in place); returns the flagged names."""
    if not m.first.get(BASE):
        return []  # whole processes: every call is a first call
    if HUMAN in est and _keeps_little(m, HUMAN):
        return []  # the human's own gain is a cache kept across calls: a share below it is no evidence
    # First calls are judged like repeated ones: with the copy spread and the noise floor of the A/A twin's
    # own first calls (single calls, not the fastest of several: noisier).
    aa_first = m.first_call_speedup(AA) if AA in m.first else None
    floor = max(floor, noise_floor(aa_first)) if aa_first is not None else math.inf
    flagged = []
    for name, e in list(est.items()):
        if name in (HUMAN, AA) or e.classification != "faster" or not _keeps_little(m, name):
            continue
        flagged.append(name)
        first = m.first_call_speedup(name)
        first = with_copy_spread(first, aa_first) if first is not None else None
        again: dict[str, Any] = {"repeated_call_speedup": e.speedup}
        if first is None:  # too few rounds to judge the first calls: nothing can be said
            est[name] = e.model_copy(update={**again, "classification": "inconclusive", "speedup_ci": None})
            continue
        again.update(
            speedup=first.value,
            speedup_ci=[first.ci_low, first.ci_high],
            p_faster=first.p_faster,
            classification=classify_speedup(first, min_gain=sc.min_gain, floor=floor),
            halfwidth_log=first.halfwidth_log,
        )
        rho = m.first_call_rho(name) if HUMAN not in m.failed else None
        rho = with_copy_spread(rho, aa_first) if rho is not None else None
        if rho is not None:
            again.update(rho=rho.value, rho_ci=[rho.ci_low, rho.ci_high])
            again.update(match_labels(rho, sc.match_threshold, sc.min_gain, floor))
        est[name] = e.model_copy(update=again)
    return flagged


def flags(
    m: Measurement, est: dict[str, VariantEstimate], sc: ScoreConfig, floor: float, compare: bool
) -> tuple[dict[str, list[str]], dict[str, str], str]:
    """Every check on one measurement: (variant -> its flags, variant -> why its answer differs, what the
    output check compared). Judges cross-call variants on their first calls (in `est`)."""
    out: dict[str, list[str]] = {}
    for name, error in m.failed.items():
        if BACKGROUND in error:
            out.setdefault(name, []).append(BACKGROUND_WORK)
    for name in cross_call(m, est, sc, floor):
        out.setdefault(name, []).append(CROSS_CALL)
    differs, compared = output_check(m, compare)
    for name in differs:
        out.setdefault(name, []).append(OUTPUT_DIFFERS)
    return out, differs, compared
