"""tasks/*.yaml: the human optimization commits of one repository, and how to check and time them."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from isobench.config.files import Strict, expand_vars, load_yaml, validation_error
from isobench.config.iso_bench import from_iso_bench

# Files whose changes count as tests or benchmarks: they go into the test patch, never into the agent's
# target files, and an agent's edits to them are discarded before scoring (as SWE-bench does).
DEFAULT_TEST_PATTERNS = [
    "tests/**",
    "test/**",
    "**/tests/**",
    "**/test/**",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
    "benchmarks/**",
    "**/benchmarks/**",
]


class OptimizationContract(Strict):
    target_files: list[str] = Field(default_factory=list)
    """Files the agent may change; empty means the non-test files the human changed."""
    strict_targets: bool = False
    """ISO-Bench's flag: a change outside the targets makes the attempt invalid."""
    constraints: list[str] = Field(default_factory=list)
    """Sentences pasted into the prompt."""


class Scoring(Strict):
    primary: str = "wall time of the workload"
    tie_breaker: str | None = None


# The keys holding shell commands (`plan` reads the files and programs they name): a new command list
# belongs here too.
COMMAND_FIELDS = ("setup_commands", "install_commands", "efficiency_test", "tests", "heldout_efficiency_test")
HELDOUT_FIELDS = ("heldout_efficiency_test", "heldout_workload_files")
"""Keys the agent never sees: not in its prompt, their files not in its sandbox (`score` times them apart)."""


def valid_regex(v: str | None) -> str | None:
    """`v` if it is a regular expression Python compiles (None passes), else a one-line ValueError."""
    if v is not None:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
    return v


class AsvKey(Strict):
    """`asv:`: the repository's asv (airspeed velocity) suite as workloads (README, "asv suites")."""

    config: str | None = None
    """The asv configuration file, relative to the repository root (default: the one `asv*.json` there)."""
    bench: str | None = None
    """Only the benchmarks whose name this regular expression matches (searched, as `asv run --bench`)."""

    @field_validator("bench")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        return valid_regex(v)


