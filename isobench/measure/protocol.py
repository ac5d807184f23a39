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
   is <= ``target_halfwidth``; else at ``max_rounds``; else before a round that would overrun the
   time budget, but never before ``stats.MIN_WILCOXON_N`` (5) rounds: fewer pairs say too little
   about spread for any interval to be trusted.
6. Every raw sample is appended to a JSONL file at the end of its round (a crash loses at most
   the round in progress, which would be discarded anyway).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import selectors
import signal
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import IO, Any

import numpy as np

from isobench.measure.stats import DEFAULT_RESAMPLES, MIN_WILCOXON_N, RatioEstimate, ratio_estimate, rho_estimate

__all__ = [
    "IN_PROCESS",
    "IN_PROCESS_SCRIPT",
    "WHOLE_PROCESS",
    "Measurement",
    "ProtocolConfig",
    "Script",
    "Variant",
    "aa_check",
    "load_samples",
    "measure",
    "round_order",
]

IN_PROCESS = "in_process_callable"
IN_PROCESS_SCRIPT = "in_process_script"
WHOLE_PROCESS = "whole_process"
# The timer's exit status for a workload that fails when run a second time in one process.
NOT_REPEATABLE = "cannot be timed in-process"
TIMER_PREFIX = "ISOBENCH_TIMES"
READY_PREFIX = b"ISOBENCH_READY "  # _timer.py --serve: import and warm-up done
VALUE_PREFIX = b"ISOBENCH_VALUE "  # _timer.py --serve: one timed call
INTERLEAVE = ("calls", "processes")
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
STOP_CHECK_RESAMPLES = 2000
STDERR_TAIL = 2000
SAMPLE_STATS: dict[str, Callable[[list[float]], float]] = {"min": min, "median": statistics.median}


@dataclass(frozen=True)
class Script:
    """A workload script (``python PATH ARGS``) or module (``python -m NAME ARGS``), timed in-process."""

    kind: str  # "script" | "module"
    target: str
    args: tuple[str, ...] = ()


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

    def __post_init__(self) -> None:
        self.cwd = Path(self.cwd)
        if sum(x is not None for x in (self.command, self.callable, self.script)) != 1:
            raise ValueError(f"variant {self.name!r}: give exactly one of command=, callable= or script=")

    @property
    def timing_mode(self) -> str:
        if self.callable is not None:
            return IN_PROCESS
        return IN_PROCESS_SCRIPT if self.script is not None else WHOLE_PROCESS


@dataclass
class ProtocolConfig:
    """Knobs of the protocol; defaults follow the note (10 rounds minimum, 1 warm-up) but take 5 values, not 3."""

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
    seed: int = 0
    timeout_s: float = 600.0  # per sample (interleaved calls: per start-up and per call)
    pin_cpu: bool = True

    def __post_init__(self) -> None:
        if self.min_rounds < 1 or self.max_rounds < self.min_rounds:
            raise ValueError("need 1 <= min_rounds <= max_rounds")
        if self.values < 1 or self.warmup < 0:
            raise ValueError("need values >= 1 and warmup >= 0")
        if self.sample_stat not in SAMPLE_STATS:
            raise ValueError(f"sample_stat must be one of {sorted(SAMPLE_STATS)}, got {self.sample_stat!r}")
        if self.interleave not in INTERLEAVE:
            raise ValueError(f"interleave must be one of {list(INTERLEAVE)}, got {self.interleave!r}")


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

    def summary(self) -> dict[str, Any]:
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


@dataclass
class _Sample:
    ok: bool
    value_s: float | None
    values_s: list[float] | None
    import_s: float | None
    wall_s: float  # the child's wall time as seen by the harness (counts towards T_floor)
    pid: int | None
    started_at: float  # Unix time
    error: str | None = None


@cache
def _timer_source() -> str:
    # Passed with `python -c` so nothing has to be copied into the variant's tree or sandbox.
    return Path(__file__).with_name("_timer.py").read_text()


def _child_env(variant: Variant) -> dict[str, str]:
    env = dict(variant.env)
    for key, value in DEFAULT_CHILD_ENV.items():
        env.setdefault(key, value)
    # Lets command-mode variants call their own interpreter: "$ISOBENCH_PYTHON -m ...".
    env.setdefault("ISOBENCH_PYTHON", variant.python)
    return env


