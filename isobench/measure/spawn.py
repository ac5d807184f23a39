"""Starting the timed processes: one-shot samples (a whole process, or a timer that runs its calls and
exits), served timers asked for one call at a time, and the rounds built from them (interleaved calls,
ABBA whole processes). Children run in their own process group, pinned to one core, and are killed as a
group on timeout or interrupt."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import selectors
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from isobench.measure.config import (
    DEFAULT_CHILD_ENV,
    SAMPLE_STATS,
    STDERR_TAIL,
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
    outputs: list[str] = field(default_factory=list)
    """A digest of what each call printed (and, for a callable, returned), in call order."""
    cpu_s: float | None = None
    """In-process: the CPU time of the variant's whole process tree inside its calls (request to answer)."""
    cpu_outside_s: float | None = None
    """... and between its calls, from its first request to its last answer, when it should be idle."""


BACKGROUND = "background_work"
"""The error prefix of a sample whose process tree worked outside the calls the harness timed."""
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


def child_env(variant: Variant) -> dict[str, str]:
    env = dict(variant.env)
    for key, value in DEFAULT_CHILD_ENV.items():
        env.setdefault(key, value)
    # Lets command-mode variants call their own interpreter: "$ISOBENCH_PYTHON -m ...".
    env.setdefault("ISOBENCH_PYTHON", variant.python)
    return env


def check_python(variant: Variant) -> None:
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
    return Sample(True, wall, None, None, wall, proc.pid, started_at, outputs=[hashlib.sha256(out).hexdigest()])


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


