"""Starting the timed processes: one-shot samples (a whole process, or a timer that runs its calls and
exits), served timers asked for one call at a time, and the rounds built from them (interleaved calls,
ABBA whole processes). Children run in their own process group, pinned to one core, and are killed as a
group on timeout or interrupt."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import secrets
import selectors
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO

from isobench.flags import BACKGROUND_WORK
from isobench.measure.config import (
    DEFAULT_CHILD_ENV,
    SAMPLE_STATS,
    STDERR_TAIL,
    Probe,
    ProtocolConfig,
    Variant,
)
from isobench.procs import kill_group


@dataclass
class Sample:
    ok: bool
    value_s: float | None
    values_s: list[float] | None
    import_s: float | None
    wall_s: float  # the child's wall time as seen by the harness (counts towards T_floor)
    pid: int | None
    started_at: float  # Unix time
    error: str | None = None
    first_s: float | None = None
    """In-process: the first call after import, before any other (cross-call state cannot help it)."""
    cpu_s: float | None = None
    """In-process: the CPU time of the variant's whole process tree inside its calls (request to answer)."""
    cpu_outside_s: float | None = None
    """... and between its calls, from its first request to its last answer, when it should be idle."""
    results: list[dict[str, str]] = field(default_factory=list)
    """Per call, what it left behind by name (``DIGEST:SIZE``; ``<stdout>`` is what it printed): `_timer.py`."""
    shared: list[int] = field(default_factory=list)
    """Per in-process call, how many mutable results were an earlier call's objects or seen twice."""


STDOUT = "<stdout>"
"""The name under which a call's printed output is one of its results."""


def digest_size(data: bytes) -> str:
    """``DIGEST:SIZE`` of bytes, as `_timer.py` writes a result's."""
    return f"{hashlib.sha256(data).hexdigest()[:16]}:{len(data)}"


def _left_behind(answer: str) -> tuple[dict[str, str], int]:
    """The results part of a call's answer (name -> digest:size) and its count of shared results; a forged
    answer without them leaves nothing behind (its compared results are then missing, which the output check
    counts as different)."""
    try:
        got = json.loads(answer)
    except ValueError:
        return {}, 0
    if not isinstance(got, dict):
        return {}, 0
    results, shared = got.get("results"), got.get("shared", 0)
    if not isinstance(shared, int):
        raise ValueError(f"bad shared-results count {shared!r}")
    return ({str(k): str(v) for k, v in results.items()} if isinstance(results, dict) else {}), shared


BACKGROUND = BACKGROUND_WORK
"""The error prefix of a sample whose process tree worked outside the calls the harness timed (its flag)."""
CPU_SLACK_S = 0.01
"""CPU a process may use between its calls per sample (the timer reading a request: microseconds)."""
CPU_SHARE = 0.25


def background_error(inside_s: float | None, outside_s: float | None) -> str | None:
    """Why a sample's CPU time shows work done between its timed calls (in a thread, a child process, after a
    faked early answer), or None. Between calls an honest timer process only waits for the next request.
    CPU time, not wall time: a busy machine stretches the wall time of every call alike."""
    if inside_s is None or outside_s is None or outside_s <= CPU_SLACK_S + CPU_SHARE * inside_s:
        return None
    return (
        f"{BACKGROUND}: its processes used {outside_s:.3f} s of CPU between its timed calls (and {inside_s:.3f} s "
        "in them): work was done outside the calls the harness timed (a thread, a child process)"
    )


@cache
def _timer_source() -> str:
    # Passed with `python -c` so nothing has to be copied into the variant's tree or sandbox.
    return Path(__file__).with_name("_timer.py").read_text()


LAYOUT_PREFIX = "ISOBENCH_LAYOUT_"
"""The names of the environment padding (`layout_env`): ``ISOBENCH_LAYOUT_00``, ``ISOBENCH_LAYOUT_01``, ..."""
LAYOUT_MAX_BYTES = 4096
"""The padding's total size is drawn uniformly from 0 to this many bytes (a page: every stack offset)."""
LAYOUT_MAX_VARS = 32
"""... spread over 1 to this many variables (each a small object of its own size in the process's heap)."""


