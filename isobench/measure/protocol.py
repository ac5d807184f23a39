"""The timing protocol: interleaved rounds, one fresh process per sample, adaptive stopping.

The reasoning behind each step is in docs/measurement.md. In short:

1. Every variant gets one untimed warm-up sample first (fills disk caches, writes .pyc files and
   catches a broken variant, which is then excluded without disturbing the others).
2. Round r runs every variant once, each in a fresh process, in an order from a Williams design
   (a balanced Latin square: over a block of rounds every variant takes every position equally
   often and follows every other variant equally often); the order of the rows is shuffled per
   block with the configured seed. No variant is always first.
3. One sample is the minimum (``sample_stat="min"``, default) or the median of ``values`` timings:
   in-process timings of ``module:function`` after ``warmup`` calls (``timing_mode="in_process_callable"``,
   via ``_timer.py``, preferred), in-process timings of a whole script or ``-m`` module run again in the
   same process as ``__main__`` (``timing_mode="in_process_script"``: the body of a workload script,
   without interpreter start-up and imports), or the wall times of ``values`` fresh processes of a
   whole shell command (``timing_mode="whole_process"``, the processes of a round's variants
   alternating ABBA like in-process calls). All variants of one measurement use the same definition,
   since they give different ratios for the same change.
   In-process, the calls themselves are interleaved by default (``interleave="calls"``): a round
   starts every variant's fresh process (import and warm-up, one at a time), then asks them for
   one timed call each in the round's order, then in the reverse order, and so on ``values`` times
   (ABBA), so the values of all variants in a round come from the same few seconds and a slow
   phase of a shared machine hits them alike. ``interleave="processes"`` runs each variant's
   process to the end before the next starts (all variants of a round are then never in memory
   at once).
4. Children are pinned to one core when the machine has more than one (the harness itself
   is not, so it does not compete with the timed child for that core), get the same
   PYTHONHASHSEED and single-threaded BLAS/OpenMP settings, and run one at a time.
5. After ``min_rounds``, stop once every variant's CI half-width of ln(speedup) vs the reference
   is <= ``target_halfwidth`` (with an A/A ``twin``, the interval as reported: widened by the copy effect
   the twin shows, so a measurement never stops on an interval narrower than the one it reports); else at
   ``max_rounds``; else before a round that would overrun the time budget, but never before
   ``stats.MIN_WILCOXON_N`` (5) rounds: fewer pairs say too little about spread for any interval to be
   trusted.
6. Every raw sample is appended to a JSONL file at the end of its round (a crash loses at most
   the round in progress, which would be discarded anyway).
"""

from __future__ import annotations

import os
import platform
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from isobench.measure.config import (
    STOP_CHECK_RESAMPLES,
    WHOLE_PROCESS,
    ProtocolConfig,
    Variant,
)
from isobench.measure.design import round_order
from isobench.measure.samplelog import SampleLog
from isobench.measure.spawn import (
    Round,
    Sample,
    child_env,
    layout_env,
    pick_core,
    refuse_launcher_script,
    run_round_interleaved,
    run_round_processes,
    run_sample,
)
from isobench.measure.stats import (
    DEFAULT_RESAMPLES,
    MIN_WILCOXON_N,
    RatioEstimate,
    ratio_estimate,
    rho_estimate,
    with_copy_spread,
)

__all__ = ["MISSING", "Measurement", "aa_check", "measure"]

MISSING = "-"
"""In `Measurement.results`: a call that left no result of that name."""


