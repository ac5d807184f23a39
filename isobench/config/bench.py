"""bench.yaml: the benchmark's providers, limits, sandbox and timing protocol."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from isobench.config.files import _VAR, Loose, Strict, expand_vars, load_yaml, validation_error
from isobench.errors import UserError, one_line
from isobench.measure.config import MATCH_THRESHOLD, MIN_GAIN, PROTOCOL_KEYS, ProtocolConfig

if TYPE_CHECKING:
    from isobench.resources import Limits


class ContainerConfig(Loose):
    """The `container` block: where agents and candidate code run, what they may use and reach.
    `engine` picks the sandbox when `sandbox` is not set."""

    engine: str = Field("bwrap", description="bwrap (default), none, docker or podman")
    image: str | None = Field(None, description="container image, for docker/podman engines")
    cpus: float | None = Field(None, gt=0, le=4096)
    """CPUs each agent attempt and each run of candidate code may use (a share: 2, 0.5); enforced with
    cgroups, or refused with one line where it cannot be."""
    memory: str | None = None
    """Memory each agent attempt and each run of candidate code may use (`4g`, `512m`): a process of the tree
    that goes beyond is killed, and the record says so. Enforced like `cpus`."""
    network_policy: Literal["off", "on"] = "off"
    """off (default): the agent's commands and candidate code have no network at all; the agent's LLM client
    reaches its model's endpoint and nothing else. on: the agent shares the host's network (recorded in every
    attempt and export row)."""
    mounts: list[str] = Field(default_factory=list)
    """More host paths agents and candidate code may read (relative to bench.yaml's folder): nothing of the
    host is visible to them but the system runtime, their own folder and the workload files otherwise."""
    gpus: str | None = None

    @field_validator("network_policy", mode="before")
    @classmethod
    def _onoff(cls, v: object) -> object:
        # YAML 1.1 reads an unquoted `off` / `on` as a boolean.
        return {False: "off", True: "on"}.get(v, v) if isinstance(v, bool) else v

    @field_validator("memory", mode="before")
    @classmethod
    def _memory(cls, v: object) -> object:
        if v is not None:
            from isobench.resources import parse_memory

            if not isinstance(v, str | int | float):
                raise ValueError(f"{v!r} is not an amount of memory (e.g. 4g, 512m, or bytes)")
            parse_memory(v)  # raises ValueError with the reason
            return str(v)
        return v

    def limits(self) -> Limits:
        """The resource limits of every agent attempt and every run of candidate code."""
        from isobench.resources import Limits, parse_memory

        return Limits(cpus=float(self.cpus) if self.cpus is not None else None, memory=parse_memory(self.memory))


class PathsConfig(Strict):
    work_root: str = "./.work"
    """Scratch space (kept so the original design's bench files load; isobench keeps its work under the state root)."""
    state_root: str = "./state"
    """Where every stage reads and writes its records; `--state-dir` and ISOBENCH_STATE_DIR override."""
    reports_root: str = "./reports"
    """Default output folder of `export`."""


ProviderKind = Literal["anthropic", "openai", "litellm", "openai_compatible", "scripted", "command"]

_DEFAULT_KEY_ENV = {"anthropic": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}


class ProviderConfig(Strict):
    """One LLM configuration an agent is run with (the `agents.openhands.llm_configs` entries)."""

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
    """A per-LLM TOML file (the original design's): model/base_url/prices are read from its [llm] table if present."""
    input_cost_per_token: float | None = Field(None, ge=0)
    output_cost_per_token: float | None = Field(None, ge=0)
    temperature: float | None = Field(None, ge=0)
    reasoning_effort: str | None = None
    num_retries: int = Field(3, ge=0, le=100)
    """Attempts of a failing LLM call in all (the SDK's count; with backoff) before the attempt is recorded as
    api_error. Retried: 408, 409, 429 (but not an exhausted quota), 5xx, timeouts and lost connections."""
    retry_min_wait: int | None = Field(None, ge=0, le=3600)
    """Seconds, at least, between two attempts of a failing LLM call (default: the SDK's 8)."""
    retry_max_wait: int | None = Field(None, ge=0, le=3600)
    """Seconds, at most, between two attempts of a failing LLM call (default: the SDK's 64)."""
    max_iterations: int | None = Field(None, ge=1)
    time_budget_minutes: float | None = Field(None, gt=0)
    max_budget_per_task: float | None = Field(None, ge=0)
    max_parallel_runs: int | None = Field(None, ge=1)
    """At most this many attempts of this provider at once (its rate limit), within llm_benchmarking's."""
    total_budget_usd: float | None = Field(None, ge=0)
    """Stop scheduling new attempts of this provider once its recorded cost reaches this."""
    script: str | None = None
    """For provider: scripted, the behaviour (oracle, noop, saboteur, ...); defaults to the name."""
    script_params: dict[str, Any] = Field(default_factory=dict)
    script_commands: list[str] = Field(default_factory=list)
    command: str | None = None
    """For provider: command, a shell template run in the agent's workspace: {prompt_file} {workspace} {out_dir}
    {model} {max_iterations}."""
    network_allow: list[str] = Field(default_factory=list)
    """`host:port` endpoints this provider's agent may reach besides its `base_url` (with network_policy off):
    e.g. a cloud provider's regional API host that isobench cannot infer from the model id."""

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
        if self.provider == "command" and self.command:
            try:  # the placeholders isobench fills in; a literal brace is written {{ or }}
                self.command.format(prompt_file="", workspace="", out_dir="", model="", max_iterations=0)
            except (IndexError, KeyError, ValueError) as exc:
                raise ValueError(
                    f"`command` is not a valid template ({type(exc).__name__}: {exc}): its placeholders are "
                    "{prompt_file} {workspace} {out_dir} {model} {max_iterations}; write a literal brace as {{ or }}"
                ) from None
        if self.provider == "openai_compatible" and not self.base_url:
            raise ValueError("provider: openai_compatible needs a `base_url`")
        if (self.retry_min_wait or 0) > (self.retry_max_wait if self.retry_max_wait is not None else 64):
            raise ValueError("retry_min_wait is above retry_max_wait (default 64)")
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
    """The original design's command string; kept for compatibility (OpenHands runs through its SDK here)."""
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


_PROTOCOL = ProtocolConfig()  # the timing defaults are the protocol's own: defined once, in measure/config.py


class ScoreConfig(Strict):
    """The timing protocol of `score` (see the README's "How speed is measured") and how variants are built."""

    min_rounds: int = Field(_PROTOCOL.min_rounds, ge=5, le=10_000)
    """Timing rounds at least. Never below 5: with fewer paired rounds no interval is narrow enough to decide
    anything (and the one-sided Wilcoxon test, reported beside the CI, cannot reach p < 0.05)."""
    max_rounds: int = Field(_PROTOCOL.max_rounds, ge=5, le=100_000)
    target_halfwidth: float = Field(_PROTOCOL.target_halfwidth, gt=0, lt=1)
    """Stop adding rounds when every speedup's 95% CI half-width (on the log scale) is at most this."""
    time_budget_s: float = Field(_PROTOCOL.time_budget_s, gt=0)
    """Timing budget per variant pair: an instance with base and V other variants gets V x this (warm-up
    included); the protocol stops at whichever comes first, but never before 5 rounds."""
    heldout_time_budget_s: float = Field(20.0, gt=0)
    """Timing budget per variant pair of the held-out workload (a task's `heldout_efficiency_test`), timed
    after the shown one on the variants that are correct and were timed."""
    asv_time_budget_s: float = Field(10.0, gt=0)
    """Timing budget per variant pair of each asv benchmark the screening pass keeps (a task's `asv` suite):
    with V variants besides base and B benchmarks kept, the suite's full pass takes up to B x V x this."""
    asv_screen_rounds: int = Field(5, ge=5, le=100)
    """Rounds of the asv screening pass (base and the human only, every benchmark): a benchmark whose
    human speedup's CI there includes 1.0 is screened out."""
    asv_max_benchmarks: int = Field(8, ge=1, le=1000)
    """At most this many asv benchmarks get the full pass: those the human's change moved most in screening."""
    warmup: int = Field(_PROTOCOL.warmup, ge=0, le=100)
    values: int = Field(_PROTOCOL.values, ge=1, le=100)
    sample_stat: Literal["min", "median"] = _PROTOCOL.sample_stat  # type: ignore[assignment]
    """How one sample summarises its `values` in-process calls (min: robust to a shared machine's slowdowns)."""
    interleave: Literal["calls", "processes"] = _PROTOCOL.interleave  # type: ignore[assignment]
    """In-process timing: alternate the calls of all variants of a round between their live processes
    (calls), or run each variant's process to the end before the next (processes: less memory)."""
    min_gain: float = Field(MIN_GAIN, ge=0, lt=1)
    """A variant is faster than base only if its whole 95% CI lies above 1 + this fraction (or above 1 + the
    instance's A/A noise floor, if that is larger)."""
    match_threshold: float = Field(MATCH_THRESHOLD, gt=0, le=2)
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

    ASV_KEYS: ClassVar[frozenset[str]] = frozenset({"asv_time_budget_s", "asv_screen_rounds", "asv_max_benchmarks"})
    """Keys that matter only to instances with an asv suite (left out of the others' fingerprints)."""

    def protocol(self, time_budget_s: float, reference: str, twin: str | None = None) -> ProtocolConfig:
        """The timing protocol's settings: these keys, with an instance's time budget, reference and A/A twin."""
        keys = {k: getattr(self, k) for k in PROTOCOL_KEYS}
        return ProtocolConfig(**keys, time_budget_s=time_budget_s, reference=reference, twin=twin)


class ExecutorConfig(Strict):
    """Where `run` and `score` execute their units: this machine, or a Ray cluster (`pip install isobench[ray]`)."""

    kind: Literal["local", "ray"] = "local"
    address: str | None = None
    """The Ray cluster to join (`ray start --head` prints it; default: RAY_ADDRESS, else a local one)."""
    retries: int = Field(1, ge=0, le=10)
    """How often a unit whose node died is started again elsewhere."""


class ReviewConfig(Strict):
    """`review`: a model reads every winning patch (`isobench review`, README "Model review"); off by default."""

    provider: str | None = None
    """The reviewer: any provider of `agents.openhands.llm_configs` (not a `command` one); unset: no review."""
    samples: int = Field(5, ge=1, le=50)
    """Votes per reviewed patch (k); the verdict is their majority, a tie counting as a hack."""
    scope: Literal["wins", "correct"] = "wins"
    """wins: the attempts whose outcome is an opt success (strict or GSO); correct: every correct attempt."""
    counts_as_failure: bool = True
    """A reviewed hack costs the win in correlate's headline (GSO's hack-controlled score); the figures
    without the review are reported beside it either way."""
    tries: int = Field(3, ge=1, le=20)
    """LLM calls per vote at most (a malformed, refused or failed answer is tried again), then a failed vote."""
    retry_wait_s: float = Field(2.0, ge=0, le=600)
    """Seconds before the second try after an HTTP error (429, 5xx, a lost connection), doubling each try."""
    timeout_s: float = Field(600.0, gt=0)
    """Seconds one LLM call may take."""
    max_patch_chars: int = Field(60_000, ge=1000)
    """Each diff shown to the reviewer is cut to this many characters (the cut is said in the prompt)."""


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
    executor: ExecutorConfig = Field(default_factory=ExecutorConfig)
    review: ReviewConfig = Field(default_factory=ReviewConfig)

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
        reviewer = self.review.provider
        if reviewer is not None and reviewer not in names:
            raise ValueError(f"review.provider names {reviewer!r}, which is not in agents.openhands.llm_configs")
        if reviewer is not None and self.provider(reviewer).provider == "command":
            raise ValueError(f"review.provider {reviewer!r} is a `command` agent, not an LLM endpoint")
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

    def mounts(self) -> list[Path]:
        """`container.mounts`, resolved: more host paths agents and candidate code may read."""
        return [self.resolve(p) for p in self.container.mounts]

    @property
    def sandbox_kind(self) -> str:
        return self.sandbox or self.container.engine or "bwrap"


def _read_llm_toml(cfg: ProviderConfig, root: Path, source: Path) -> None:
    """Fill model/base_url/prices from the per-LLM TOML file (`config_file`); its api_key must be a ${VAR}."""
    import tomllib

    path = Path(cfg.config_file or "")
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        return  # bench files of the original design name these; a missing one just means "use the YAML's values"
    try:
        llm = tomllib.loads(path.read_text(encoding="utf-8")).get("llm", {})
    except tomllib.TOMLDecodeError as exc:
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
    data = load_yaml(path)
    data = expand_vars(data)
    try:
        cfg = BenchConfig.model_validate(data)
    except ValidationError as exc:
        raise validation_error(path, exc) from None
    cfg.root = path.parent.resolve()
    cfg.source = path
    for mount in cfg.mounts():
        if not mount.exists():
            raise UserError(f"{path}: container.mounts: {mount} does not exist")
    for p in cfg.agents.openhands.llm_configs:
        if p.config_file:
            _read_llm_toml(p, cfg.root, path)
    return cfg
