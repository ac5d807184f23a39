"""Starting the timed processes: one-shot samples (a whole process, or a timer that runs its calls and
exits), served timers asked for one call at a time, and the rounds built from them (interleaved calls,
ABBA whole processes). Children run in their own process group, pinned to one core, and are killed as a
group on timeout or interrupt."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from isobench.measure.config import (
    DEFAULT_CHILD_ENV,
    READY_PREFIX,
    SAMPLE_STATS,
    STDERR_TAIL,
    TIMER_PREFIX,
    VALUE_PREFIX,
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


def _parse_timer_output(stdout: str) -> tuple[list[float], float]:
    for line in reversed(stdout.splitlines()):
        if line.startswith(TIMER_PREFIX):
            payload = json.loads(line[len(TIMER_PREFIX) :])
            values = [float(v) for v in payload["values"]]
            if not values or any(not v > 0 for v in values):
                raise ValueError(f"bad timer values {values}")
            return values, float(payload["import_s"])
    raise ValueError(f"no {TIMER_PREFIX} line on stdout")


def run_sample(variant: Variant, env: dict[str, str], config: ProtocolConfig, core: int | None) -> Sample:
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
        error = f"exit status {proc.returncode}: {_tail(err)}"
        return Sample(False, None, None, None, wall, proc.pid, started_at, error)
    if variant.command is not None:
        return Sample(True, wall, None, None, wall, proc.pid, started_at)
    try:
        values, import_s = _parse_timer_output(out)
    except (ValueError, KeyError, TypeError) as exc:
        error = f"unreadable timer output ({exc}): {_tail(out)} {_tail(err)}"
        return Sample(False, None, None, None, wall, proc.pid, started_at, error)
    return Sample(True, SAMPLE_STATS[config.sample_stat](values), values, import_s, wall, proc.pid, started_at)


class _ChildFailed(Exception):
    """A served timer process failed; the message is what the sample records as its error."""


class _Worker:
    """One variant's fresh ``_timer.py --serve`` process, asked for one timed call at a time.

    ``wall_s`` adds up only the time the harness waits on this child (start-up, each call, exit),
    so over a round the workers' wall times are the children's own time, as for one-shot samples.
    Failures are recorded in ``error`` (same wording as :func:`run_sample`), never raised.
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
            kill_group(self.proc, wait_s=None)
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
            kill_group(self.proc, wait_s=None)
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

    def sample(self, config: ProtocolConfig) -> Sample:
        pid = self.proc.pid if self.proc is not None else None
        if self.error is not None:
            return Sample(False, None, None, None, self.wall_s, pid, self.started_at, self.error)
        value = SAMPLE_STATS[config.sample_stat](self.values)
        return Sample(True, value, list(self.values), self.import_s, self.wall_s, pid, self.started_at)


def run_round_interleaved(
    order: list[str],
    by_name: dict[str, Variant],
    envs: dict[str, dict[str, str]],
    config: ProtocolConfig,
    core: int | None,
) -> dict[str, Sample]:
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
    wall = dict.fromkeys(order, 0.0)
    first: dict[str, Sample] = {}
    errors: dict[str, str] = {}
    for j in range(config.values):
        for name in order if j % 2 == 0 else order[::-1]:
            if name in errors:
                continue
            s = run_sample(by_name[name], envs[name], config, core)
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
            out[name] = Sample(False, None, None, None, wall[name], f.pid, f.started_at, errors[name])
        else:
            value = SAMPLE_STATS[config.sample_stat](times[name])
            out[name] = Sample(True, value, times[name], None, wall[name], f.pid, f.started_at)
    return out