@dataclass
class Measurement:
    """Result of :func:`measure`. ``samples[name][r]`` is the sample of round r (seconds)."""

    reference: str
    variants: list[str]
    samples: dict[str, list[float]]
    values: dict[str, list[list[float]]]  # in-process values behind each sample (callable mode)
    orders: list[list[str]]  # the order each round ran in
    rounds: int
    timing_mode: str
    stop_reason: str  # "target_reached" | "max_rounds" | "time_budget" | "reference_failed" | "all_failed"
    wall_s: float  # T_wall: the timed rounds, including harness work between samples
    floor_s: float  # T_floor: sum of the child processes' wall times over the timed samples
    warmup_s: float  # the untimed warm-up phase, reported apart from wall_s
    failed: dict[str, str]  # variant -> error (stderr tail)
    pinned_core: int | None
    config: ProtocolConfig
    run_id: str
    samples_path: Path | None = None
    halfwidths: dict[str, float] = field(default_factory=dict)  # at the last stopping check
    first: dict[str, list[float]] = field(default_factory=dict)
    """In-process: per round, the first call after import of each variant (no earlier call could help it)."""
    results: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """Per variant and result name, the distinct ``DIGEST:SIZE`` its calls left behind (`spawn.Sample.results`),
    warm-up included; a name some call lacked has ``-`` among them."""
    shared: dict[str, int] = field(default_factory=dict)
    """Per variant, the most results one call shared with an earlier call or another input (in-process)."""

    @property
    def efficiency(self) -> float:
        """T_floor / T_wall: 1.0 would mean the harness adds nothing to the children's own time."""
        return self.floor_s / self.wall_s if self.wall_s > 0 else 0.0

    def _series(self, name: str) -> list[float]:
        if name in self.failed:
            raise ValueError(f"variant {name!r} failed: {self.failed[name]}")
        if name not in self.samples:
            raise KeyError(f"unknown variant {name!r}")
        return self.samples[name]

    def speedup(self, name: str, *, confidence: float = 0.95, n_resamples: int = DEFAULT_RESAMPLES) -> RatioEstimate:
        """Speedup of ``name`` over the reference (> 1: faster), paired by round."""
        ref, cand = self._series(self.reference), self._series(name)
        return ratio_estimate(ref, cand, confidence=confidence, n_resamples=n_resamples, seed=self.config.seed)

    def first_call_speedup(self, name: str, *, confidence: float = 0.95) -> RatioEstimate | None:
        """Speedup of ``name``'s first call after import over the reference's (in-process modes only)."""
        ref, cand = self.first.get(self.reference, []), self.first.get(name, [])
        if name in self.failed or len(ref) != len(cand) or len(ref) < MIN_WILCOXON_N:
            return None
        return ratio_estimate(ref, cand, confidence=confidence, seed=self.config.seed)

    def first_call_rho(self, agent: str, human: str = "human") -> RatioEstimate | None:
        """rho on first calls (see :meth:`rho`)."""
        ref, h, a = (self.first.get(n, []) for n in (self.reference, human, agent))
        if agent in self.failed or human in self.failed or not (len(ref) == len(h) == len(a) >= MIN_WILCOXON_N):
            return None
        return rho_estimate(ref, h, a, seed=self.config.seed)

    def rho(
        self,
        agent: str,
        human: str = "human",
        *,
        confidence: float = 0.95,
        n_resamples: int = DEFAULT_RESAMPLES,
    ) -> RatioEstimate:
        """rho = agent speedup / human speedup (paired per round, see stats.rho_estimate)."""
        return rho_estimate(
            self._series(self.reference),
            self._series(human),
            self._series(agent),
            confidence=confidence,
            n_resamples=n_resamples,
            seed=self.config.seed,
        )

    def summary(self) -> dict[str, object]:
        """JSON-friendly description of how the measurement went (not the estimates)."""
        return {
            "run_id": self.run_id,
            "reference": self.reference,
            "variants": self.variants,
            "rounds": self.rounds,
            "timing_mode": self.timing_mode,
            "stop_reason": self.stop_reason,
            "wall_s": self.wall_s,
            "floor_s": self.floor_s,
            "warmup_s": self.warmup_s,
            "efficiency": self.efficiency,
            "failed": self.failed,
            "pinned_core": self.pinned_core,
            "halfwidths": self.halfwidths,
            "config": asdict(self.config),
            "samples_path": self.samples_path.name if self.samples_path else None,  # beside score.json
        }


