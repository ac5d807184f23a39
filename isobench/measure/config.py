"""The protocol's settings and the description of a variant to time (shared by every part of `measure`)."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

IN_PROCESS = "in_process_callable"
IN_PROCESS_SCRIPT = "in_process_script"
IN_PROCESS_ASV = "in_process_asv"
WHOLE_PROCESS = "whole_process"
# The timer's exit status for a workload that fails when run a second time in one process.
NOT_REPEATABLE = "cannot be timed in-process"
INTERLEAVE = ("calls", "processes")
LAYOUTS = ("random", "fixed")
"""`ProtocolConfig.layout`: what each timed process starts with besides its variant's own environment."""
# Set in every child unless the caller already chose a value: same hash seed for all variants,
# and no hidden thread pools competing with the pinned process.
DEFAULT_CHILD_ENV = {
    "PYTHONHASHSEED": "0",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "BLIS_NUM_THREADS": "1",
    "RAYON_NUM_THREADS": "1",
}
# Resamples for the between-rounds stopping check: cheap enough not to hurt efficiency
# (about 10 ms at 200 rounds); final estimates use the full default.
CONFIDENCE = 0.95
"""Every interval isobench reports is a 95% one."""
MIN_GAIN = 0.05
"""The default smallest gain that counts as faster: bench.yaml's `score.min_gain`."""
MATCH_THRESHOLD = 0.95
"""The default p of GSO's match rule (agent speedup >= p x human speedup): bench.yaml's `score.match_threshold`."""
STOP_CHECK_RESAMPLES = 2000
STDERR_TAIL = 2000
SAMPLE_STATS: dict[str, Callable[[list[float]], float]] = {"min": min, "median": statistics.median}


@dataclass(frozen=True)
class Script:
    """A workload script (``python PATH ARGS``) or module (``python -m NAME ARGS``), timed in-process."""

    kind: str  # "script" | "module"
    target: str
    args: tuple[str, ...] = ()

    def path(self) -> str:
        """Its file, relative to where it runs (a module's `pkg/mod.py`)."""
        return self.target if self.kind == "script" else self.target.replace(".", "/") + ".py"


@dataclass(frozen=True)
class AsvCall:
    """asv benchmarks timed in-process as one call (`_timer.py --asv`): each one's `setup(*params)` runs once,
    untimed, when the process starts; a timed call runs each `time_*(*params)` once, in order."""

    bench_dir: str  # the benchmark folder, imported as a package from its parent folder (the repository root)
    benchmarks: tuple[tuple[str, tuple[str, ...]], ...]  # (module:qualname, parameter literals)

    def argument(self) -> str:
        """What `_timer.py --asv` reads."""
        items = [{"target": t, "params": list(p)} for t, p in self.benchmarks]
        return json.dumps({"dir": self.bench_dir, "benchmarks": items})


class Probe(Protocol):
    """What the harness can see of a variant's processes from outside them (its control group)."""

    def cpu_seconds(self) -> float | None: ...

    def pids(self) -> list[int]: ...


@dataclass
class Variant:
    """One version of the code to time, in its own working copy and environment."""

    name: str  # "base", "human", "agent:oracle:1", "base_aa" ...
    cwd: Path  # its own working copy
    python: str  # its own venv's interpreter (not a pyenv shim: a shim adds a bash start per sample)
    env: dict[str, str]  # full environment for its processes; DEFAULT_CHILD_ENV is added if absent
    command: str | None = None  # shell command: whole-process timing
    callable: str | None = None  # "module:function": timed in-process via _timer.py (preferred)
    wrap: Callable[[list[str]], list[str]] | None = None  # e.g. a sandbox prefix, applied to every argv
    script: Script | None = None  # a script or module: its body timed in-process via _timer.py
    probe: Probe | None = None  # its processes' CPU time and pids: work outside the timed calls is seen
    asv: AsvCall | None = None  # asv benchmarks: timed in-process via _timer.py's shim

    def __post_init__(self) -> None:
        self.cwd = Path(self.cwd)
        if sum(x is not None for x in (self.command, self.callable, self.script, self.asv)) != 1:
            raise ValueError(f"variant {self.name!r}: give exactly one of command=, callable=, script= or asv=")

    @property
    def timing_mode(self) -> str:
        if self.callable is not None:
            return IN_PROCESS
        if self.asv is not None:
            return IN_PROCESS_ASV
        return IN_PROCESS_SCRIPT if self.script is not None else WHOLE_PROCESS


@dataclass
class ProtocolConfig:
    """Knobs of the protocol, and the defaults of bench.yaml's `score` keys of the same names."""

    min_rounds: int = 10
    max_rounds: int = 200
    target_halfwidth: float = 0.01  # on ln(speedup), i.e. about +-1 %
    time_budget_s: float = 60.0  # wall clock of the whole measurement, warm-up included
    warmup: int = 1  # in-process warm-up calls per sample (callable mode)
    values: int = 5  # in-process timed calls per sample (5 rather than 3: see benchmarks/RESULTS.md)
    # How a sample summarises its values. "min": the noise of a shared machine only ever slows a call
    # down (measured on the demo, the minimum halved the CI half-width of the median: 6.4% -> 3.0%);
    # "median" is available. Both keep every value in samples.jsonl.
    sample_stat: str = "min"
    # "calls": the in-process calls of all variants of a round alternate (ABBA) between their live
    # processes; "processes": each variant's process runs to the end before the next one starts.
    # Measured on a noisy 2-core VM (benchmarks/RESULTS.md), "calls" halved the CI half-width.
    # Whole-process (command) timing always runs processes one after another.
    interleave: str = "calls"
    reference: str = "base"
    # The A/A twin (a second copy of the reference, identical code), when one is timed: the stopping rule then
    # judges every other variant's interval widened by the copy effect the twin shows
    # (`stats.with_copy_spread`), the interval the score reports, not the narrower one of the rounds alone.
    twin: str | None = None
    seed: int = 0
    timeout_s: float = 600.0  # per sample (interleaved calls: per start-up and per call)
    pin_cpu: bool = True
    # "random": every round's processes start with an environment padding drawn anew for the round (a random
    # number of variables, of random sizes: `spawn.layout_env`), the same for every variant of the round, so
    # that what the starting layout of a process does to its speed is noise averaged over rounds, not a bias
    # fixed per copy; "fixed": no padding (the benchmark of the effect compares both).
    layout: str = "random"

    def __post_init__(self) -> None:
        if self.min_rounds < 1 or self.max_rounds < self.min_rounds:
            raise ValueError("need 1 <= min_rounds <= max_rounds")
        if self.values < 1 or self.warmup < 0:
            raise ValueError("need values >= 1 and warmup >= 0")
        if self.sample_stat not in SAMPLE_STATS:
            raise ValueError(f"sample_stat must be one of {sorted(SAMPLE_STATS)}, got {self.sample_stat!r}")
        if self.interleave not in INTERLEAVE:
            raise ValueError(f"interleave must be one of {list(INTERLEAVE)}, got {self.interleave!r}")
        if self.layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {list(LAYOUTS)}, got {self.layout!r}")
        if self.twin is not None and self.twin == self.reference:
            raise ValueError(f"the A/A twin {self.twin!r} cannot be the reference")


PROTOCOL_KEYS = ("min_rounds", "max_rounds", "target_halfwidth", "warmup", "values", "sample_stat", "interleave")
"""The protocol settings bench.yaml's `score` block sets (the time budget is per instance)."""
