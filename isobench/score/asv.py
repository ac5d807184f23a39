"""An instance's asv suite in `score`: a screening pass, then each chosen benchmark timed on its own across
the variants, then each variant's geometric mean over the benchmarks the human's change moved.

The rules (one definition each, here):
- **screening** (before anything else is timed): every benchmark is timed `score.asv_screen_rounds` rounds
  on base and the human only; a benchmark whose human speedup's CI includes 1.0 there, or whose speedup is
  within `score.min_gain` of 1.0 (screening has no A/A twin to measure how far two copies of the same code
  drift apart, and a few percent is within that reach), is `screened_out`,
  and of the rest only the `score.asv_max_benchmarks` the human moved most (largest |ln speedup|) go on;
- **the judged workload** of an instance whose only workload is its suite: the kept benchmarks as one call
  (`judged_workload`), timed like any shown workload (validity, rho and every outcome come from it);
- **full pass**: each kept benchmark is one measurement of the protocol (`Timer.measure`, interleaved rounds,
  adaptive, `score.asv_time_budget_s` per variant pair) over base, its A/A twin, the human and the correct
  agents, each with its estimate by the rule of the shown workload (`judge.estimates`);
- **unmoved**: a benchmark whose human CI (the copy spread included) includes 1.0 in the full pass is
  reported `unmoved` and left out of the geometric means, like a screened-out one: the human's change does
  not measurably touch it, so it can only add noise to a comparison with the human;
- **the headline**: per variant, the geometric mean of its speedups over the `moved` benchmarks with a 95%
  CI (`stats.geomean_estimate`, widened by the A/A twin's own geometric mean as every CI is); for an agent,
  FormulaCode's **advantage**: its geometric mean minus the human's.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from isobench.config import ScoreConfig
from isobench.measure.config import IN_PROCESS_ASV
from isobench.measure.protocol import Measurement
from isobench.measure.stats import (
    advantage_estimate,
    classify_speedup,
    geomean_estimate,
    noise_floor,
    with_copy_spread,
)
from isobench.records import AsvBenchmark, AsvBenchmarkRun, AsvEstimate, AsvRun, HeldoutEstimate, Instance
from isobench.score.judge import as_heldout, estimates
from isobench.score.timing import Timer
from isobench.score.variants import AA, BASE, HUMAN
from isobench.workload import Workload, asv_workload, shown_workload

SAMPLES = "samples-asv.jsonl"
"""The asv suite's raw samples (screening and full pass, one measurement per benchmark), beside samples.jsonl."""


@dataclass
class Screening:
    """The screening pass: each benchmark's record so far, the benchmarks kept for the full pass (the most
    moved first), and its wall time."""

    runs: dict[str, AsvBenchmarkRun]
    kept: list[AsvBenchmark]
    wall_s: float


def judged_workload(inst: Instance, screening: Screening | None) -> Workload:
    """The workload an instance is judged on (validity, rho, outcome): the shown one; for an instance whose
    only workload is its asv suite, the benchmarks screening kept, as one call (all of them when it kept
    none), so that benchmarks the human's change does not touch do not dilute its speedup."""
    w = shown_workload(inst)
    if not w.asv or screening is None or not screening.kept:
        return w
    return asv_workload(inst, screening.kept)


def screen(timer: Timer, inst: Instance, names: list[str]) -> Screening | None:
    """Every benchmark on base and the human for `score.asv_screen_rounds` rounds: a benchmark whose human
    CI includes 1.0, or whose speedup is within `score.min_gain` of 1.0, is screened out, and of the rest only
    the `score.asv_max_benchmarks` moved most (largest |ln speedup|) are kept. None without a suite or without
    base and the human built."""
    if inst.asv is None or BASE not in names or HUMAN not in names:
        return None
    sc = timer.cfg.score
    t0 = time.perf_counter()
    runs: dict[str, AsvBenchmarkRun] = {}
    moved: list[tuple[float, AsvBenchmark]] = []
    for n, b in enumerate(inst.asv.benchmarks):
        m, _ = timer.measure(
            inst,
            [BASE, HUMAN],
            asv_workload(inst, [b]),
            samples_file=SAMPLES,
            pair_budget_s=sc.asv_time_budget_s,
            rounds=sc.asv_screen_rounds,
            compile=n == 0,
        )
        if m.failed:
            who, error = next(iter(m.failed.items()))
            runs[b.name] = AsvBenchmarkRun(name=b.name, status="failed", reason=f"screening: {who}: {error[-400:]}")
            continue
        s = m.speedup(HUMAN)
        run = AsvBenchmarkRun(
            name=b.name, status="screened_out", screen_speedup=s.value, screen_speedup_ci=[s.ci_low, s.ci_high]
        )
        shown = f"screening ({m.rounds} rounds): the human's speedup {s.value:.3f} [{s.ci_low:.3f}, {s.ci_high:.3f}]"
        if s.contains(1.0):
            run.reason = f"{shown} includes 1.0: its change does not move this benchmark"
        elif abs(math.log(s.value)) < math.log1p(sc.min_gain):
            run.reason = (
                f"{shown} is within score.min_gain ({sc.min_gain:.0%}) of 1.0, the reach of two copies of the "
                "same code: its change does not measurably move this benchmark"
            )
        else:
            moved.append((abs(math.log(s.value)), b))
        runs[b.name] = run
    moved.sort(key=lambda x: -x[0])
    for _, b in moved[sc.asv_max_benchmarks :]:
        runs[b.name].reason = f"screening: moved less than the {sc.asv_max_benchmarks} kept (score.asv_max_benchmarks)"
    return Screening(runs, [b for _, b in moved[: sc.asv_max_benchmarks]], time.perf_counter() - t0)