def _halfwidths(
    samples: dict[str, list[float]], ref: str, names: list[str], seed: int, twin: str | None = None
) -> dict[str, float]:
    """Each variant's CI half-width of ln(speedup) as it will be reported: with an A/A twin among `names`,
    every other variant's interval widened by the copy effect the twin shows (`stats.with_copy_spread`;
    below `stats.RESIDUAL_MIN_N` rounds, the twin's whole reach), the twin's own as it is."""
    est = {n: ratio_estimate(samples[ref], samples[n], n_resamples=STOP_CHECK_RESAMPLES, seed=seed) for n in names}
    aa = est.get(twin) if twin is not None else None
    return {n: (e if aa is None or n == twin else with_copy_spread(e, aa)).halfwidth_log for n, e in est.items()}


def _timing_mode(variants: list[Variant], config: ProtocolConfig) -> str:
    """Check the variants can be measured together; their (single) timing mode."""
    names = [v.name for v in variants]
    if not variants or len(set(names)) != len(names):
        raise ValueError(f"need distinct variant names, got {names}")
    if config.reference not in names:
        raise ValueError(f"reference {config.reference!r} is not among {names}")
    modes = {v.timing_mode for v in variants}
    if len(modes) != 1:
        # Whole-process and in-process times give different ratios for the same change.
        raise ValueError("all variants must use the same timing mode (all callable or all command)")
    for v in variants:
        refuse_launcher_script(v)
    return modes.pop()


def _header(variants: list[Variant], config: ProtocolConfig, timing_mode: str, core: int | None) -> dict[str, object]:
    """The first line of samples.jsonl: how the measurement was set up, and what each variant runs."""
    return {
        "type": "header",
        "created_at": time.time(),
        "reference": config.reference,
        "timing_mode": timing_mode,
        "pinned_core": core,
        "host": platform.node(),
        "cpu_count": os.cpu_count(),
        "config": asdict(config),
        "variants": [
            {
                "name": v.name,
                "cwd": str(v.cwd),
                "python": v.python,
                "command": v.command,
                "callable": v.callable,
                "asv": v.asv.argument() if v.asv is not None else None,
            }
            for v in variants
        ],
    }


def _round_samples(timing_mode: str, rd: Round) -> dict[str, Sample]:
    """One round's samples, every variant of the round once, run the way the timing mode and ``interleave``
    say: calls interleaved across the variants' processes, whole processes alternating ABBA, or each
    variant's process run to the end in turn."""
    if timing_mode != WHOLE_PROCESS and rd.config.interleave == "calls":
        return run_round_interleaved(rd)
    if timing_mode == WHOLE_PROCESS:
        return run_round_processes(rd)
    return {n: run_sample(rd.by_name[n], rd.envs[n], rd.config, rd.core) for n in rd.order}


