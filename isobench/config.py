"""bench.yaml and tasks/*.yaml: the pydantic models and the one place that reads them.

Every error a user can make in these files ends in one line naming the file, the key and what was
expected (a `UserError`, exit code 2). `${VAR}` and `${VAR:-default}` are expanded from the environment
when a file is loaded, in memory only: nothing expanded is ever written back to disk.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from isobench.errors import UserError, one_line

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

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


class Strict(BaseModel):
    """Base model: unknown keys are errors (typos must not pass silently)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Loose(BaseModel):
    """For sections kept only so the seed's / ISO-Bench's files load: unknown keys are accepted."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


def expand_vars(value: Any, builtins: dict[str, str] | None = None) -> Any:
    """Expand `${VAR}` / `${VAR:-default}` in every string of a YAML tree, from `builtins` (e.g. a task
    file's `TASK_DIR`), else the environment.

    A `${VAR}` with no default whose variable is unset stays as written: it may name a secret that
    is only needed later (e.g. an API key for a provider that is not run), and is checked where used.
    """
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if builtins and name in builtins:
                return builtins[name]
            if name in os.environ:
                return os.environ[name]
            return default if default is not None else m.group(0)

        return _VAR.sub(sub, value)
    if isinstance(value, list):
        return [expand_vars(v, builtins) for v in value]
    if isinstance(value, dict):
        return {k: expand_vars(v, builtins) for k, v in value.items()}
    return value


def _load_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise UserError(f"{path}: not valid YAML{where}: {one_line(problem)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of keys at the top level, got {type(data).__name__}")
    return data


def _validation_error(path: Path, exc: ValidationError) -> UserError:
    errors = exc.errors()
    first = errors[0]
    loc = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-")) or "(top level)"
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif first["type"] == "missing":
        msg = "required key is missing"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return UserError(f"{path}: {loc}: {one_line(msg)}{more}")


# --------------------------------------------------------------------------------------------------
# bench.yaml


class ContainerConfig(Loose):
    """The seed's `container` block. `engine` picks the sandbox when `sandbox` is not set."""

    engine: str = Field("bwrap", description="bwrap (default), none, docker or podman")
    image: str | None = Field(None, description="container image, for docker/podman engines")
    cpus: float | int | None = None
    memory: str | None = None
    network_policy: str | None = None
    gpus: str | None = None


class PathsConfig(Strict):
    work_root: str = "./.work"
    """Scratch space (kept for the seed's files; isobench keeps its work under the state root)."""
    state_root: str = "./state"
    """Where every stage reads and writes its records; `--state-dir` and ISOBENCH_STATE_DIR override."""
    reports_root: str = "./reports"
    """Default output folder of `export`."""


ProviderKind = Literal["anthropic", "openai", "litellm", "openai_compatible", "scripted", "command"]

_DEFAULT_KEY_ENV = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}


class ProviderConfig(Strict):
    """One LLM configuration an agent is run with (the seed's `agents.openhands.llm_configs` entries)."""

    name: str = ""
    """The provider's name in state, tables and exports; defaults to `provider`."""
    provider: ProviderKind = "litellm"
    """anthropic | openai | litellm (any LiteLLM model id) | openai_compatible (any base_url) |
    scripted (the built-in scripted LLM server) | command (a non-OpenHands agent command)."""
    model: str = ""
    """Model id. `anthropic`/`openai` names get their LiteLLM prefix added when missing."""
    base_url: str | None = None
    """API base URL, for openai_compatible servers or proxies."""
    api_key_env: str | None = None
    """The environment variable holding the API key (default ANTHROPIC_API_KEY / OPENAI_API_KEY; `none` for
    an endpoint that needs no key)."""
    env_passthrough: list[str] = Field(default_factory=list)
    """More environment variables this provider's agent needs (AWS_*, AZURE_*, VERTEX_*, proxies, CA bundles),
    handed over like the key: from isobench's environment, never written anywhere."""
    config_file: str | None = None
    """The seed's per-LLM TOML file: model/base_url/prices are read from its [llm] table if present."""
    input_cost_per_token: float | None = Field(None, ge=0)
    output_cost_per_token: float | None = Field(None, ge=0)
    temperature: float | None = Field(None, ge=0)
    reasoning_effort: str | None = None
    num_retries: int = Field(3, ge=0, le=100)
    """Retries of a failing LLM call (with backoff) before the attempt is recorded as api_error."""
    max_iterations: int | None = Field(None, ge=1)
    time_budget_minutes: float | None = Field(None, gt=0)
    max_budget_per_task: float | None = Field(None, ge=0)
    total_budget_usd: float | None = Field(None, ge=0)
    """Stop scheduling new attempts of this provider once its recorded cost reaches this."""
    script: str | None = None
    """For provider: scripted, the behaviour (oracle, noop, saboteur, ...); defaults to the name."""
    script_params: dict[str, Any] = Field(default_factory=dict)
    script_commands: list[str] = Field(default_factory=list)
    command: str | None = None
    """For provider: command, a shell template run in the worktree: {prompt_file} {workspace} {out_dir}
    {model} {max_iterations}."""

    @model_validator(mode="after")
    def _defaults(self) -> ProviderConfig:
        if not self.name:
            self.name = self.provider
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", self.name):
            raise ValueError(f"provider name {self.name!r} must be letters, digits, '.', '_' or '-'")
        if self.api_key_env is None:
            self.api_key_env = _DEFAULT_KEY_ENV.get(self.provider)
            if self.provider == "litellm" and not self.config_file:
                raise ValueError(
                    "provider: litellm needs `api_key_env` (the variable holding its key), or `api_key_env: none`"
                )
        if self.api_key_env is not None and self.api_key_env.lower() == "none":
            self.api_key_env = None
        for var in [*([self.api_key_env] if self.api_key_env else []), *self.env_passthrough]:
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var):
                raise ValueError(f"{var!r} is not an environment variable name")
        if self.provider == "scripted" and not self.script:
            self.script = self.name
        if self.provider == "command" and not self.command:
            raise ValueError("provider: command needs a `command` template")
        if self.provider == "openai_compatible" and not self.base_url:
            raise ValueError("provider: openai_compatible needs a `base_url`")
        return self

    @property
    def litellm_model(self) -> str:
        """The model id as LiteLLM wants it (provider prefix added where one is implied)."""
        m = self.model or ("scripted" if self.provider == "scripted" else "")
        if self.provider == "anthropic" and not m.startswith("anthropic/"):
            return f"anthropic/{m}"
        if self.provider in ("openai", "openai_compatible", "scripted") and not m.startswith("openai/"):
            return f"openai/{m}"
        return m


