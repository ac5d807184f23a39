"""`score`: correctness and speed of base, human and every agent patch, measured side by side.

Per instance: every variant gets its own copy of the base (history-free, from the snapshot), its own
venv, the human's test patch, and its own patch (none for base and its A/A twin; the human's code patch;
the agent's code patch, its test edits discarded); all candidate code runs in the sandbox (`build`).
Then all variants are timed together with the interleaved, adaptive protocol of `isobench.measure`
(`timing`), every speedup gets a 95% CI, and every attempt its outcome (`judge`). A task's held-out
workload (never shown to the agent) is then timed the same way on the variants that are correct and were
timed, into its own samples file (`samples-heldout.jsonl`); an attempt faster on the shown workload only
is `overfit`. A task's asv suite is then screened and timed benchmark by benchmark on the same variants
(`asv`, `samples-asv.jsonl`).

Resumable per variant (`variants/<name>.json`) and per instance (`score.json`, written last; redone when
a variant or the protocol changes, or when the files beside it are not its own). `score -p P` re-measures
P's attempts and keeps the other providers' rows of the last score.json, each naming the measurement it
comes from. Every run writes into a staging folder and replaces the instance's unit whole (`unit`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from isobench.config import BenchConfig
from isobench.executors import Executor
from isobench.executors.local import LocalExecutor
from isobench.flags import OUTPUT_DIFFERS
from isobench.prepare import ensure_snapshot
from isobench.progress import ScoreReporter
from isobench.records import (
    Attempt,
    HeldoutEstimate,
    HeldoutRun,
    Instance,
    InstanceScore,
    MeasurementSummary,
    VariantBuild,
    VariantScore,
)
from isobench.resources import Resources
from isobench.sandbox import Sandbox
from isobench.score import integrity, unit
from isobench.score.asv import judged_workload, screen, time_suite
from isobench.score.build import Builder
from isobench.score.heldout import HELDOUT_SAMPLES, time_heldout
from isobench.score.judge import (
    aa_estimate,
    correctness,
    estimates,
    noisy_flag,
    rows,
    validity,
)
from isobench.score.timing import Timer, machine_environment, timed_description
from isobench.score.variants import AA, BASE, HUMAN, VariantSpec, agent_patch, check_attempts_current, variant_specs
from isobench.state import State, fingerprint

__all__ = ["AA", "BASE", "HELDOUT_SAMPLES", "HUMAN", "Scorer", "agent_patch", "score"]


@dataclass
class Plan:
    specs: list[VariantSpec]
    carried: dict[str, VariantScore]
    fingerprint: str
    current: InstanceScore | None  # the last score.json, when it still holds


def carried_rows(
    builder: Builder, inst: Instance, every: list[VariantSpec], old: InstanceScore | None, fresh: set[str]
) -> dict[str, VariantScore]:
    """Rows of the last score.json kept for variants not re-measured now, while each still describes its
    attempt (same fingerprint)."""
    if old is None:
        return {}
    return {
        v.name: old.variants[v.name]
        for v in every
        if v.name not in fresh
        and v.name in old.variants
        and old.variants[v.name].fingerprint == builder.fingerprint(inst, v)
    }


def attempt_records(state: State, iid: str, specs: list[VariantSpec]) -> dict[str, Attempt]:
    """The run's record of each agent variant's attempt, by variant name (`score` only takes recorded ones)."""
    attempts: dict[str, Attempt] = {}
    for v in specs:
        if v.kind == "agent":
            assert v.provider is not None and v.attempt is not None
            rec = state.attempt_result(iid, v.provider, v.attempt)
            assert rec is not None
            attempts[v.name] = rec
    return attempts


def unjudgeable(builds: dict[str, VariantBuild], excluded: list[str], no_gate: bool) -> tuple[str, str] | None:
    """Why nothing of an instance can be judged, as (status, reason): base, the human or the A/A twin does not
    build, or no correctness test passes on the human commit. None: it can be timed and judged."""
    broken = next((n for n in (BASE, HUMAN, AA) if builds[n].build != "ok"), None)
    if broken is not None:
        status = "human_failed" if broken == HUMAN else "base_failed"
        return status, f"{broken} does not build: {builds[broken].error}"
    if no_gate:
        failing = "; ".join(f"`{c}`" for c in excluded)
        return "human_tests_failed", (
            f"no correctness test passes on the human commit (failing: {failing}): nothing can be judged "
            "correct; fix the task's `tests` or its install_commands"
        )
    return None


class Scorer:
    """Scores instances one at a time: build and test their variants, time them, judge them."""

    def __init__(self, cfg: BenchConfig, state: State, sandbox: Sandbox, reporter: ScoreReporter) -> None:
        self.cfg = cfg
        self.state = state
        self.reporter = reporter
        self.builder = Builder(cfg, state, sandbox, reporter)
        self.timer = Timer(cfg, state, self.builder, reporter)

    def plan(self, inst: Instance, providers: list[str] | None, force: bool) -> Plan:
        """What scoring an instance takes now: its variants to build and time (those of `providers`, with
        base, human and the A/A twin), the other providers' rows kept from the last score.json, and
        whether the last score.json still holds (same variants, same settings: nothing to do)."""
        every = variant_specs(self.state, inst)
        specs = [v for v in every if v.kind != "agent" or not providers or v.provider in providers]
        old = self.state.score_record(inst.instance_id)
        if old is not None and self.state.score_problem(inst.instance_id) is not None:
            old = None  # its files are not its own: redone whole, nothing kept from it
        carried = carried_rows(self.builder, inst, every, old, {v.name for v in specs})
        rows = [(v.name, self.builder.fingerprint(inst, v)) for v in specs]
        settings = self.cfg.score.model_dump(exclude=None if inst.asv else set(self.cfg.score.ASV_KEYS))
        fp = fingerprint(sorted(rows + [(n, r.fingerprint) for n, r in carried.items()]), settings)
        current = old if old is not None and old.fingerprint == fp and not force else None
        return Plan(specs, carried, fp, current)

    def score_instance(self, inst: Instance, providers: list[str] | None, force: bool) -> InstanceScore:
        unit.settle(self.state, inst.instance_id)
        plan = self.plan(inst, providers, force)
        if plan.current is not None:
            unit.discard(self.state, inst.instance_id)  # what a dead redo left: the unit is current
            self.reporter.instance_done(inst.instance_id, plan.current)
            return plan.current
        return self.execute(inst, plan, force)

    def execute(self, inst: Instance, plan: Plan, force: bool) -> InstanceScore:
        """Build, test and time the planned variants aside, judge them, swap them in with score.json (`unit`)."""
        iid = inst.instance_id
        sc = self.cfg.score
        specs, carried, fp = plan.specs, plan.carried, plan.fingerprint
        self.reporter.instance_started(iid, [v.name for v in specs])
        unit.begin(self.state, iid)
        ensure_snapshot(self.state, inst)  # scoring base and human needs no `prepare`
        builds = {v.name: self.builder.variant(inst, v, force) for v in specs}

        attempts = attempt_records(self.state, iid, specs)
        passes, excluded, no_gate = correctness(builds)
        base = {
            "instance_id": iid,
            "fingerprint": fp,
            "excluded_tests": excluded,
            "environment": machine_environment(self.builder.sandbox.name),
            "scored_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        why = unjudgeable(builds, excluded, no_gate)
        if why is not None:
            status, reason = why
            result = InstanceScore(
                status=status,
                valid=False,
                invalid_reason=reason,
                variants={**carried, **rows(builds, passes, attempts, None, {}, sc.match_threshold, None)},
                **base,
            )
            return self._done(unit.commit(self.state, iid, result))

        names = [v.name for v in specs if builds[v.name].build == "ok"]
        screening = screen(self.timer, inst, names)  # an asv suite's benchmarks the human's change moves
        workload = judged_workload(inst, screening)
        m, fallback = self.timer.measure(inst, names, workload)
        est, floor = estimates(m, sc)
        # What the code under test did to its own numbers: answers that differ are not correct, cross-call
        # gains are judged on first calls (in `est`), work outside the timed calls was not timed.
        checks = integrity.flags(m, est, sc, floor, inst.workload_output != "ignore")
        passes.update(dict.fromkeys(checks.differs, False))
        margin = max(sc.min_gain, floor)
        valid, why_not = validity(est, m, sc, margin)
        if valid and (flagged_human := checks.human()) is not None:
            valid, why_not = False, flagged_human
        # The held-out workload: on base and the variants the shown one timed that are correct (an agent's
        # empty patch is base again).
        timed = [n for n in names if n == BASE or n in est]
        checked = [n for n in timed if n in (BASE, AA, HUMAN) or (passes[n] and not builds[n].patch_empty)]
        heldout, held, held_differs = self.heldout(inst, checked)
        for name, differs in held_differs.items():  # wrong on inputs the agent never saw: not correct either
            checks.add(name, OUTPUT_DIFFERS, differs)
            passes[name] = False
        asv, asv_rows = time_suite(self.timer, inst, checked, screening)
        result = InstanceScore(
            status="scored",
            valid=valid,
            invalid_reason=why_not,
            measurement=MeasurementSummary.model_validate(m.summary()),
            timing_mode=m.timing_mode,
            timed=timed_description(workload, m.timing_mode),
            samples_file="samples.jsonl",
            timing_fallback=fallback,
            noise_floor=floor if math.isfinite(floor) else None,
            decision_margin=margin if math.isfinite(margin) else None,
            output_check=checks.compared,
            result_check=checks.check,
            aa=aa_estimate(est),
            heldout=heldout,
            asv=asv,
            variants={
                **carried,
                **rows(builds, passes, attempts, est, m.failed, sc.match_threshold, m.run_id, held, checks, asv_rows),
            },
            **noisy_flag(est.get(AA), m.failed.get(AA), sc.min_gain),
            **base,
        )
        return self._done(unit.commit(self.state, iid, result))

    def heldout(
        self, inst: Instance, names: list[str]
    ) -> tuple[HeldoutRun | None, dict[str, HeldoutEstimate], dict[str, str]]:
        """Time the instance's held-out workload on `names`, base first (see `time_heldout`)."""
        return time_heldout(self.timer, inst, names)

    def _done(self, record: InstanceScore) -> InstanceScore:
        self.reporter.instance_done(record.instance_id, record)
        return record


def score(
    cfg: BenchConfig,
    state: State,
    instances: list[Instance],
    *,
    sandbox: Sandbox,
    reporter: ScoreReporter,
    providers: list[str] | None = None,
    force: bool = False,
    keep_work: bool = False,
    executor: Executor | None = None,
) -> list[InstanceScore]:
    """Score every instance where `executor` says (default: here, one at a time; a Ray cluster: each instance
    on one node). Each instance's copies and venvs go once its score.json is written, unless `keep_work`."""
    check_attempts_current(state, instances, providers)
    sandbox.check()
    Resources(cfg.container.limits()).require(str(cfg.source))  # a limit is enforced, or refused here
    executor = executor or LocalExecutor(state)
    executor.connect()  # before anything is shown or written
    scorer = Scorer(cfg, state, sandbox, reporter)
    reporter.start([i.instance_id for i in instances])
    try:
        return executor.score(scorer, instances, providers, force, reporter, keep_work)
    finally:
        reporter.stop()