class _Run:
    """One measurement in progress: the samples so far, who failed, and when to stop."""

    def __init__(self, variants: list[Variant], config: ProtocolConfig, samples_path: Path | None) -> None:
        self.variants = variants
        self.config = config
        self.ref = config.reference
        self.timing_mode = _timing_mode(variants, config)
        self.core = pick_core(config.pin_cpu)
        self.envs = {v.name: child_env(v) for v in variants}
        self.fixed_seed = {v.name for v in variants if "PYTHONHASHSEED" in v.env and v.env["PYTHONHASHSEED"] != "0"}
        self.run_id = uuid.uuid4().hex
        self.samples_path = Path(samples_path) if samples_path is not None else None
        self.log = SampleLog(self.samples_path, self.run_id)
        self.failed: dict[str, str] = {}
        self.samples: dict[str, list[float]] = {v.name: [] for v in variants}
        self.values: dict[str, list[list[float]]] = {v.name: [] for v in variants}
        self.first: dict[str, list[float]] = {v.name: [] for v in variants}
        self.results: dict[str, dict[str, list[str]]] = {v.name: {} for v in variants}
        self.shared: dict[str, int] = {v.name: 0 for v in variants}
        self.orders: list[list[str]] = []
        self.halfwidths: dict[str, float] = {}
        self.round_times: list[float] = []
        self.floor_s = 0.0
        self.warmup_s = 0.0

    def header(self) -> None:
        """Write the header line of samples.jsonl."""
        self.log.write(_header(self.variants, self.config, self.timing_mode, self.core))

    def warm_up(self) -> None:
        """One untimed sample per variant: fills caches, writes .pyc files, catches a broken variant."""
        t0 = time.perf_counter()
        for pos, v in enumerate(self.variants):
            s = run_sample(v, self.envs[v.name], self.config, self.core)
            self.log.sample(v.name, "warmup", -1, pos, s, self.core)
            self._results(v.name, s)
            if not s.ok:
                self.failed[v.name] = f"warm-up: {s.error}"
        self.warmup_s = time.perf_counter() - t0

    def _results(self, name: str, s: Sample) -> None:
        left = self.results[name]
        for call in s.results:
            before = bool(left)  # an earlier call was seen: a name new now was missing from it
            for key in set(left) | set(call):
                values = left.setdefault(key, [MISSING] if before else [])
                value = call.get(key, MISSING)
                if value not in values:
                    values.append(value)
        self.shared[name] = max([self.shared[name], *s.shared])

    def _round_envs(self, r: int) -> dict[str, dict[str, str]]:
        """Round r's environments: one hash seed for every variant of the round, a new one each round, so
        what the seed does to identical code (dict and set layouts) is averaged over rounds, not a bias
        that one fixed seed gives every sample (unless the caller fixed PYTHONHASHSEED itself); and, with
        ``layout="random"``, one environment padding (`spawn.layout_env`) for every variant of the round, a
        new one each round, for the same reason (where a process's stack and heap objects fall)."""
        seed = str((self.config.seed * 1_000_003 + r) % 4_294_967_295)
        pad = layout_env(random.Random(f"layout:{self.config.seed}:{r}")) if self.config.layout == "random" else {}
        return {
            n: {**env, **pad, **({"PYTHONHASHSEED": seed} if n not in self.fixed_seed else {})}
            for n, env in self.envs.items()
        }

    @property
    def active(self) -> list[Variant]:
        return [v for v in self.variants if v.name not in self.failed]

    def others(self) -> list[str]:
        return [v.name for v in self.active if v.name != self.ref]

    def run_round(self, r: int) -> dict[str, Sample]:
        """Round r: every active variant once, in the round's order; the samples that succeeded."""
        t0 = time.perf_counter()
        by_name = {v.name: v for v in self.active}
        order = round_order(list(by_name), r, self.config.seed)
        results = _round_samples(self.timing_mode, Round(order, by_name, self._round_envs(r), self.config, self.core))
        got: dict[str, Sample] = {}
        for pos, name in enumerate(order):
            s = results[name]
            self.floor_s += s.wall_s
            self.log.sample(name, "timed", r, pos, s, self.core)
            self._results(name, s)
            if s.ok:
                got[name] = s
            else:
                self.failed[name] = f"round {r}: {s.error}"
        if self.ref in self.failed:
            return {}  # a round without its reference compares nothing: dropped
        for name, s in got.items():
            assert s.value_s is not None
            self.samples[name].append(s.value_s)
            self.values[name].append(s.values_s or [])
            if s.first_s is not None:
                self.first[name].append(s.first_s)
        self.orders.append(order)
        self.round_times.append(time.perf_counter() - t0)
        return got

    def stop_reason(self, rounds: int, elapsed: float) -> str | None:
        """Why to stop after `rounds` complete rounds, or None to go on."""
        cfg = self.config
        others = self.others()
        if rounds >= cfg.min_rounds and others:
            self.halfwidths = _halfwidths(self.samples, self.ref, others, cfg.seed, cfg.twin)
        if rounds >= cfg.min_rounds and all(self.halfwidths.get(n, np.inf) <= cfg.target_halfwidth for n in others):
            return "target_reached"
        if rounds >= cfg.max_rounds:
            return "max_rounds"
        # Stop before a round that would overrun the budget, rather than after overrunning it.
        if (
            rounds >= min(MIN_WILCOXON_N, cfg.min_rounds)
            and elapsed + float(np.mean(self.round_times)) > cfg.time_budget_s
        ):
            return "time_budget"
        return None

    def failed_reason(self) -> str | None:
        if self.ref in self.failed:
            return "reference_failed"
        if not self.others() and len(self.variants) > 1:
            return "all_failed"
        return None