class OpenHandsAgentConfig(Strict):
    """`agents.openhands`: the limits every attempt runs within, and the LLM configurations."""

    cli: str | None = None
    """The seed's command string; kept for compatibility (OpenHands runs through its SDK here)."""
    time_budget_minutes: float = Field(30.0, gt=0)
    max_iterations: int = Field(30, ge=1)
    max_budget_per_task: float | None = Field(10.0, ge=0)
    """Dollar cap per attempt (OpenHands' `max_budget_per_task`)."""
    config_file: str | None = None
    llm_configs: list[ProviderConfig] = Field(default_factory=list)


class AgentsConfig(Loose):
    default: str = "openhands"
    openhands: OpenHandsAgentConfig = Field(default_factory=OpenHandsAgentConfig)


class LLMBenchmarkingConfig(Strict):
    enabled: bool = True
    providers: list[str] = Field(default_factory=list)
    """Names of the llm_configs to run; empty means all of them."""
    max_parallel_runs: int = Field(2, ge=1)
    attempts: int = Field(1, ge=1)
    """Attempts per (instance, provider): opt@k needs k > 1."""
    cost_tracking: bool = True
    result_correlation: bool = True
    comparative_analysis: bool = True


class ScoreConfig(Strict):
    """The timing protocol of `score` (see the README's "How speed is measured") and how variants are built."""

    min_rounds: int = Field(10, ge=5, le=10_000)
    """Timing rounds at least. Never below 5: with fewer paired rounds the one-sided Wilcoxon test cannot
    reach p < 0.05, so nothing could be called significant."""
    max_rounds: int = Field(200, ge=5, le=100_000)
    target_halfwidth: float = Field(0.01, gt=0, lt=1)
    """Stop adding rounds when every speedup's 95% CI half-width (on the log scale) is at most this."""
    time_budget_s: float = Field(60.0, gt=0)
    """Timing budget per variant pair: an instance with base and V other variants gets V x this (warm-up
    included); the protocol stops at whichever comes first, but never before 5 rounds."""
    warmup: int = Field(1, ge=0, le=100)
    values: int = Field(5, ge=1, le=100)
    sample_stat: Literal["min", "median"] = "min"
    """How one sample summarises its `values` in-process calls (min: robust to a shared machine's slowdowns)."""
    interleave: Literal["calls", "processes"] = "calls"
    """In-process timing: alternate the calls of all variants of a round between their live processes
    (calls), or run each variant's process to the end before the next (processes: less memory)."""
    min_gain: float = Field(0.05, ge=0, lt=1)
    """A variant is faster than base only if significantly so and by at least this fraction."""
    match_threshold: float = Field(0.95, gt=0, le=2)
    """GSO's p: an agent matches the human when agent speedup >= p x human speedup."""
    admission_min_speedup: float = Field(1.1, ge=1)
    """An instance whose human speedup's CI lower bound is below this is marked invalid (noisy)."""
    test_timeout_s: float = Field(600.0, gt=0)
    """Wall-time limit of each test command."""
    python: str | None = None
    """Interpreter for the per-variant venvs (default: the one isobench runs on). A task's `python` wins."""
    build_timeout_s: float = Field(1800.0, gt=0)
    """Wall-time limit of each setup or install command."""
    build_network: bool = True
    """Whether setup and install commands reach the network (the package index). Tests and timing never do."""
    index_url: str | None = None
    """Package index for install commands (uv's default index; e.g. a private mirror). Default: uv's own
    (PyPI), or UV_DEFAULT_INDEX / UV_INDEX_URL from the environment."""
    find_links: list[str] = Field(default_factory=list)
    """Local folders of wheels install commands may use (made visible, read-only, to the build)."""
    system_site_packages: bool = False
    """Let variant venvs see the interpreter's own site-packages (off: a variant imports only what its
    install commands installed, and its own code)."""