def _check_python(variant: Variant) -> None:
    """Reject a script launcher (pyenv shim): it would add a bash start to every sample."""
    path = Path(variant.python)
    if path.is_file():
        with path.open("rb") as fh:
            if fh.read(2) == b"#!":
                raise ValueError(
                    f"variant {variant.name!r}: {variant.python} is a script (a pyenv shim?); "
                    "pass the real interpreter (sys.executable of the variant's venv)"
                )


def _pick_core(pin: bool) -> int | None:
    """The core children are pinned to, or None when pinning is off or pointless (one core)."""
    if not pin or not hasattr(os, "sched_getaffinity"):
        return None
    cores = sorted(os.sched_getaffinity(0))
    # The last allowed core: core 0 usually takes more interrupts and housekeeping.
    return cores[-1] if len(cores) > 1 else None


@contextlib.contextmanager
def _pinned(core: int | None) -> Iterator[None]:
    """Pin the calling thread to ``core`` while it spawns a child, which inherits the mask.

    Used instead of ``preexec_fn``, which is unsafe in threaded programs and forces a slow
    fork() of the whole (large) harness process. On Linux the mask is per thread, so other
    threads of the harness are unaffected. The sandbox ``wrap`` must pass the mask on (bwrap,
    nsjail, env, setpriv do; a docker client does not).
    """
    if core is None:
        yield
        return
    previous = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        os.sched_setaffinity(0, previous)


def _argv(variant: Variant, config: ProtocolConfig, *, serve: bool = False) -> list[str]:
    if variant.command is not None:
        argv = ["/bin/sh", "-c", variant.command]
    else:
        if variant.callable is not None:
            what = ["--callable", variant.callable, "--path", str(variant.cwd)]
        else:
            assert variant.script is not None
            what = [f"--{variant.script.kind}", variant.script.target]
            for a in variant.script.args:
                what.append(f"--arg={a}")
        argv = [variant.python, "-c", _timer_source(), *what, "--warmup", str(config.warmup)]
        argv += ["--values", str(config.values)]
        if serve:
            argv.append("--serve")
    return list(variant.wrap(argv)) if variant.wrap is not None else argv


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= STDERR_TAIL else "..." + text[-STDERR_TAIL:]


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(proc.pid, signal.SIGKILL)


def _parse_timer_output(stdout: str) -> tuple[list[float], float]:
    for line in reversed(stdout.splitlines()):
        if line.startswith(TIMER_PREFIX):
            payload = json.loads(line[len(TIMER_PREFIX) :])
            values = [float(v) for v in payload["values"]]
            if not values or any(not v > 0 for v in values):
                raise ValueError(f"bad timer values {values}")
            return values, float(payload["import_s"])
    raise ValueError(f"no {TIMER_PREFIX} line on stdout")