@dataclass(frozen=True)
class RoundDone:
    """What `measure` tells its caller after each complete round (`on_round`)."""

    order: list[str]
    """The variants in the order this round ran them."""
    values: dict[str, float]
    """Each variant's sample of this round, seconds (the failed ones left out)."""
    halfwidths: dict[str, float]
    """Each variant's current CI half-width, as a fraction (the stopping rule's)."""
    elapsed_s: float
    failed: list[str]


def measure(
    variants: list[Variant],
    config: ProtocolConfig | None = None,
    *,
    on_round: Callable[[int, RoundDone], None] | None = None,
    samples_path: Path | None = None,
) -> Measurement:
    """Time ``variants`` with the interleaved, adaptive, fresh-process-per-sample protocol.

    A variant whose warm-up or any timed sample fails is recorded in ``Measurement.failed`` and
    dropped from later rounds (its partial round is discarded); the others carry on. If the
    reference fails, the measurement stops (``stop_reason="reference_failed"``): nothing can be
    compared any more. ``on_round(r, info)`` is called after each complete round.
    """
    run = _Run(variants, config or ProtocolConfig(), samples_path)
    rounds = 0
    try:
        run.header()
        t_start = time.perf_counter()
        run.warm_up()
        t_rounds = time.perf_counter()
        while (stop := run.failed_reason()) is None:
            got = run.run_round(rounds)
            if not got:
                continue  # the reference failed: the loop head stops
            rounds += 1
            elapsed = time.perf_counter() - t_start
            stop = run.stop_reason(rounds, elapsed)
            if on_round is not None:
                on_round(
                    rounds - 1,
                    RoundDone(
                        order=list(run.orders[-1]),
                        values={n: s.value_s for n, s in got.items() if n not in run.failed and s.value_s is not None},
                        halfwidths=dict(run.halfwidths),
                        elapsed_s=elapsed,
                        failed=sorted(run.failed),
                    ),
                )
            if stop is not None:
                break
        wall_s = time.perf_counter() - t_rounds
        end = {"stop_reason": stop, "rounds": rounds, "wall_s": wall_s, "floor_s": run.floor_s}
        run.log.write({"type": "end", **end, "warmup_s": run.warmup_s, "failed": run.failed})
    finally:
        run.log.close()

    # A variant dropped mid-run keeps its earlier samples (for inspection) but speedup() refuses it.
    return Measurement(
        reference=run.ref,
        variants=[v.name for v in variants],
        samples=run.samples,
        values=run.values,
        orders=run.orders,
        rounds=rounds,
        timing_mode=run.timing_mode,
        stop_reason=stop,
        wall_s=wall_s,
        floor_s=run.floor_s,
        warmup_s=run.warmup_s,
        failed=run.failed,
        pinned_core=run.core,
        config=run.config,
        run_id=run.run_id,
        samples_path=run.samples_path,
        halfwidths=run.halfwidths,
        first=run.first,
        results=run.results,
        shared=run.shared,
    )


def aa_check(
    variant: Variant,
    config: ProtocolConfig | None = None,
    *,
    samples_path: Path | None = None,
    confidence: float = 0.95,
) -> RatioEstimate:
    """Measure one checkout against itself (two variants, same tree): the task's noise floor.

    The result should classify as "no_difference"; a CI excluding 1 means the protocol or the
    machine is biased. Raises RuntimeError if the variant fails.
    """
    config = config or ProtocolConfig()
    a = replace(variant, name=config.reference)
    b = replace(variant, name=f"{config.reference}_aa")
    m = measure([a, b], config, samples_path=samples_path)
    if m.failed:
        raise RuntimeError(f"A/A check failed: {m.failed}")
    return m.speedup(b.name, confidence=confidence)