class Overrides(Strict):
    """Keys a task sets for all its commits and a commit may override."""

    efficiency_test: list[str] | None = None
    """Shell commands, run from the repo root, whose run time is the workload (whole-process timing)."""
    workload_callable: str | None = None
    """`module:function` timed inside the process (preferred: no interpreter start-up in the ratio)."""
    tests: list[str] | None = None
    """Correctness test commands, run from the repo root; a variant is correct when they pass as on
    the human commit."""
    target_files: list[str] | None = None
    setup_commands: list[str] | None = None
    """Shell commands run once in each variant's copy before install (e.g. generating data)."""
    install_commands: list[str] | None = None
    """Shell commands run in the variant's own venv with the package index reachable, e.g.
    `pip install -e .` or `pip install pytest` (`pip` there is uv's, sharing one download cache)."""
    workload_files: list[str] | None = None
    """Files or folders outside the repository the workload needs (e.g. a benchmark script): made visible,
    read-only and at the same path, to the agent and to every variant. Relative to the task file."""
    heldout_efficiency_test: list[str] | None = None
    """Held-out workload: shell commands, run from the repo root like efficiency_test, that the agent never
    sees (not in its prompt); `score` times them too, on the correct variants, and reports them apart. An
    attempt faster on the shown workload but not on these (where the human is) is labelled `overfit`."""
    heldout_workload_files: list[str] | None = None
    """Files or folders outside the repository the held-out commands need: made visible, read-only, to the
    variants `score` times, never to the agent. Relative to the task file."""
    asv: AsvKey | None = None
    """The repository's asv suite: its `time_*` benchmarks, found at the base commit, are timed one by one by
    `score` (after a screening pass) and summarised by their geometric mean; the workload when there is no
    efficiency_test."""
    python: str | None = None
    """Interpreter the variants' venvs are made from (default: bench.yaml's score.python)."""
    workload_timing: Literal["auto", "whole_process"] | None = None
    """auto (default): a workload callable, or a single `python SCRIPT` / `python -m MODULE` command, is timed
    inside the process (its body, run again as `__main__`); whole_process: time the whole process of the
    efficiency_test commands (for a script that cannot run twice in one process); heldout_efficiency_test
    is timed the same way."""
    workload_output: Literal["compare", "ignore"] | None = None
    """compare (default): what the workload prints (and a workload_callable returns) on each variant must be
    what it is on base and the human, call after call, or the variant is not correct
    (`workload_output_differs`); ignore: the output is not comparable (timestamps, randomness)."""
    optimization_contract: OptimizationContract | None = None
    scoring: Scoring | None = None

    @field_validator(*COMMAND_FIELDS)
    @classmethod
    def _shell_commands(cls, v: list[str] | None) -> list[str] | None:
        # A quote left open fails in /bin/sh only when the command runs, after the whole build.
        for n, command in enumerate(v or []):
            if not command.strip():
                raise ValueError(f"command {n} is empty")
            try:
                shlex.split(command)
            except ValueError as exc:
                raise ValueError(f"command {n} is not a valid shell command ({exc}): {command}") from None
        return v

    @field_validator("workload_callable")
    @classmethod
    def _callable_form(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*", v):
            raise ValueError("expected 'module:function', e.g. 'benchmarks.workloads:run'")
        return v


class CommitSpec(Overrides):
    head: str
    """The human optimization commit (sha, tag or branch)."""
    base: str | None = None
    """Defaults to the head's first parent."""


class DiscoverSpec(Strict):
    """Find human optimization commits in the history instead of (or besides) listing them."""

    rev: str = "HEAD"
    message_regex: str | None = r"\b(speed ?up|faster|optimi[sz]e|perf(ormance)?|accelerate)\b"
    """Case-insensitive regular expression the commit message must match."""
    paths: list[str] = Field(default_factory=list)
    """Only commits touching at least one of these paths."""
    max_files_changed: int | None = Field(10, ge=1)
    min_lines_changed: int | None = Field(None, ge=0)
    max_lines_changed: int | None = Field(2000, ge=1)
    since: str | None = None
    until: str | None = None
    limit: int = Field(20, ge=1)
    """At most this many commits, newest first."""
    exclude: list[str] = Field(default_factory=list)
    """Commits (sha prefixes or refs) never to pick."""

    @field_validator("message_regex")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        return valid_regex(v)


class TaskFile(Overrides):
    """tasks/*.yaml."""

    name: str
    description: str = ""
    repo: str
    """Local path (relative to the task file's folder) or clone URL."""
    id: str | None = None
    """ISO-Bench's family id; informational."""
    commits: list[CommitSpec] = Field(default_factory=list)
    discover: DiscoverSpec | None = None
    test_patterns: list[str] = Field(default_factory=lambda: list(DEFAULT_TEST_PATTERNS))
    """Globs of test and benchmark files (kept out of the agent's patch and the target files)."""

    source: Path = Field(default=Path("task.yaml"), exclude=True)

    @model_validator(mode="after")
    def _has_commits(self) -> TaskFile:
        if not self.commits and self.discover is None:
            raise ValueError("no commits: list them under `commits` or give a `discover` block")
        return self


# ISO-Bench keys that are read elsewhere or declared but unused there; dropped with a note.


def load_task(path: Path) -> TaskFile:
    """Read and validate one task file (isobench's own keys or ISO-Bench's)."""
    data = load_yaml(path)
    # ${TASK_DIR}: the task file's own folder, so a task can name files kept next to it (a workload script).
    data = expand_vars(data, {"TASK_DIR": str(path.parent.resolve())})
    data = from_iso_bench(data, path)
    try:
        task = TaskFile.model_validate(data)
    except ValidationError as exc:
        raise validation_error(path, exc) from None
    task.source = path
    return task