def time_suite(
    timer: Timer, inst: Instance, names: list[str], screening: Screening | None
) -> tuple[AsvRun | None, dict[str, AsvEstimate]]:
    """Time each benchmark screening kept on `names` (base and the human among them): the suite's record and
    each variant's geometric mean. Nothing without a screening."""
    if inst.asv is None or screening is None:
        return None, {}
    sc = timer.cfg.score
    t0 = time.perf_counter()
    runs = dict(screening.runs)
    measured: dict[str, Measurement] = {}
    for b in screening.kept:
        m, _ = timer.measure(
            inst,
            names,
            asv_workload(inst, [b]),
            samples_file=SAMPLES,
            pair_budget_s=sc.asv_time_budget_s,
            compile=False,
        )
        runs[b.name] = full_pass(runs[b.name], m, sc)
        measured[b.name] = m
    headline = [n for n, r in runs.items() if r.status == "moved"]
    per_variant = geomeans([measured[n] for n in headline], [n for n in names if n != BASE], sc)
    run = AsvRun(
        config=inst.asv.config,
        benchmark_dir=inst.asv.benchmark_dir,
        timing_mode=IN_PROCESS_ASV,
        samples_file=SAMPLES,
        screen_rounds=sc.asv_screen_rounds,
        screen_wall_s=screening.wall_s,
        timing_wall_s=time.perf_counter() - t0,
        benchmarks=list(runs.values()),
        headline=headline,
        aa=per_variant.pop(AA, None),
    )
    return run, per_variant


def full_pass(run: AsvBenchmarkRun, m: Measurement, sc: ScoreConfig) -> AsvBenchmarkRun:
    """A kept benchmark's record from its full-pass measurement: each variant's estimate, and whether the
    human's change moved it (its CI excludes 1.0)."""
    done = {"rounds": m.rounds, "stop_reason": m.stop_reason, "run_id": m.run_id}
    if BASE in m.failed or HUMAN in m.failed:
        who = BASE if BASE in m.failed else HUMAN
        return run.model_copy(update={**done, "status": "failed", "reason": f"{who}: {m.failed[who][-400:]}"})
    est, floor = estimates(m, sc)
    out = {name: as_heldout(e) for name, e in est.items()}
    out.update({name: HeldoutEstimate(error=error) for name, error in m.failed.items()})
    lo, hi = est[HUMAN].speedup_ci or (0.0, math.inf)
    unmoved = lo <= 1.0 <= hi
    return run.model_copy(
        update={
            **done,
            "status": "unmoved" if unmoved else "moved",
            "reason": f"the human's CI [{lo:.3f}, {hi:.3f}] includes 1.0 in the full pass" if unmoved else None,
            "noise_floor": floor if math.isfinite(floor) else None,
            "estimates": out,
        }
    )


def geomeans(moved: list[Measurement], names: list[str], sc: ScoreConfig) -> dict[str, AsvEstimate]:
    """Each variant's geometric mean over the moved benchmarks (the A/A twin's too, under AA), its CI widened
    by the A/A twin's, its decision by the shown workload's rule; for agents, the advantage over the human."""
    if not moved:
        why = "no benchmark of the suite is moved by the human's change"
        return {n: AsvEstimate(error=why) for n in names}
    raw = {}
    out = {}
    for name in names:
        failed = [m.failed[name] for m in moved if name in m.failed]
        if failed:
            out[name] = AsvEstimate(error=failed[0][-400:], benchmarks=len(moved))
        else:
            raw[name] = geomean_estimate([(m.samples[BASE], m.samples[name]) for m in moved], seed=moved[0].config.seed)
    aa = raw.get(AA)
    floor = noise_floor(aa) if aa is not None else math.inf
    for name, r in raw.items():
        s = r if name == AA else with_copy_spread(r, aa)
        out[name] = AsvEstimate(
            speedup=s.value,
            speedup_ci=[s.ci_low, s.ci_high],
            classification=classify_speedup(s, min_gain=sc.min_gain, floor=0.0 if name == AA else floor),
            benchmarks=len(moved),
        )
    human = out.get(HUMAN)
    for name, e in out.items():
        if name not in (HUMAN, AA) and e.speedup is not None and human is not None and human.speedup is not None:
            _, e.advantage_ci = advantage_estimate(
                [(m.samples[BASE], m.samples[HUMAN], m.samples[name]) for m in moved], aa, seed=moved[0].config.seed
            )
            e.advantage = e.speedup - human.speedup
    return out
