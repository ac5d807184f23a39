"""Timing an instance's variants: what is timed (the timing mode), how each variant's workload is run by
the protocol (in its own copy, venv and sandbox), and the fallback for scripts that cannot run twice."""

from __future__ import annotations

import os
import platform
import re
import shlex
from pathlib import Path
from typing import Any

from isobench import __version__
from isobench.config import BenchConfig
from isobench.envs import variant_env
from isobench.measure.protocol import (
    DEFAULT_CHILD_ENV,
    IN_PROCESS,
    IN_PROCESS_SCRIPT,
    NOT_REPEATABLE,
    WHOLE_PROCESS,
    Measurement,
    Script,
    Variant,
    measure,
)
from isobench.progress import ScoreReporter
from isobench.records import Environment, Instance
from isobench.score.build import Builder
from isobench.score.variants import BASE, dirname
from isobench.state import State

# A command a shell would treat specially is never run in-process.
_SHELL_CHARS = set("|&;<>()$`*?~{}[]")
_PYTHON = re.compile(r"(.*/)?python(3(\.\d+)?)?")


def script_workload(commands: list[str]) -> Script | None:
    """The workload as a script or module when it is exactly one `python SCRIPT ARGS` or `python -m MODULE
    ARGS` command (no shell syntax, no options before the script): what can be timed in-process."""
    if len(commands) != 1 or _SHELL_CHARS & set(commands[0]):
        return None
    try:
        argv = shlex.split(commands[0])
    except ValueError:
        return None
    if len(argv) < 2 or not _PYTHON.fullmatch(argv[0]):
        return None
    if argv[1] == "-m" and len(argv) >= 3:
        return Script("module", argv[2], tuple(argv[3:]))
    if not argv[1].startswith("-"):
        return Script("script", argv[1], tuple(argv[2:]))
    return None


def timing_mode(inst: Instance) -> str:
    """What is timed for an instance: its workload callable in-process; else its workload script's body
    in-process (`workload_timing: whole_process` opts out); else the whole process of its commands."""
    if inst.workload_callable:
        return IN_PROCESS
    if inst.workload_timing != "whole_process" and script_workload(inst.efficiency_test):
        return IN_PROCESS_SCRIPT
    return WHOLE_PROCESS


def timed_description(inst: Instance, mode: str) -> str:
    if mode == IN_PROCESS:
        return f"workload_callable {inst.workload_callable}"
    if mode == IN_PROCESS_SCRIPT:
        return f"the body of {inst.efficiency_test[0]}, run again in one process"
    return "whole process of: " + "; ".join(inst.efficiency_test)


def environment(sandbox: str) -> Environment:
    """Where the numbers were measured: they are only comparable on the same kind of machine."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        oh: str | None = version("openhands-sdk")
    except Exception:
        oh = None
    try:
        kb = next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal"))
        memory_gb: float | None = round(int(kb.split()[1]) / 2**20, 1)
    except (OSError, StopIteration, ValueError):
        memory_gb = None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return Environment(
        host=platform.node(),
        cpu=cpu,
        cores=cores,
        memory_gb=memory_gb,
        platform=platform.platform(),
        python=platform.python_version(),
        isobench_version=__version__,
        openhands_version=oh,
        sandbox=sandbox,
    )


class Timer:
    """Times the built variants of an instance with the protocol of `isobench.measure`."""

    def __init__(self, cfg: BenchConfig, state: State, builder: Builder, reporter: ScoreReporter) -> None:
        self.cfg = cfg
        self.state = state
        self.builder = builder
        self.reporter = reporter

    def variant(self, inst: Instance, name: str, mode: str) -> Variant:
        """What the protocol runs for one variant, in `mode`: in its copy, venv and sandbox, offline."""
        vdir = self.state.score_dir(inst.instance_id) / "envs" / dirname(name)
        venv = vdir / "venv"
        python = str(venv / "bin" / "python")
        env = {**variant_env(venv), **DEFAULT_CHILD_ENV, "ISOBENCH_PYTHON": python}
        spec = self.builder.spec(inst, vdir, env)

        def wrap(argv: list[str]) -> list[str]:
            # The protocol starts the command with `env` (the same dict), so only its argv is needed here.
            return self.builder.sandbox.wrap(argv, spec).argv

        what: dict[str, Any] = {}
        if mode == IN_PROCESS:
            what["callable"] = inst.workload_callable
        elif mode == IN_PROCESS_SCRIPT:
            what["script"] = script_workload(inst.efficiency_test)
        else:
            what["command"] = " && ".join(f"( {c} )" for c in inst.efficiency_test)
        return Variant(name=name, cwd=vdir / "repo", python=python, env=env, wrap=wrap, **what)

    def measure(self, inst: Instance, names: list[str]) -> tuple[Measurement, str | None]:
        """Time `names` together (base first among them); returns the measurement and, when the base's
        script could not run twice in one process, why it was timed as whole processes instead."""
        iid = inst.instance_id
        budget = self.cfg.score.time_budget_s * max(1, len(names) - 1)  # per (base, other variant) pair
        mode = timing_mode(inst)
        fallback = None
        for _ in range(2):
            self.reporter.timing_started(iid, names, budget)
            m = measure(
                [self.variant(inst, n, mode) for n in names],
                self.cfg.score.protocol(budget, BASE),
                samples_path=self.state.score_dir(iid) / "samples.jsonl",
                on_round=lambda r, info: self.reporter.timing_round(iid, r + 1, info),
            )
            if mode == IN_PROCESS_SCRIPT and NOT_REPEATABLE in m.failed.get(BASE, ""):
                fallback, mode = m.failed[BASE][-400:], WHOLE_PROCESS
                continue
            break
        return m, fallback
