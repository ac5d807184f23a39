"""Timing an instance's variants: what is timed (the timing mode), how each variant's workload is run by
the protocol (in its own copy, venv and sandbox), and the fallback for scripts that cannot run twice.

The shown workload and the held-out one are timed by the same two functions (`Timer.variant`,
`Timer.measure`), each with its own samples file."""

from __future__ import annotations

import os
import platform
from dataclasses import replace
from pathlib import Path
from typing import Any

from isobench import __version__
from isobench.config import BenchConfig
from isobench.envs import place_spec, sandboxed_sh, variant_env
from isobench.measure.config import (
    DEFAULT_CHILD_ENV,
    IN_PROCESS,
    IN_PROCESS_ASV,
    IN_PROCESS_SCRIPT,
    NOT_REPEATABLE,
    WHOLE_PROCESS,
    Variant,
)
from isobench.measure.protocol import Measurement, RoundDone, measure
from isobench.progress import ScoreReporter
from isobench.records import Environment, Instance
from isobench.resources import Group, memory_killed_message
from isobench.score.build import Builder
from isobench.score.unit import staged
from isobench.score.variants import AA, BASE, dirname
from isobench.state import State, pause_point
from isobench.workload import Workload, script_workload, shown_workload, timed_description, timing_mode

READ_ONLY = "Read-only file system"
WRITES_NOTE = (
    "the workload writes into its repository, so it was timed with a writable copy (state it keeps on disk "
    "between processes is then not ruled out)"
)
COMPILE = "python -m compileall -q -j 1 . > /dev/null 2>&1; exit 0"

__all__ = ["Timer", "Workload", "machine_environment", "script_workload", "timed_description", "timing_mode"]


def machine_environment(sandbox: str) -> Environment:
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
        self.groups: dict[str, Group] = {}
        """Each timed variant's control group (its memory limit), while it is measured."""

    def variant(self, inst: Instance, name: str, mode: str, workload: Workload, *, writable: bool = False) -> Variant:
        """What the protocol runs of `workload` for one variant, in `mode`: in its copy, venv and sandbox,
        offline. The one definition of how a workload becomes a timed variant."""
        vdir = self.state.score_dir(inst.instance_id) / "envs" / dirname(name)
        venv = vdir / "venv"
        python = str(venv / "bin" / "python")
        env = {**variant_env(venv), **DEFAULT_CHILD_ENV, "ISOBENCH_PYTHON": python}
        # Read-only copy and venv (unless the workload must write there): a cache on disk cannot carry results
        # from one timed process to the next, nor can the code rewrite its own installed files.
        spec = place_spec(self.builder.settings(inst), self.builder.place(inst, vdir), env, read_only=not writable)
        # Its own group even without limits: its CPU time and leftover processes show work done outside the
        # calls the harness times (see isobench/measure/spawn.py).
        group = self.builder.resources.group(account=True)
        if group is not None:
            self.groups[name] = group

        def wrap(argv: list[str]) -> list[str]:
            # The protocol starts the command with `env` (the same dict), so only its argv is needed here.
            inner = self.builder.sandbox.wrap(argv, spec).argv
            return group.argv(inner) if group is not None else inner

        what: dict[str, Any] = {}
        if mode == IN_PROCESS:
            what["callable"] = workload.callable
        elif mode == IN_PROCESS_SCRIPT:
            what["script"] = script_workload(workload.commands)
        elif mode == IN_PROCESS_ASV:
            what["asv"] = workload.asv_call(str(vdir / "repo"))
        else:
            what["command"] = " && ".join(f"( {c} )" for c in workload.commands)
        return Variant(name=name, cwd=vdir / "repo", python=python, env=env, wrap=wrap, probe=group, **what)

    def measure(
        self,
        inst: Instance,
        names: list[str],
        workload: Workload | None = None,
        *,
        samples_file: str = "samples.jsonl",
        pair_budget_s: float | None = None,
        rounds: int | None = None,
        compile: bool = True,
    ) -> tuple[Measurement, str | None]:
        """Time `workload` (default: the shown one) in `names` together (base first among them), each (base,
        other variant) pair given `pair_budget_s` (default: score.time_budget_s), exactly `rounds` rounds when
        given (a screening pass); returns the measurement and, when the base's script could not run twice in
        one process, why it was timed as whole processes. `compile=False`: the copies are byte-compiled."""
        iid = inst.instance_id
        workload = workload or shown_workload(inst)
        pair = self.cfg.score.time_budget_s if pair_budget_s is None else pair_budget_s
        budget = pair * max(1, len(names) - 1)
        mode = timing_mode(workload)
        fallback = None
        writable = False
        protocol = self.cfg.score.protocol(budget, BASE, AA if AA in names else None)
        if rounds is not None:
            protocol = replace(protocol, min_rounds=rounds, max_rounds=rounds)
        if compile:
            self.compile(inst, names)
        for _ in range(3):
            self.reporter.timing_started(iid, names, budget)
            try:
                m = measure(
                    [self.variant(inst, n, mode, workload, writable=writable) for n in names],
                    protocol,
                    samples_path=staged(self.state, iid) / samples_file,
                    on_round=lambda r, info: self.round_done(iid, r, info),
                )
                for name, group in self.groups.items():
                    if name in m.failed and group.oom_kills():
                        m.failed[name] = f"{memory_killed_message(self.builder.resources.limits)}: {m.failed[name]}"
            finally:
                for group in self.groups.values():
                    group.remove()
                self.groups.clear()
            if not writable and READ_ONLY in m.failed.get(BASE, ""):
                writable = True
                fallback = f"{WRITES_NOTE}: {m.failed[BASE][-300:]}"
                continue
            if mode == IN_PROCESS_SCRIPT and NOT_REPEATABLE in m.failed.get(BASE, ""):
                fallback, mode = "; ".join(filter(None, [fallback, m.failed[BASE][-400:]])), WHOLE_PROCESS
                continue
            break
        return m, fallback

    def round_done(self, iid: str, r: int, info: RoundDone) -> None:
        self.reporter.timing_round(iid, r + 1, info)
        pause_point("timing")

    def compile(self, inst: Instance, names: list[str]) -> None:
        """Byte-compile each variant's copy while it is still writable, so that timed processes, which see it
        read-only, load the same .pyc files every time instead of compiling their imports again."""
        settings = self.builder.settings(inst)
        for name in names:
            vdir = self.state.score_dir(inst.instance_id) / "envs" / dirname(name)
            place = self.builder.place(inst, vdir)
            sandboxed_sh(self.builder.sandbox, self.builder.resources, settings, place, COMPILE, settings.timeout_s)