class BenchConfig(Strict):
    """bench.yaml."""

    setting: Literal["oracle", "realistic"] = "oracle"
    """oracle: the prompt names the target files; realistic: the agent must find the bottleneck."""
    tasks: list[str] = Field(default_factory=lambda: ["tasks/demo.yaml"])
    """Task files `isobench plan` reads when given none (relative to bench.yaml's folder)."""
    sandbox: Literal["bwrap", "none", "docker", "podman"] | None = None
    """Where agents and candidate code run; default: container.engine, else bwrap."""
    prompt_template: str | None = None
    """A prompt template of your own (relative to bench.yaml's folder); default: the one isobench ships."""
    container: ContainerConfig = Field(default_factory=ContainerConfig)
    paths: PathsConfig = Field(default_factory=PathsConfig)
    agents: AgentsConfig = Field(default_factory=AgentsConfig)
    llm_benchmarking: LLMBenchmarkingConfig = Field(default_factory=LLMBenchmarkingConfig)
    score: ScoreConfig = Field(default_factory=ScoreConfig)
    metrics: Any = None
    experiment: Any = None

    root: Path = Field(default=Path("."), exclude=True)
    """The folder bench.yaml is in: relative paths in it resolve against this."""
    source: Path = Field(default=Path("bench.yaml"), exclude=True)

    @model_validator(mode="after")
    def _unique_providers(self) -> BenchConfig:
        names = [p.name for p in self.agents.openhands.llm_configs]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"provider name(s) used twice in llm_configs: {', '.join(dupes)}")
        unknown = [p for p in self.llm_benchmarking.providers if p not in names]
        if unknown:
            raise ValueError(
                f"llm_benchmarking.providers names {unknown[0]!r}, which is not in agents.openhands.llm_configs"
            )
        return self

    @property
    def providers(self) -> list[ProviderConfig]:
        """The providers to run, in configured order."""
        chosen = self.llm_benchmarking.providers
        all_ = self.agents.openhands.llm_configs
        return [p for p in all_ if not chosen or p.name in chosen]

    def provider(self, name: str) -> ProviderConfig:
        for p in self.agents.openhands.llm_configs:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.agents.openhands.llm_configs) or "none"
        raise UserError(f"{self.source}: no provider named {name!r} in agents.openhands.llm_configs (known: {known})")

    def select_providers(self, names: list[str] | None) -> list[ProviderConfig]:
        """The providers named on the command line, else the configured set."""
        if not names:
            return self.providers
        return [self.provider(n) for n in names]

    def resolve(self, p: str) -> Path:
        path = Path(p).expanduser()
        return path if path.is_absolute() else (self.root / path)

    @property
    def sandbox_kind(self) -> str:
        return self.sandbox or self.container.engine or "bwrap"


def _read_llm_toml(cfg: ProviderConfig, root: Path, source: Path) -> None:
    """Fill model/base_url/prices from the seed's per-LLM TOML file; its api_key must be a ${VAR}."""
    import tomli

    path = Path(cfg.config_file or "")
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        return  # the seed lists these files; a missing one just means "use the YAML's values"
    try:
        llm = tomli.loads(path.read_text(encoding="utf-8")).get("llm", {})
    except tomli.TOMLDecodeError as exc:
        raise UserError(f"{path}: not valid TOML: {one_line(str(exc))}") from None
    cfg.model = cfg.model or llm.get("model", "")
    cfg.base_url = cfg.base_url or llm.get("base_url") or None
    for k in ("input_cost_per_token", "output_cost_per_token"):
        if getattr(cfg, k) is None and llm.get(k):
            setattr(cfg, k, float(llm[k]))
    key = llm.get("api_key")
    if key:
        m = _VAR.fullmatch(str(key))
        if not m:
            raise UserError(f"{path}: llm.api_key: a literal API key on disk is refused; write ${{VAR}} and export VAR")
        cfg.api_key_env = m.group(1)


