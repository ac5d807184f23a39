"""An instance's held-out workload in `score`: never shown to the agent, timed after the shown one with the
same protocol, on base and the variants that are correct and were timed, into its own samples file. Each
variant gets its held-out estimate (`judge.heldout_estimates`); an attempt faster on the shown workload
only is `overfit`."""

from __future__ import annotations

import math

from isobench.records import HeldoutEstimate, HeldoutRun, Instance, MeasurementSummary
from isobench.score.integrity import output_check
from isobench.score.judge import heldout_estimates
from isobench.score.timing import Timer, timed_description
from isobench.score.variants import BASE
from isobench.workload import heldout_workload

HELDOUT_SAMPLES = "samples-heldout.jsonl"
"""The held-out workload's raw samples, beside the shown workload's samples.jsonl."""


def time_heldout(
    timer: Timer, inst: Instance, names: list[str]
) -> tuple[HeldoutRun | None, dict[str, HeldoutEstimate], dict[str, str]]:
    """Time the instance's held-out workload, if it has one, on `names` (base first): its measurement, each
    variant's result (nothing when there is no other variant than base), and the variants whose held-out
    results differ from base's and the human's (why, for each: they are not correct)."""
    workload = heldout_workload(inst)
    if workload is None or BASE not in names or len(names) < 2:
        return None, {}, {}
    sc = timer.cfg.score
    m, fallback = timer.measure(
        inst, names, workload, samples_file=HELDOUT_SAMPLES, pair_budget_s=sc.heldout_time_budget_s
    )
    held, floor, aa = heldout_estimates(m, sc)
    differs, compared, _ = output_check(m, inst.workload_output != "ignore")
    run = HeldoutRun(
        measurement=MeasurementSummary.model_validate(m.summary()),
        timing_mode=m.timing_mode,
        timed=timed_description(workload, m.timing_mode),
        samples_file=HELDOUT_SAMPLES,
        timing_fallback=fallback,
        noise_floor=floor if math.isfinite(floor) else None,
        aa=aa,
        output_check=compared,
    )
    return run, held, {name: f"on the held-out workload, {why}" for name, why in differs.items()}
