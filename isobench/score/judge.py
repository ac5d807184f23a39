"""From builds, tests and a measurement to score.json's rows: correctness against the human commit,
speedups and rho with their CIs and labels (the A/A twin's noise floor included), the instance's
validity, and every attempt's outcome (`outcome.decide`, the one place that decides)."""

from __future__ import annotations

import math
from typing import TypedDict

from isobench.config import ScoreConfig
from isobench.measure.protocol import Measurement
from isobench.measure.stats import noise_floor, with_copy_spread
from isobench.outcome import decide
from isobench.records import (
    AsvEstimate,
    Attempt,
    Estimate,
    HeldoutEstimate,
    VariantBuild,
    VariantEstimate,
    VariantScore,
)
from isobench.score.estimate import variant_estimate
from isobench.score.integrity import Integrity
from isobench.score.variants import AA, BASE, HUMAN


def correctness(builds: dict[str, VariantBuild]) -> tuple[dict[str, bool], list[str], bool]:
    """(variant -> its tests pass as on the human commit, the test commands that fail on the human commit
    and therefore count for no one, whether no test passes there at all: then nothing is correct)."""
    human_tests = {t.command: t.passed for t in builds[HUMAN].tests}
    excluded = [c for c, ok in human_tests.items() if not ok]
    no_gate = builds[HUMAN].build == "ok" and not any(human_tests.values())
    passes = {
        name: b.build == "ok" and not no_gate and all(t.passed for t in b.tests if t.command not in excluded)
        for name, b in builds.items()
    }
    return passes, excluded, no_gate


def estimates(m: Measurement, sc: ScoreConfig) -> tuple[dict[str, VariantEstimate], float]:
    """Per timed variant: speedup, CI, classification (beyond max(min_gain, the A/A noise floor)) and, for
    agents, rho and the match labels; and the noise floor itself."""
    aa = m.speedup(AA) if AA in m.samples and AA not in m.failed else None
    # Without a timed A/A twin nothing bounds what identical code may show here: an infinite floor, so
    # every decision is "inconclusive" (never a floor of 0, which would let noise pass for a speedup).
    floor = noise_floor(aa) if aa is not None else (math.inf if AA in m.variants else 0.0)
    est: dict[str, VariantEstimate] = {}
    for name in m.variants:
        if name == BASE or name in m.failed:
            continue
        # Every CI carries the copy-to-copy spread the A/A twin measured (see stats.with_copy_spread).
        s = m.speedup(name) if name == AA else with_copy_spread(m.speedup(name), aa)
        rho = with_copy_spread(m.rho(name), aa) if name not in (HUMAN, AA) and HUMAN not in m.failed else None
        # The A/A twin is judged against min_gain alone: it is the floor.
        est[name] = variant_estimate(s, rho, sc, 0.0 if name == AA else floor)
    return est, floor


def validity(
    est: dict[str, VariantEstimate], m: Measurement, sc: ScoreConfig, margin: float
) -> tuple[bool, str | None]:
    """An instance counts only when its human speedup is `faster` by the rule and its CI low reaches
    `admission_min_speedup`; else the reason."""
    human = est.get(HUMAN)
    if human is None:
        return False, f"the human variant failed to run its workload: {m.failed.get(HUMAN, 'no samples')}"
    lo, hi = human.speedup_ci or (0.0, math.inf)
    if human.classification == "faster" and lo >= sc.admission_min_speedup:
        return True, None
    return False, (
        f"the human speedup is not established over {m.rounds} rounds: {human.speedup:.3f}, 95% CI "
        f"[{lo:.3f}, {hi:.3f}]; admission needs the whole CI above {1 + margin:.3f} (the larger of min_gain "
        f"and the A/A noise floor) and above admission_min_speedup {sc.admission_min_speedup}"
    )


class Noisy(TypedDict):
    """An instance's noisy flag and why (score.json's `noisy`, `noisy_reason`)."""

    noisy: bool
    noisy_reason: str | None


