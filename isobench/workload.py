"""What is timed for an instance, and the commands that run its workload: one definition, read by `score`
(how it times) and by `prepare` (what the prompt tells the agent to run)."""

from __future__ import annotations

import re
import shlex

from isobench.measure.config import IN_PROCESS, IN_PROCESS_SCRIPT, WHOLE_PROCESS, Script
from isobench.records import Instance

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


def workload_commands(inst: Instance) -> list[str]:
    """Shell commands that run the instance's workload as `score` times it, from the repository root in the
    task's environment: the callable's call, else the workload commands as written."""
    if inst.workload_callable:
        module, func = inst.workload_callable.split(":")
        return [f'python -c "import {module} as w; w.{func}()"']
    return list(inst.efficiency_test)