def layout_env(rng: random.Random) -> dict[str, str]:
    """A random environment padding for a process start: ``LAYOUT_PREFIX``-named variables of random sizes.

    Where a process's stack and its first heap objects lie depends on what it starts with (its environment,
    its paths), and a layout fixed for a copy is a bias that no number of its rounds averages out. The total
    size shifts the stack by any amount within a page; the number of variables and their sizes change the
    allocations Python makes for ``os.environ`` before anything else is imported, and so where later objects
    fall. Drawn from the same distribution for every variant (`protocol` gives all variants of a round the
    same draw), it turns that bias into round-to-round noise."""
    total = rng.randint(0, LAYOUT_MAX_BYTES)
    count = rng.randint(1, LAYOUT_MAX_VARS)
    cuts = sorted(rng.randint(0, total) for _ in range(count - 1))
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
    return {f"{LAYOUT_PREFIX}{i:02d}": "x" * n for i, n in enumerate(sizes)}


def child_env(variant: Variant) -> dict[str, str]:
    env = dict(variant.env)
    for key, value in DEFAULT_CHILD_ENV.items():
        env.setdefault(key, value)
    # Lets command-mode variants call their own interpreter: "$ISOBENCH_PYTHON -m ...".
    env.setdefault("ISOBENCH_PYTHON", variant.python)
    return env


def refuse_launcher_script(variant: Variant) -> None:
    """Reject a script launcher (pyenv shim): it would add a bash start to every sample."""
    path = Path(variant.python)
    if path.is_file():
        with path.open("rb") as fh:
            if fh.read(2) == b"#!":
                raise ValueError(
                    f"variant {variant.name!r}: {variant.python} is a script (a pyenv shim?); "
                    "pass the real interpreter (sys.executable of the variant's venv)"
                )


def pick_core(pin: bool) -> int | None:
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


def _argv(variant: Variant) -> list[str]:
    if variant.command is not None:
        argv = ["/bin/sh", "-c", variant.command]
    else:
        if variant.callable is not None:
            what = ["--callable", variant.callable, "--path", str(variant.cwd)]
        elif variant.asv is not None:
            what = ["--asv", variant.asv.argument()]
        else:
            assert variant.script is not None
            what = [f"--{variant.script.kind}", variant.script.target]
            for a in variant.script.args:
                what.append(f"--arg={a}")
        argv = [variant.python, "-c", _timer_source(), *what]
    return list(variant.wrap(argv)) if variant.wrap is not None else argv


def _tail(text: str) -> str:
    text = text.strip()
    return text if len(text) <= STDERR_TAIL else "..." + text[-STDERR_TAIL:]


def _leftovers(variant: Variant) -> str | None:
    """Kill what the variant left running once its timed process ended; say so (a sample cannot count when
    part of its work went on after the harness stopped its clock)."""
    if variant.probe is None:
        return None
    for _ in range(10):  # processes on their way out (a sandbox's pid namespace ending) leave within moments
        pids = variant.probe.pids()
        if not pids:
            return None
        time.sleep(0.01)
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, 9)
    return f"{BACKGROUND}: {len(pids)} process(es) it started were still running after the timed process ended"


def run_process(variant: Variant, env: dict[str, str], config: ProtocolConfig, core: int | None) -> Sample:
    """One whole process of a command variant, timed by the harness; never raises for child failures."""
    started_at = time.time()
    t0 = time.perf_counter()
    try:
        with _pinned(core):
            proc = subprocess.Popen(
                _argv(variant),
                cwd=variant.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group, so a timeout kills grandchildren too
            )
    except (OSError, subprocess.SubprocessError) as exc:
        return Sample(False, None, None, None, time.perf_counter() - t0, None, started_at, f"spawn: {exc}")
    try:
        out, err = proc.communicate(timeout=config.timeout_s)
    except subprocess.TimeoutExpired:
        kill_group(proc, wait_s=None)
        proc.communicate()
        wall = time.perf_counter() - t0
        return Sample(False, None, None, None, wall, proc.pid, started_at, f"timeout after {config.timeout_s} s")
    except BaseException:
        kill_group(proc, wait_s=None)  # e.g. Ctrl-C: leave no stray workload running
        raise
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        error = f"exit status {proc.returncode}: {_tail(err.decode(errors='replace'))}"
        return Sample(False, None, None, None, wall, proc.pid, started_at, error)
    left = _leftovers(variant)
    if left is not None:
        return Sample(False, None, None, None, wall, proc.pid, started_at, left)
    return Sample(
        True,
        wall,
        None,
        None,
        wall,
        proc.pid,
        started_at,
        results=[{STDOUT: digest_size(out)}],
    )


def run_sample(variant: Variant, env: dict[str, str], config: ProtocolConfig, core: int | None) -> Sample:
    """One sample of one variant on its own: a whole process, or a fresh in-process worker's calls."""
    if variant.command is not None:
        return run_process(variant, env, config, core)
    w = _Worker(variant, env, config, core)
    try:
        w.ready()
        w.first_calls(config.warmup)
        for _ in range(config.values):
            w.call()
        w.finish()
        return w.sample(config)
    finally:
        w.close()