class _Worker:
    """One variant's fresh ``_timer.py`` process, asked for one call at a time and timed by the harness.

    Every value is the harness's own clock from writing a request to reading its answer (the process under
    test cannot touch it); ``busy_s`` adds up the time the harness waits on this child (start-up, each call,
    exit), so over a round the workers' wall times are the children's own time. Failures are recorded in
    ``error``, never raised.
    """

    def __init__(self, variant: Variant, env: dict[str, str], config: ProtocolConfig, core: int | None) -> None:
        self.variant = variant
        self.timeout_s = config.timeout_s
        self.started_at = time.time()
        self.values: list[float] = []
        self.first_s: float | None = None
        self.outputs: list[str] = []
        self.import_s: float | None = None
        self.wall_s = 0.0
        self.cpu_start: float | None = None
        self.cpu_in: float | None = None  # CPU time inside the calls (request to answer), from the first call on
        self.cpu_out: float | None = None
        self.error: str | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self._buf = b""
        self._answers: list[bytes] = []
        self._stderr_text = bytearray()
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close()): the workload's stdout
        self._out_pos = 0
        self._selector = selectors.DefaultSelector()
        t0 = time.perf_counter()
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
            self.error = f"spawn: {exc}"
            return
        finally:
            self.wall_s += time.perf_counter() - t0
        assert self.proc.stderr is not None
        self._selector.register(self.proc.stderr, selectors.EVENT_READ)

    def _stderr_tail(self) -> str:
        return _tail(self._stderr_text.decode(errors="replace"))

    def _exit_error(self) -> str:
        assert self.proc is not None
        try:
            rc = self.proc.wait(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            kill_group(self.proc, wait_s=None)
            return f"timeout after {self.timeout_s} s"
        self._drain()
        return f"exit status {rc}: {self._stderr_tail()}"

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        while self._selector.select(0):
            chunk = os.read(self.proc.stderr.fileno(), 1 << 16)
            if not chunk:
                break
            self._take(chunk)

    def _take(self, chunk: bytes) -> None:
        self._buf += chunk
        # Everything that is not an answer is the workload's stderr (kept for error messages).
        *lines, self._buf = self._buf.split(b"\n")
        for line in lines:
            if b"ISOBENCH_" not in line:
                self._stderr_text += line + b"\n"
                del self._stderr_text[: max(0, len(self._stderr_text) - 4 * STDERR_TAIL)]
            else:
                self._answers.append(line)

    def _read(self, marker: bytes) -> bytes:
        """The rest of the first answer line holding ``marker`` (e.g. b"ISOBENCH_DONE <token>")."""
        assert self.proc is not None and self.proc.stderr is not None
        deadline = time.perf_counter() + self.timeout_s
        while True:
            for i, line in enumerate(self._answers):
                at = line.find(marker)
                if at >= 0:
                    del self._answers[: i + 1]
                    return line[at + len(marker) :].strip()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise _ChildFailed(f"timeout after {self.timeout_s} s")
            if not self._selector.select(remaining):
                continue
            chunk = os.read(self.proc.stderr.fileno(), 1 << 16)
            if not chunk:  # the child closed its stderr: it exited or is exiting
                raise _ChildFailed(self._exit_error())
            self._take(chunk)

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
            self.error = f"unreadable timer answer ({exc}): {self._stderr_tail()}"
            self.kill()
        finally:
            self.wall_s += time.perf_counter() - t0

    def ready(self) -> None:
        """Wait until the child has loaded the workload."""

        def step() -> None:
            self.import_s = float(json.loads(self._read(b"ISOBENCH_READY "))["import_s"])

        self._step(step)

    def _timed_call(self) -> float:
        """One call, timed by the harness: returns its seconds; the output digest goes to ``outputs``."""
        assert self.proc is not None and self.proc.stdin is not None
        token = secrets.token_hex(8).encode()
        probe = self.variant.probe
        cpu0 = probe.cpu_seconds() if probe is not None else None
        t0 = time.perf_counter()
        try:
            self.proc.stdin.write(b"call " + token + b"\n")
        except BrokenPipeError:
            raise _ChildFailed(self._exit_error()) from None
        result = self._read(b"ISOBENCH_DONE " + token).decode(errors="replace")
        elapsed = time.perf_counter() - t0
        cpu1 = probe.cpu_seconds() if probe is not None else None
        if self.cpu_in is not None and cpu0 is not None and cpu1 is not None:
            self.cpu_in += cpu1 - cpu0
        self._out.seek(0, os.SEEK_END)
        end = self._out.tell()
        self._out.seek(self._out_pos)
        printed = self._out.read(end - self._out_pos)
        self._out_pos = end
        self.outputs.append(hashlib.sha256(printed + b"\0" + result.encode()).hexdigest())
        if not elapsed > 0:
            raise ValueError(f"bad time {elapsed}")
        return elapsed

    def first_calls(self, warmup: int) -> None:
        """The first call after import, timed on its own (``first_s``), then the rest of the warm-up."""

        def step() -> None:
            if self.variant.probe is not None:
                self.cpu_start = self.variant.probe.cpu_seconds()
                self.cpu_in = 0.0 if self.cpu_start is not None else None
            self.first_s = self._timed_call()
            for _ in range(max(0, warmup - 1)):
                self._timed_call()

        self._step(step)

    def call(self) -> None:
        """Have the child run one timed call of the workload."""
        self._step(lambda: self.values.append(self._timed_call()))

    def finish(self) -> None:
        """Close the child's stdin, wait for it to exit cleanly, and check its CPU time."""

        def step() -> None:
            assert self.proc is not None and self.proc.stdin is not None
            if self.variant.probe is not None and self.cpu_start is not None and self.cpu_in is not None:
                now = self.variant.probe.cpu_seconds()
                self.cpu_out = None if now is None else now - self.cpu_start - self.cpu_in
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
            try:
                rc = self.proc.wait(timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                raise _ChildFailed(f"timeout after {self.timeout_s} s") from None
            self._drain()
            if rc != 0:
                raise _ChildFailed(f"exit status {rc}: {self._stderr_tail()}")
            background = background_error(self.cpu_in, self.cpu_out) or _leftovers(self.variant)
            if background is not None:
                raise _ChildFailed(background)

        self._step(step)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            kill_group(self.proc, wait_s=None)
            self.proc.wait()

    def close(self) -> None:
        """Kill the child if it is still running and release the pipes and files."""
        self.kill()
        self._selector.close()
        if self.proc is not None:
            for fh in (self.proc.stdin, self.proc.stderr):
                if fh is not None:
                    with contextlib.suppress(OSError):
                        fh.close()
        self._out.close()

    def sample(self, config: ProtocolConfig) -> Sample:
        pid = self.proc.pid if self.proc is not None else None
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
            outputs=list(self.outputs),
            cpu_s=self.cpu_in,
            cpu_outside_s=self.cpu_out,
        )


def run_round_interleaved(
    order: list[str],
    by_name: dict[str, Variant],
    envs: dict[str, dict[str, str]],
    config: ProtocolConfig,
    core: int | None,
) -> dict[str, Sample]:
    """One round with the calls interleaved: start every variant's process (its import, first call and
    warm-up, one variant at a time), then ABBA over the timed calls."""
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


def run_round_processes(
    order: list[str],
    by_name: dict[str, Variant],
    envs: dict[str, dict[str, str]],
    config: ProtocolConfig,
    core: int | None,
) -> dict[str, Sample]:
    """One whole-process round: ``values`` fresh processes per variant, alternating ABBA across the
    round's variants; the sample is their minimum (or median), as for in-process calls."""
    times: dict[str, list[float]] = {n: [] for n in order}
    outputs: dict[str, list[str]] = {n: [] for n in order}
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
                outputs[name] += s.outputs
            else:
                errors[name] = s.error or "failed"
    out = {}
    for name in order:
        f = first[name]
        if name in errors:
            out[name] = Sample(False, None, None, None, wall[name], f.pid, f.started_at, errors[name])
        else:
            value = SAMPLE_STATS[config.sample_stat](times[name])
            out[name] = Sample(True, value, times[name], None, wall[name], f.pid, f.started_at, outputs=outputs[name])
    return out
