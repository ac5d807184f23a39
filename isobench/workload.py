"""What is timed for an instance, and the commands that run its workload: one definition, read by `score`
(how it times) and by `prepare` (what the prompt tells the agent to run).

An instance has the workload shown to the agent (`efficiency_test`, `workload_callable`; without them, its
whole asv suite) and may have a held-out one (`heldout_efficiency_test`) that the agent never sees, and an
asv suite whose benchmarks are timed one by one; all are a `Workload` and are timed the same way."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from isobench.measure.config import IN_PROCESS, IN_PROCESS_ASV, IN_PROCESS_SCRIPT, WHOLE_PROCESS, AsvCall, Script
from isobench.records import AsvBenchmark, Instance

# A command a shell would treat specially is never run in-process.
_SHELL_CHARS = set("|&;<>()$`*?~{}[]")
_PYTHON = re.compile(r"python(3(\.\d+)?)?")


def is_python(program: str) -> bool:
    """Whether a command's program is the variant's Python: `python`, `python3` or `python3.N` (by any path),
    the names a venv's interpreter answers to. (`pypy` or `python2` would run another interpreter.)"""
    return bool(_PYTHON.fullmatch(program.rsplit("/", 1)[-1]))


@dataclass(frozen=True)
class Workload:
    """Something to time in a variant: shell commands run from the repository root, or a `module:function`
    called in-process."""

    commands: tuple[str, ...]
    callable: str | None = None
    whole_process: bool = False
    """`workload_timing: whole_process`: time the commands' whole process, never their script in-process."""
    asv: tuple[AsvBenchmark, ...] = ()
    """asv benchmarks, timed together in-process (setup untimed), from the folder `asv_dir`."""
    asv_dir: str = ""

    def asv_call(self, repo: str) -> AsvCall:
        """The asv benchmarks as the timer runs them, in the copy of the repository at `repo`."""
        return AsvCall(f"{repo}/{self.asv_dir}", tuple((b.target, tuple(b.params)) for b in self.asv))


def shown_workload(inst: Instance) -> Workload:
    """The workload the agent is told about (its prompt names it): without efficiency_test and
    workload_callable, the instance's whole asv suite."""
    if not inst.efficiency_test and not inst.workload_callable and inst.asv is not None:
        return asv_workload(inst, inst.asv.benchmarks)
    return Workload(tuple(inst.efficiency_test), inst.workload_callable, inst.workload_timing == "whole_process")


def asv_workload(inst: Instance, benchmarks: list[AsvBenchmark]) -> Workload:
    """Some of the instance's asv benchmarks as one workload."""
    assert inst.asv is not None
    return Workload((), asv=tuple(benchmarks), asv_dir=inst.asv.benchmark_dir)


def heldout_workload(inst: Instance) -> Workload | None:
    """The held-out workload (never shown to the agent), timed as the shown one is; None when there is none."""
    if not inst.heldout_efficiency_test:
        return None
    return Workload(tuple(inst.heldout_efficiency_test), None, inst.workload_timing == "whole_process")


def _workload(w: Workload | Instance) -> Workload:
    return w if isinstance(w, Workload) else shown_workload(w)


def script_workload(commands: list[str] | tuple[str, ...]) -> Script | None:
    """The workload as a script or module when it is exactly one `python SCRIPT ARGS` or `python -m MODULE
    ARGS` command (no shell syntax, no options before the script): what can be timed in-process."""
    if len(commands) != 1 or _SHELL_CHARS & set(commands[0]):
        return None
    try:
        argv = shlex.split(commands[0])
    except ValueError:
        return None
    if len(argv) < 2 or not is_python(argv[0]):
        return None
    if argv[1] == "-m" and len(argv) >= 3:
        return Script("module", argv[2], tuple(argv[3:]))
    if not argv[1].startswith("-"):
        return Script("script", argv[1], tuple(argv[2:]))
    return None


def timing_mode(workload: Workload | Instance) -> str:
    """What is timed (an instance: its shown workload): the workload callable in-process; else the workload
    script's body in-process (`workload_timing: whole_process` opts out); else the whole process of the
    commands."""
    w = _workload(workload)
    if w.callable:
        return IN_PROCESS
    if w.asv:
        return IN_PROCESS_ASV
    if not w.whole_process and script_workload(w.commands):
        return IN_PROCESS_SCRIPT
    return WHOLE_PROCESS


def timed_description(workload: Workload | Instance, mode: str) -> str:
    """What `mode` times of a workload (an instance: its shown workload), in words."""
    w = _workload(workload)
    if mode == IN_PROCESS:
        return f"workload_callable {w.callable}"
    if mode == IN_PROCESS_SCRIPT:
        return f"the body of {w.commands[0]}, run again in one process"
    if mode == IN_PROCESS_ASV:
        return "asv " + ", ".join(b.name for b in w.asv) + " (setup untimed)"
    return "whole process of: " + "; ".join(w.commands)


def workload_commands(inst: Instance) -> list[str]:
    """Shell commands that run the instance's shown workload as `score` times it, from the repository root in
    the task's environment: the callable's call, else the workload commands as written. Never the held-out
    workload's: the agent must not see it."""
    if inst.workload_callable:
        module, func = inst.workload_callable.split(":")
        return [f'python -c "import {module} as w; w.{func}()"']
    w = shown_workload(inst)
    if w.asv:
        return [asv_command(w.asv_dir, b) for b in w.asv]
    return list(inst.efficiency_test)


def asv_command(folder: str, b: AsvBenchmark) -> str:
    """A shell command that runs one asv benchmark once, from the repository root, without asv."""
    parent, _, package = folder.rpartition("/")
    module, _, qualname = b.target.partition(":")
    owner, _, attr = qualname.rpartition(".")
    args = ", ".join(b.params)
    code = f"import sys; sys.path.insert(0, {parent!r}); " if parent else ""
    code += f"from {package}.{module} import {qualname.split('.')[0]} as b; "
    if owner:
        code += f"o = b(); getattr(o, 'setup', lambda *a: None)({args}); o.{attr}({args})"
    else:
        code += f"b({args})"
    return f'python -c "{code}"' if not set(code) & set('"$`\\!') else "python -c " + shlex.quote(code)