def _run_sample(variant: Variant, env: dict[str, str], config: ProtocolConfig, core: int | None) -> _Sample:
    """Run one fresh process for ``variant`` and return its sample; never raises for child failures."""
    argv = _argv(variant, config)
    started_at = time.time()
    t0 = time.perf_counter()
    try:
        with _pinned(core):
            proc = subprocess.Popen(
                argv,
                cwd=variant.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                start_new_session=True,  # its own process group, so a timeout kills grandchildren too
            )
    except (OSError, subprocess.SubprocessError) as exc:
        return _Sample(False, None, None, None, time.perf_counter() - t0, None, started_at, f"spawn: {exc}")
    try:
        out, err = proc.communicate(timeout=config.timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.communicate()
        wall = time.perf_counter() - t0
        return _Sample(False, None, None, None, wall, proc.pid, started_at, f"timeout after {config.timeout_s} s")
    except BaseException:
        _kill_group(proc)  # e.g. Ctrl-C: leave no stray workload running
        raise
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        error = f"exit status {proc.returncode}: {_tail(err)}"
        return _Sample(False, None, None, None, wall, proc.pid, started_at, error)
    if variant.command is not None:
        return _Sample(True, wall, None, None, wall, proc.pid, started_at)
    try:
        values, import_s = _parse_timer_output(out)
    except (ValueError, KeyError, TypeError) as exc:
        error = f"unreadable timer output ({exc}): {_tail(out)} {_tail(err)}"
        return _Sample(False, None, None, None, wall, proc.pid, started_at, error)
    return _Sample(True, SAMPLE_STATS[config.sample_stat](values), values, import_s, wall, proc.pid, started_at)


class _ChildFailed(Exception):
    """A served timer process failed; the message is what the sample records as its error."""


class _Worker:
    """One variant's fresh ``_timer.py --serve`` process, asked for one timed call at a time.

    ``wall_s`` adds up only the time the harness waits on this child (start-up, each call, exit),
    so over a round the workers' wall times are the children's own time, as for one-shot samples.
    Failures are recorded in ``error`` (same wording as :func:`_run_sample`), never raised.
    """

    def __init__(self, variant: Variant, env: dict[str, str], config: ProtocolConfig, core: int | None) -> None:
        self.timeout_s = config.timeout_s
        self.started_at = time.time()
        self.values: list[float] = []
        self.import_s: float | None = None
        self.wall_s = 0.0
        self.error: str | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self._buf = b""
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self._selector = selectors.DefaultSelector()
        t0 = time.perf_counter()
        try:
            with _pinned(core):
                self.proc = subprocess.Popen(
                    _argv(variant, config, serve=True),
                    cwd=variant.cwd,
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=self._stderr,
                    bufsize=0,
                    start_new_session=True,  # its own process group, so a kill takes grandchildren too
                )
        except (OSError, subprocess.SubprocessError) as exc:
            self.error = f"spawn: {exc}"
            return
        finally:
            self.wall_s += time.perf_counter() - t0
        assert self.proc.stdout is not None
        self._selector.register(self.proc.stdout, selectors.EVENT_READ)

    def _stderr_tail(self) -> str:
        self._stderr.seek(0)
        return _tail(self._stderr.read().decode(errors="replace"))

    def _exit_error(self) -> str:
        assert self.proc is not None
        try:
            rc = self.proc.wait(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(self.proc)
            return f"timeout after {self.timeout_s} s"
        return f"exit status {rc}: {self._stderr_tail()}"

    def _read(self, prefix: bytes) -> dict[str, Any]:
        """The payload of the next line starting with ``prefix``; the workload's own output is skipped."""
        assert self.proc is not None and self.proc.stdout is not None
        deadline = time.perf_counter() + self.timeout_s
        while True:
            while b"\n" in self._buf:
                line, self._buf = self._buf.split(b"\n", 1)
                if line.startswith(prefix):
                    payload: dict[str, Any] = json.loads(line[len(prefix) :])
                    return payload
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise _ChildFailed(f"timeout after {self.timeout_s} s")
            if not self._selector.select(remaining):
                continue
            chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
            if not chunk:  # the child closed its stdout: it exited or is exiting
                raise _ChildFailed(self._exit_error())
            self._buf += chunk

    def _step(self, step: Callable[[], None]) -> None:
        if self.error is not None or self.proc is None:
            return
        t0 = time.perf_counter()
        try:
            step()
        except _ChildFailed as exc:
            self.error = str(exc)
            self.kill()
        except (ValueError, KeyError, TypeError) as exc:  # a malformed protocol line
            self.error = f"unreadable timer output ({exc}): {self._stderr_tail()}"
            self.kill()
        finally:
            self.wall_s += time.perf_counter() - t0

    def ready(self) -> None:
        """Wait until the child has imported the workload and done its warm-up."""

        def step() -> None:
            self.import_s = float(self._read(READY_PREFIX)["import_s"])

        self._step(step)

    def call(self) -> None:
        """Have the child time one call of the workload."""

        def step() -> None:
            assert self.proc is not None and self.proc.stdin is not None
            try:
                self.proc.stdin.write(b"t\n")
            except BrokenPipeError:
                raise _ChildFailed(self._exit_error()) from None
            value = float(self._read(VALUE_PREFIX)["value"])
            if not value > 0:
                raise ValueError(f"bad timer value {value}")
            self.values.append(value)

        self._step(step)

    def finish(self) -> None:
        """Close the child's stdin and wait for it to exit cleanly."""

        def step() -> None:
            assert self.proc is not None and self.proc.stdin is not None
            assert self.proc.stdout is not None
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
            deadline = time.perf_counter() + self.timeout_s
            while True:  # drain whatever the workload prints on the way out, until it closes stdout
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise _ChildFailed(f"timeout after {self.timeout_s} s")
                if self._selector.select(remaining) and not os.read(self.proc.stdout.fileno(), 1 << 16):
                    break
            try:
                rc = self.proc.wait(timeout=max(0.0, deadline - time.perf_counter()))
            except subprocess.TimeoutExpired:
                raise _ChildFailed(f"timeout after {self.timeout_s} s") from None
            if rc != 0:
                raise _ChildFailed(f"exit status {rc}: {self._stderr_tail()}")

        self._step(step)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            _kill_group(self.proc)
            self.proc.wait()

    def close(self) -> None:
        """Kill the child if it is still running and release the pipes and files."""
        self.kill()
        self._selector.close()
        if self.proc is not None:
            for fh in (self.proc.stdin, self.proc.stdout):
                if fh is not None:
                    with contextlib.suppress(OSError):
                        fh.close()
        self._stderr.close()

    def sample(self, config: ProtocolConfig) -> _Sample:
        pid = self.proc.pid if self.proc is not None else None
        if self.error is not None:
            return _Sample(False, None, None, None, self.wall_s, pid, self.started_at, self.error)
        value = SAMPLE_STATS[config.sample_stat](self.values)
        return _Sample(True, value, list(self.values), self.import_s, self.wall_s, pid, self.started_at)


def _run_round_interleaved(
    order: list[str],
    by_name: dict[str, Variant],
    envs: dict[str, dict[str, str]],
    config: ProtocolConfig,
    core: int | None,
) -> dict[str, _Sample]:
    """One round with the calls interleaved: start every variant's process, then ABBA over calls."""
    workers: dict[str, _Worker] = {}
    try:
        for name in order:  # one at a time, so imports and warm-ups do not compete for the core
            workers[name] = _Worker(by_name[name], envs[name], config, core)
            workers[name].ready()
        for j in range(config.values):
            for name in order if j % 2 == 0 else order[::-1]:
                workers[name].call()
        for name in order:
            workers[name].finish()
        return {name: workers[name].sample(config) for name in order}
    finally:  # also on Ctrl-C: leave no workload running
        for w in workers.values():
            w.close()


def _run_round_processes(
    order: list[str],
    by_name: dict[str, Variant],
    envs: dict[str, dict[str, str]],
    config: ProtocolConfig,
    core: int | None,
) -> dict[str, _Sample]:
    """One whole-process round: ``values`` fresh processes per variant, alternating ABBA across the
    round's variants; the sample is their minimum (or median), as for in-process calls."""
    times: dict[str, list[float]] = {n: [] for n in order}
    wall = dict.fromkeys(order, 0.0)
    first: dict[str, _Sample] = {}
    errors: dict[str, str] = {}
    for j in range(config.values):
        for name in order if j % 2 == 0 else order[::-1]:
            if name in errors:
                continue
            s = _run_sample(by_name[name], envs[name], config, core)
            first.setdefault(name, s)
            wall[name] += s.wall_s
            if s.ok and s.value_s is not None:
                times[name].append(s.value_s)
            else:
                errors[name] = s.error or "failed"
    out = {}
    for name in order:
        f = first[name]
        if name in errors:
            out[name] = _Sample(False, None, None, None, wall[name], f.pid, f.started_at, errors[name])
        else:
            value = SAMPLE_STATS[config.sample_stat](times[name])
            out[name] = _Sample(True, value, times[name], None, wall[name], f.pid, f.started_at)
    return out


def _williams_rows(v: int) -> list[list[int]]:
    """Rows of a Williams design: each index in each position, and after each other, equally often."""
    first, lo, hi = [0], 1, v - 1
    while len(first) < v:
        if len(first) % 2 == 1:
            first.append(lo)
            lo += 1
        else:
            first.append(hi)
            hi -= 1
    rows = [[(x + i) % v for x in first] for i in range(v)]
    if v % 2 == 1:  # odd v needs the mirrored square too for carry-over balance
        rows += [row[::-1] for row in rows]
    return rows


def round_order(names: list[str], round_index: int, seed: int = 0) -> list[str]:
    """Order of ``names`` in round ``round_index``: Williams rows, row order shuffled per block."""
    rows = _williams_rows(len(names))
    block, i = divmod(round_index, len(rows))
    perm = np.random.default_rng([seed, len(names), block]).permutation(len(rows))
    return [names[j] for j in rows[perm[i]]]


class _SampleLog:
    """Append-only JSONL of raw samples, flushed per line so a crash loses nothing."""

    def __init__(self, path: Path | None, run_id: str) -> None:
        self.run_id = run_id
        self._fh: IO[str] | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = path.open("a", encoding="utf-8")

    def write(self, record: dict[str, Any]) -> None:
        if self._fh is not None:
            self._fh.write(json.dumps({**record, "run_id": self.run_id}) + "\n")
            self._fh.flush()

    def sample(self, variant: str, phase: str, rnd: int, pos: int, s: _Sample, core: int | None) -> None:
        self.write(
            {
                "type": "sample",
                "phase": phase,
                "variant": variant,
                "round": rnd,
                "position_in_round": pos,
                "value_s": s.value_s,
                "values_s": s.values_s,
                "import_s": s.import_s,
                "wall_s": s.wall_s,
                "started_at": s.started_at,
                "pid": s.pid,
                "core": core,
                "ok": s.ok,
                "error": s.error,
            }
        )

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def _halfwidths(samples: dict[str, list[float]], ref: str, names: list[str], seed: int) -> dict[str, float]:
    return {
        n: ratio_estimate(samples[ref], samples[n], n_resamples=STOP_CHECK_RESAMPLES, seed=seed).halfwidth_log
        for n in names
    }


def measure(
    variants: list[Variant],
    config: ProtocolConfig | None = None,
    *,
    on_round: Callable[[int, dict[str, Any]], None] | None = None,
    samples_path: Path | None = None,
) -> Measurement:
    """Time ``variants`` with the interleaved, adaptive, fresh-process-per-sample protocol.

    A variant whose warm-up or any timed sample fails is recorded in ``Measurement.failed`` and
    dropped from later rounds (its partial round is discarded); the others carry on. If the
    reference fails, the measurement stops (``stop_reason="reference_failed"``): nothing can be
    compared any more. ``on_round(r, info)`` is called after each complete round.
    """
    config = config or ProtocolConfig()
    names = [v.name for v in variants]
    if not variants or len(set(names)) != len(names):
        raise ValueError(f"need distinct variant names, got {names}")
    if config.reference not in names:
        raise ValueError(f"reference {config.reference!r} is not among {names}")
    modes = {v.timing_mode for v in variants}
    if len(modes) != 1:
        # Whole-process and in-process times give different ratios for the same change.
        raise ValueError("all variants must use the same timing mode (all callable or all command)")
    timing_mode = modes.pop()
    interleave_calls = timing_mode != WHOLE_PROCESS and config.interleave == "calls"
    for v in variants:
        _check_python(v)

    ref = config.reference
    core = _pick_core(config.pin_cpu)
    envs = {v.name: _child_env(v) for v in variants}
    run_id = uuid.uuid4().hex
    log = _SampleLog(Path(samples_path) if samples_path is not None else None, run_id)
    failed: dict[str, str] = {}
    samples: dict[str, list[float]] = {n: [] for n in names}
    values: dict[str, list[list[float]]] = {n: [] for n in names}
    orders: list[list[str]] = []
    halfwidths: dict[str, float] = {}
    floor_s = 0.0
    stop_reason: str | None = None
    try:
        log.write(
            {
                "type": "header",
                "created_at": time.time(),
                "reference": ref,
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
                    }
                    for v in variants
                ],
            }
        )
        t_start = time.perf_counter()
        for pos, v in enumerate(variants):
            s = _run_sample(v, envs[v.name], config, core)
            log.sample(v.name, "warmup", -1, pos, s, core)
            if not s.ok:
                failed[v.name] = f"warm-up: {s.error}"
        warmup_s = time.perf_counter() - t_start

        active = [v for v in variants if v.name not in failed]
        t_rounds = time.perf_counter()
        round_times: list[float] = []
        r = 0
        while True:
            others = [v.name for v in active if v.name != ref]
            if ref in failed:
                stop_reason = "reference_failed"
            elif not others and len(variants) > 1:
                stop_reason = "all_failed"
            if stop_reason is not None:
                break

            t_round = time.perf_counter()
            by_name = {v.name: v for v in active}
            order = round_order([v.name for v in active], r, config.seed)
            if interleave_calls:
                results = _run_round_interleaved(order, by_name, envs, config, core)
            elif timing_mode == WHOLE_PROCESS:
                results = _run_round_processes(order, by_name, envs, config, core)
            else:
                results = {}
                for name in order:
                    results[name] = _run_sample(by_name[name], envs[name], config, core)
            got: dict[str, _Sample] = {}
            for pos, name in enumerate(order):
                s = results[name]
                floor_s += s.wall_s
                log.sample(name, "timed", r, pos, s, core)
                if s.ok:
                    got[name] = s
                else:
                    failed[name] = f"round {r}: {s.error}"
            if ref in failed:
                continue  # the loop head stops; this round has no reference, so it is dropped
            for name, s in got.items():
                if name not in failed:
                    assert s.value_s is not None
                    samples[name].append(s.value_s)
                    values[name].append(s.values_s or [])
            active = [v for v in active if v.name not in failed]
            orders.append(order)
            r += 1
            round_times.append(time.perf_counter() - t_round)

            others = [v.name for v in active if v.name != ref]
            if r >= config.min_rounds and others:
                halfwidths = _halfwidths(samples, ref, others, config.seed)
            elapsed = time.perf_counter() - t_start
            if on_round is not None:
                on_round(
                    r - 1,
                    {
                        "order": order,
                        "values": {n: s.value_s for n, s in got.items() if n not in failed},
                        "halfwidths": dict(halfwidths),
                        "elapsed_s": elapsed,
                        "failed": sorted(failed),
                    },
                )
            precise = all(halfwidths.get(n, np.inf) <= config.target_halfwidth for n in others)
            if r >= config.min_rounds and precise:
                stop_reason = "target_reached"
            elif r >= config.max_rounds:
                stop_reason = "max_rounds"
            # Stop before a round that would overrun the budget, rather than after overrunning it.
            elif r >= min(MIN_WILCOXON_N, config.min_rounds) and (
                elapsed + float(np.mean(round_times)) > config.time_budget_s
            ):
                stop_reason = "time_budget"
            if stop_reason is not None:
                break
        wall_s = time.perf_counter() - t_rounds
        assert stop_reason is not None
        log.write(
            {
                "type": "end",
                "stop_reason": stop_reason,
                "rounds": r,
                "wall_s": wall_s,
                "floor_s": floor_s,
                "warmup_s": warmup_s,
                "failed": failed,
            }
        )
    finally:
        log.close()

    # A variant dropped mid-run keeps its earlier samples (for inspection) but speedup() refuses it.
    return Measurement(
        reference=ref,
        variants=names,
        samples=samples,
        values=values,
        orders=orders,
        rounds=r,
        timing_mode=timing_mode,
        stop_reason=stop_reason,
        wall_s=wall_s,
        floor_s=floor_s,
        warmup_s=warmup_s,
        failed=failed,
        pinned_core=core,
        config=config,
        run_id=run_id,
        samples_path=Path(samples_path) if samples_path is not None else None,
        halfwidths=halfwidths,
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


def load_samples(path: Path, run_id: str | None = None) -> dict[str, dict[int, float]]:
    """Successful timed samples of one run from a JSONL file: variant -> round -> value_s.

    ``run_id`` defaults to the last run in the file. Pair two variants on their common rounds to
    recompute any estimate, e.g. ``ratio_estimate([s[ref][r] for r in rs], [s[x][r] for r in rs])``.
    """
    lines = [line for line in Path(path).read_text().splitlines() if line.strip()]
    records = []
    for i, line in enumerate(lines):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if i == len(lines) - 1:  # torn by a kill mid-write: that sample's round was never used
                break
            raise
    if run_id is None:
        headers = [rec["run_id"] for rec in records if rec.get("type") == "header"]
        if not headers:
            return {}
        run_id = headers[-1]
    out: dict[str, dict[int, float]] = {}
    for rec in records:
        if rec.get("run_id") != run_id or rec.get("type") != "sample":
            continue
        if rec["phase"] == "timed" and rec["ok"]:
            out.setdefault(rec["variant"], {})[rec["round"]] = rec["value_s"]
    return out