def noisy_flag(aa: Estimate | None, aa_error: str | None, min_gain: float) -> Noisy:
    """An instance whose A/A twin (identical code) does not come out "no difference" is flagged noisy."""
    if aa is None:
        return {"noisy": True, "noisy_reason": f"the A/A twin could not be timed: {aa_error}"}
    lo, hi = aa.speedup_ci or (0.0, math.inf)
    if aa.classification in ("faster", "slower"):
        why = f"the A/A twin (identical code) came out {aa.classification}: {aa.speedup:.3f} [{lo:.3f}, {hi:.3f}]"
    elif aa.classification != "no_difference":
        why = (
            f"the A/A twin's CI [{lo:.3f}, {hi:.3f}] reaches beyond +-{min_gain:.0%}: differences smaller than "
            "its far end are not resolved (the decision margin is raised to it)"
        )
    else:
        return {"noisy": False, "noisy_reason": None}
    return {"noisy": True, "noisy_reason": why}


def heldout_estimates(m: Measurement, sc: ScoreConfig) -> tuple[dict[str, HeldoutEstimate], float, Estimate | None]:
    """Per variant timed on the held-out workload: its estimate by the same rule as the shown workload's
    (`estimates`, with the held-out A/A twin's floor), or why its run failed; that floor; the A/A twin's
    estimate. Nothing when base itself failed: there is no reference."""
    if BASE in m.failed:
        return {}, 0.0, None
    est, floor = estimates(m, sc)
    out = {name: as_heldout(e) for name, e in est.items()}
    out.update({name: HeldoutEstimate(error=error) for name, error in m.failed.items()})
    return out, floor, aa_estimate(est)


def as_heldout(e: VariantEstimate) -> HeldoutEstimate:
    """An estimate as a held-out (or asv benchmark's) result: speedup, CI, decision, rho."""
    return HeldoutEstimate(**e.model_dump(include=set(HeldoutEstimate.model_fields)))


def aa_estimate(est: dict[str, VariantEstimate]) -> Estimate | None:
    """The A/A twin's estimate, as score.json's `aa` holds it."""
    e = est.get(AA)
    return Estimate(**e.model_dump(include=set(Estimate.model_fields))) if e else None


def rows(
    builds: dict[str, VariantBuild],
    passes: dict[str, bool],
    attempts: dict[str, Attempt],
    est: dict[str, VariantEstimate] | None,
    failed: dict[str, str],
    match_threshold: float,
    run_id: str | None,
    heldout: dict[str, HeldoutEstimate] | None = None,
    integrity: Integrity | None = None,
    asv: dict[str, AsvEstimate] | None = None,
) -> dict[str, VariantScore]:
    """score.json's rows (the A/A twin is reported on its own, not as a row), each agent row with its
    outcome decided once, here; `heldout`: each variant's result on the held-out workload; `asv`: each
    variant's geometric mean on the asv suite."""
    human = (est or {}).get(HUMAN)
    heldout = heldout or {}
    out = {}
    for name, b in builds.items():
        if name == AA:
            continue
        row = VariantScore(
            kind=b.kind,
            provider=b.provider,
            attempt=b.attempt,
            build=b.build,
            error=b.error,
            correct=passes[name],
            tests=[t.model_copy(update={"seconds": None, "output_tail": None}) for t in b.tests],
            patch_empty=b.patch_empty,
            fingerprint=b.fingerprint,
            run_id=run_id if est is not None else None,
            workload_error=failed.get(name),
            heldout=heldout.get(name),
            asv=(asv or {}).get(name),
            integrity=integrity.flags.get(name, []) if integrity else [],
            evidence=integrity.evidence.get(name, {}) if integrity else {},
            **(e.model_dump(exclude_none=True) if (e := (est or {}).get(name)) else {}),
        )
        if b.kind == "agent":
            row = with_outcome(
                row, attempts[name], human.speedup if human else None, match_threshold, heldout.get(HUMAN)
            )
        out[name] = row
    return out


def with_outcome(
    row: VariantScore,
    attempt: Attempt,
    human_speedup: float | None,
    match_threshold: float,
    human_heldout: HeldoutEstimate | None = None,
) -> VariantScore:
    """An agent's measured row with its outcome (`outcome.decide`) set in it."""
    return row.model_copy(update={"outcome": decide(attempt, row, human_speedup, match_threshold, human_heldout)})