def load_bench(path: Path) -> BenchConfig:
    """Read and validate bench.yaml. A missing default bench.yaml gives the built-in defaults."""
    data = _load_yaml(path)
    data = expand_vars(data)
    try:
        cfg = BenchConfig.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(path, exc) from None
    cfg.root = path.parent.resolve()
    cfg.source = path
    for p in cfg.agents.openhands.llm_configs:
        if p.config_file:
            _read_llm_toml(p, cfg.root, path)
    return cfg


# --------------------------------------------------------------------------------------------------
# tasks/*.yaml


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
    python: str | None = None
    """Interpreter the variants' venvs are made from (default: bench.yaml's score.python)."""
    workload_timing: Literal["auto", "whole_process"] | None = None
    """auto (default): a workload callable, or a single `python SCRIPT` / `python -m MODULE` command, is timed
    inside the process (its body, run again as `__main__`); whole_process: time the whole process of the
    efficiency_test commands (for a script that cannot run twice in one process)."""
    optimization_contract: OptimizationContract | None = None
    scoring: Scoring | None = None

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
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return v


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
_ISO_UNUSED = ("runner", "env_build", "testpack", "metrics", "agents")


def _from_iso_bench(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """Translate ISO-Bench's task keys (repo.url, repo.human_commit, repo.pairs, ...) to ours."""
    notes = []
    for key in _ISO_UNUSED:
        if key in data:
            data.pop(key)
            notes.append(key)
    repo = data.get("repo")
    if isinstance(repo, dict):
        known = {"url", "human_commit", "pre_commit", "pre_parent_index", "pairs", "commits_file"}
        extra = sorted(set(repo) - known)
        if extra:
            raise UserError(f"{path}: repo.{extra[0]}: unknown key")
        data["repo"] = repo.get("url")
        if data["repo"] is None:
            raise UserError(f"{path}: repo.url: required key is missing")
        commits = list(data.get("commits") or [])

        def pair(human: Any, pre: Any, idx: Any, where: str) -> dict[str, Any]:
            # ISO-Bench's pre_parent_index is 1-based: 1 is the first parent (its resolver returns
            # parents[index - 1]), which is git's `<commit>^1`.
            c: dict[str, Any] = {"head": str(human)}
            if pre is None and idx is not None:
                if not isinstance(idx, int) or isinstance(idx, bool) or idx < 1:
                    raise UserError(f"{path}: {where}.pre_parent_index: expected 1 (first parent), 2, ...; got {idx!r}")
                pre = f"{human}^{idx}"
            if pre:
                c["base"] = str(pre)
            return c

        if repo.get("human_commit"):
            commits.append(pair(repo["human_commit"], repo.get("pre_commit"), repo.get("pre_parent_index"), "repo"))
        for i, p in enumerate(repo.get("pairs") or []):
            if not isinstance(p, dict) or "human" not in p:
                raise UserError(f"{path}: repo.pairs[{i}]: expected a mapping with a `human` commit")
            commits.append(pair(p["human"], p.get("pre"), p.get("pre_parent_index"), f"repo.pairs[{i}]"))
        if repo.get("commits_file"):
            cf = Path(repo["commits_file"])
            cf = cf if cf.is_absolute() else path.parent / cf
            if not cf.is_file():
                raise UserError(f"{path}: repo.commits_file: {cf} not found")
            for line in cf.read_text().splitlines():
                parts = line.split("#", 1)[0].split()
                if not parts:
                    continue
                if len(parts) > 1 and parts[1].startswith("parent="):
                    n = parts[1].split("=", 1)[1]
                    if not n.isdigit() or int(n) < 1:
                        raise UserError(f"{cf}: {parts[1]}: expected parent=1 (first parent), parent=2, ...")
                    c = pair(parts[0], None, int(n), f"{cf.name}")
                elif len(parts) > 1:
                    c = pair(parts[0], parts[1], None, f"{cf.name}")
                else:
                    c = pair(parts[0], None, None, f"{cf.name}")
                commits.append(c)
        data["commits"] = commits
    oc = data.get("optimization_contract")
    if isinstance(oc, dict) and oc.get("target_files") == []:
        oc.pop("target_files")
    if notes:
        print(
            f"isobench: note: {path}: ISO-Bench key(s) {', '.join(notes)} are not used by isobench and were ignored",
            file=sys.stderr,
        )
    return data


def load_task(path: Path) -> TaskFile:
    """Read and validate one task file (isobench's own keys or ISO-Bench's)."""
    data = _load_yaml(path)
    # ${TASK_DIR}: the task file's own folder, so a task can name files kept next to it (a workload script).
    data = expand_vars(data, {"TASK_DIR": str(path.parent.resolve())})
    data = _from_iso_bench(data, path)
    try:
        task = TaskFile.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(path, exc) from None
    task.source = path
    return task