class _ChildFailed(Exception):
    """A timer process failed; the message is what the sample records as its error."""


class _Stderr:
    """A timer process's stderr: its answers (lines holding ``ISOBENCH_``) kept for the harness to read, and
    the rest, the workload's own stderr, kept as a tail for error messages."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self._pipe = pipe
        self._buf = b""
        self._answers: list[bytes] = []
        self._text = bytearray()
        self._selector = selectors.DefaultSelector()
        self._selector.register(pipe, selectors.EVENT_READ)

    def tail(self) -> str:
        """The end of what the workload wrote to its stderr."""
        return _tail(self._text.decode(errors="replace"))

    def drain(self) -> None:
        """Take in what is already there to read, without waiting."""
        while self._selector.select(0):
            chunk = os.read(self._pipe.fileno(), 1 << 16)
            if not chunk:
                break
            self._take(chunk)

    def _take(self, chunk: bytes) -> None:
        self._buf += chunk
        # Everything that is not an answer is the workload's stderr (kept for error messages).
        *lines, self._buf = self._buf.split(b"\n")
        for line in lines:
            if b"ISOBENCH_" not in line:
                self._text += line + b"\n"
                del self._text[: max(0, len(self._text) - 4 * STDERR_TAIL)]
            else:
                self._answers.append(line)

    def answer(self, marker: bytes, timeout_s: float) -> bytes | None:
        """The rest of the first answer line holding ``marker`` (e.g. b"ISOBENCH_DONE <token>"), or None when
        the process closed its stderr first (it exited or is exiting). Raises ``_ChildFailed`` after
        ``timeout_s`` without it."""
        deadline = time.perf_counter() + timeout_s
        while True:
            for i, line in enumerate(self._answers):
                at = line.find(marker)
                if at >= 0:
                    del self._answers[: i + 1]
                    return line[at + len(marker) :].strip()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise _ChildFailed(f"timeout after {timeout_s} s")
            if not self._selector.select(remaining):
                continue
            chunk = os.read(self._pipe.fileno(), 1 << 16)
            if not chunk:
                return None
            self._take(chunk)

    def close(self) -> None:
        """Stop watching the pipe (the pipe itself is closed with the process's others)."""
        self._selector.close()


class _TimerProcess:
    """A fresh ``_timer.py`` process of one variant, in its own process group, pinned to ``core``: requests go
    to its stdin, its answers come back on its stderr, and what the workload prints goes to a file. It raises
    ``_ChildFailed`` when the process cannot start, dies, or does not answer within ``timeout_s``.
    """

    def __init__(self, variant: Variant, env: dict[str, str], core: int | None, timeout_s: float) -> None:
        """Start the process."""
        self.timeout_s = timeout_s
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close()): the workload's stdout
        self._out_pos = 0
        try:
            with _pinned(core):
                self.proc = subprocess.Popen(
                    _argv(variant),
                    cwd=variant.cwd,
                    env=env,
                    stdin=subprocess.PIPE,
                    stdout=self._out,
                    stderr=subprocess.PIPE,
                    bufsize=0,
                    start_new_session=True,  # its own process group, so a kill takes grandchildren too
                )
        except (OSError, subprocess.SubprocessError) as exc:
            self._out.close()
            raise _ChildFailed(f"spawn: {exc}") from None
        except BaseException:
            self._out.close()
            raise
        assert self.proc.stderr is not None
        self.stderr = _Stderr(self.proc.stderr)

    def request(self, token: bytes) -> None:
        """Ask for one call of the workload; its answer will hold ``token``."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(b"call " + token + b"\n")
        except BrokenPipeError:
            raise _ChildFailed(self._exit_error()) from None

    def answer(self, marker: bytes) -> bytes:
        """The rest of the first answer line holding ``marker`` (e.g. b"ISOBENCH_DONE <token>")."""
        line = self.stderr.answer(marker, self.timeout_s)
        if line is None:
            raise _ChildFailed(self._exit_error())
        return line

    def printed(self) -> bytes:
        """What the workload printed since the last time this was asked."""
        self._out.seek(0, os.SEEK_END)
        end = self._out.tell()
        self._out.seek(self._out_pos)
        printed = self._out.read(end - self._out_pos)
        self._out_pos = end
        return printed

    def _exit_error(self) -> str:
        """Why the process stopped answering: its exit status and stderr, or a timeout (it is then killed)."""
        try:
            rc = self.proc.wait(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            kill_group(self.proc, wait_s=None)
            return f"timeout after {self.timeout_s} s"
        self.stderr.drain()
        return f"exit status {rc}: {self.stderr.tail()}"

    def end(self) -> None:
        """Close the process's stdin and wait for it to exit cleanly."""
        assert self.proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.close()
        try:
            rc = self.proc.wait(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            raise _ChildFailed(f"timeout after {self.timeout_s} s") from None
        self.stderr.drain()
        if rc != 0:
            raise _ChildFailed(f"exit status {rc}: {self.stderr.tail()}")

    def kill(self) -> None:
        """Kill the process's group if it is still running."""
        if self.proc.poll() is None:
            kill_group(self.proc, wait_s=None)
            self.proc.wait()

    def close(self) -> None:
        """Kill the process if it is still running and release the pipes and files."""
        self.kill()
        self.stderr.close()
        for fh in (self.proc.stdin, self.proc.stderr):
            if fh is not None:
                with contextlib.suppress(OSError):
                    fh.close()
        self._out.close()


class _CpuSplit:
    """The CPU time of a variant's process tree from its first timed call to its exit, split into the time
    inside its calls (request to answer) and the time between them; None where there is no probe to read
    it from."""

    def __init__(self, probe: Probe | None) -> None:
        self.probe = probe
        self.start: float | None = None
        self.inside: float | None = None
        self.outside: float | None = None

    def _now(self) -> float | None:
        return self.probe.cpu_seconds() if self.probe is not None else None

    def begin(self) -> None:
        """Start counting, just before the first call."""
        self.start = self._now()
        self.inside = 0.0 if self.start is not None else None

    @contextlib.contextmanager
    def call(self) -> Iterator[None]:
        """Count the CPU time spent in the block (one call) as inside the calls."""
        cpu0 = self._now()
        yield
        cpu1 = self._now()
        if self.inside is not None and cpu0 is not None and cpu1 is not None:
            self.inside += cpu1 - cpu0

    def end(self) -> None:
        """Stop counting, before the process is told to exit: the rest since ``begin`` was between the calls."""
        if self.start is not None and self.inside is not None:
            now = self._now()
            self.outside = None if now is None else now - self.start - self.inside


class _Worker:
    """One variant's fresh ``_timer.py`` process, asked for one call at a time and timed by the harness.

    Every value is the harness's own clock from writing a request to reading its answer (the process under
    test cannot touch it); ``wall_s`` adds up the time the harness waits on this child (start-up, each call,
    exit), so over a round the workers' wall times are the children's own time. Failures are recorded in
    ``error``, never raised.
    """

    def __init__(self, variant: Variant, env: dict[str, str], config: ProtocolConfig, core: int | None) -> None:
        self.variant = variant
        self.started_at = time.time()
        self.values: list[float] = []
        self.first_s: float | None = None
        self.results: list[dict[str, str]] = []
        self.shared: list[int] = []
        self.import_s: float | None = None
        self.wall_s = 0.0
        self.cpu = _CpuSplit(variant.probe)
        self.error: str | None = None
        self.child: _TimerProcess | None = None
        t0 = time.perf_counter()
        try:
            self.child = _TimerProcess(variant, env, core, config.timeout_s)
        except _ChildFailed as exc:
            self.error = str(exc)
        finally:
            self.wall_s += time.perf_counter() - t0

    def _step(self, step: Callable[[_TimerProcess], None]) -> None:
        """Run one step with the child, timed into ``wall_s``; a failure is recorded and kills the child."""
        if self.error is not None or self.child is None:
            return
        t0 = time.perf_counter()
        try:
            step(self.child)
        except _ChildFailed as exc:
            self.error = str(exc)
            self.child.kill()
        except (ValueError, KeyError, TypeError) as exc:  # a malformed protocol line
            self.error = f"unreadable timer answer ({exc}): {self.child.stderr.tail()}"
            self.child.kill()
        finally:
            self.wall_s += time.perf_counter() - t0

    def ready(self) -> None:
        """Wait until the child has loaded the workload."""

        def step(child: _TimerProcess) -> None:
            self.import_s = float(json.loads(child.answer(b"ISOBENCH_READY "))["import_s"])

        self._step(step)

    def _timed_call(self, child: _TimerProcess) -> float:
        """One call, timed by the harness: returns its seconds; what it left behind goes to ``results``."""
        token = secrets.token_hex(8).encode()
        with self.cpu.call():
            t0 = time.perf_counter()
            child.request(token)
            result = child.answer(b"ISOBENCH_DONE " + token).decode(errors="replace")
            elapsed = time.perf_counter() - t0
        printed = child.printed()
        left, shared = _left_behind(result.strip())
        self.results.append({STDOUT: digest_size(printed), **left})
        self.shared.append(shared)
        if not elapsed > 0:
            raise ValueError(f"bad time {elapsed}")
        return elapsed

    def first_calls(self, warmup: int) -> None:
        """The first call after import, timed on its own (``first_s``), then the rest of the warm-up."""

        def step(child: _TimerProcess) -> None:
            self.cpu.begin()
            self.first_s = self._timed_call(child)
            for _ in range(max(0, warmup - 1)):
                self._timed_call(child)

        self._step(step)

    def call(self) -> None:
        """Have the child run one timed call of the workload."""
        self._step(lambda child: self.values.append(self._timed_call(child)))

    def finish(self) -> None:
        """Close the child's stdin, wait for it to exit cleanly, and check its CPU time."""

        def step(child: _TimerProcess) -> None:
            self.cpu.end()
            child.end()
            background = background_error(self.cpu.inside, self.cpu.outside) or _leftovers(self.variant)
            if background is not None:
                raise _ChildFailed(background)

        self._step(step)

    def close(self) -> None:
        """Kill the child if it is still running and release the pipes and files."""
        if self.child is not None:
            self.child.close()

    def sample(self, config: ProtocolConfig) -> Sample:
        pid = self.child.proc.pid if self.child is not None else None
        if self.error is not None:
            return Sample(False, None, None, None, self.wall_s, pid, self.started_at, self.error)
        value = SAMPLE_STATS[config.sample_stat](self.values)
        return Sample(
            True,
            value,
            list(self.values),
            self.import_s,
            self.wall_s,
            pid,
            self.started_at,
            first_s=self.first_s,
            results=list(self.results),
            shared=list(self.shared),
            cpu_s=self.cpu.inside,
            cpu_outside_s=self.cpu.outside,
        )


@dataclass(frozen=True)
class Round:
    """One round to run: its variants in the round's order (each once), each variant by name, their
    environments, the protocol's settings and the core the round is pinned to."""

    order: list[str]
    by_name: dict[str, Variant]
    envs: dict[str, dict[str, str]]
    config: ProtocolConfig
    core: int | None


def run_round_interleaved(rd: Round) -> dict[str, Sample]:
    """One round with the calls interleaved: start every variant's process (its import, first call and
    warm-up, one variant at a time), then ABBA over the timed calls."""
    order, by_name, envs, config, core = rd.order, rd.by_name, rd.envs, rd.config, rd.core
    workers: dict[str, _Worker] = {}
    try:
        for name in order:  # one at a time, so imports and warm-ups do not compete for the core
            workers[name] = _Worker(by_name[name], envs[name], config, core)
            workers[name].ready()
            workers[name].first_calls(config.warmup)
        for j in range(config.values):
            for name in order if j % 2 == 0 else order[::-1]:
                workers[name].call()
        for name in order:
            workers[name].finish()
        return {name: workers[name].sample(config) for name in order}
    finally:  # also on Ctrl-C: leave no workload running
        for w in workers.values():
            w.close()


def run_round_processes(rd: Round) -> dict[str, Sample]:
    """One whole-process round: ``values`` fresh processes per variant, alternating ABBA across the
    round's variants; the sample is their minimum (or median), as for in-process calls."""
    order, by_name, envs, config, core = rd.order, rd.by_name, rd.envs, rd.config, rd.core
    times: dict[str, list[float]] = {n: [] for n in order}
    results: dict[str, list[dict[str, str]]] = {n: [] for n in order}
    wall = dict.fromkeys(order, 0.0)
    first: dict[str, Sample] = {}
    errors: dict[str, str] = {}
    for j in range(config.values):
        for name in order if j % 2 == 0 else order[::-1]:
            if name in errors:
                continue
            s = run_process(by_name[name], envs[name], config, core)
            first.setdefault(name, s)
            wall[name] += s.wall_s
            if s.ok and s.value_s is not None:
                times[name].append(s.value_s)
                results[name] += s.results
            else:
                errors[name] = s.error or "failed"
    out = {}
    for name in order:
        f = first[name]
        if name in errors:
            out[name] = Sample(False, None, None, None, wall[name], f.pid, f.started_at, errors[name])
        else:
            value = SAMPLE_STATS[config.sample_stat](times[name])
            out[name] = Sample(
                True,
                value,
                times[name],
                None,
                wall[name],
                f.pid,
                f.started_at,
                results=results[name],
            )
    return out
