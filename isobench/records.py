"""Every record isobench writes, as typed models: the one definition of each field.

`State` reads and writes these (atomically, with `schema_version` and `status`); stages pass them to each
other; tests build real records, not hand-made dicts. A record written by an older isobench is brought
up to date on read by `migrate` (as asv's `Results` does with its `api_version`); one written by a newer
isobench is refused with one line.

    plan/<iid>/instance.json            Instance
    prepare/<iid>/<provider>/prepared.json   PreparedUnit
    runs/<iid>/<provider>/<n>/result.json    Attempt
    score/<iid>/variants/<variant>.json  VariantBuild
    score/<iid>/score.json              InstanceScore (its rows: VariantScore)
    review/<iid>/<provider>/<n>.json    ReviewRecord (an attempt's review; review/<iid>/human.json: the
                                        human's patch reviewed as a control)
    correlate/correlation.json          Correlation
    validate/<iid>/validation.json      Validation (`isobench validate`: admitted to a suite or not, and why)

Paths inside the state are relative (an attempt's files to its folder), so a state directory can move.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from isobench.flags import IntegrityFlag
from isobench.jsontypes import JSONObject, items, number, obj
from isobench.review.categories import HackType

SCHEMA_VERSION = 4
"""Stamped in every record; bumped when a record's shape or meaning changes (see `migrate`)."""

AttemptFailure = Literal[
    "agent_error",
    "timeout",
    "budget_exceeded",
    "iterations_exhausted",
    "api_error",
    "env_failed",
    "runtime_error",
    "interrupted",
]
AttemptStatus = Literal["success", AttemptFailure]
ATTEMPT_STATUSES: tuple[str, ...] = AttemptStatus.__args__  # type: ignore[attr-defined]
"""How an attempt ended: `success` (the agent called finish) or why it did not."""
HARNESS_FAILURES = frozenset({"api_error", "env_failed", "runtime_error"})
"""Statuses where isobench got no answer (the endpoint failed, the task's environment could not be built for
the agent, or isobench failed): `run` exits 1 on them."""
AGENT_FAILURES = frozenset({"agent_error", "timeout", "budget_exceeded", "iterations_exhausted"})
"""Statuses where the agent ran to an end without finishing: results, not failures of the harness."""

BuildFailure = Literal[
    "base_failed", "patch_failed", "setup_failed", "install_failed", "build_failed", "outside_targets"
]
Build = Literal["ok", BuildFailure]
Classification = Literal["faster", "slower", "no_difference", "inconclusive"]
MatchLabel = Literal[
    "confident_pass",
    "confident_fail",
    "inconclusive",
    "incorrect",
    "empty_patch",
    "outside_targets",
    "not_timed",
    "overfit",
    IntegrityFlag,
]
FailureReason = Literal[
    AttemptFailure,
    "empty_patch",
    "not_scored",
    BuildFailure,
    "incorrect",
    "not_timed",
    "overfit",
    IntegrityFlag,
    "not_faster",
    "below_human",
    "reviewed_hack",
]
"""Why an attempt is not a strict opt (`Outcome.failure_reason`; the order they are checked in: `outcome._STEPS`)."""
ScoreStatus = Literal["scored", "base_failed", "human_failed", "human_tests_failed"]


class Record(BaseModel):
    """A record on disk: unknown keys are errors (a typo must not pass), `schema_version` stamped."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False, use_attribute_docstrings=True)

    schema_version: int = SCHEMA_VERSION


class Part(BaseModel):
    """A nested part of a record."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


# --------------------------------------------------------------------------------------------------
# plan


class AsvBenchmark(Part):
    """One asv benchmark of a suite: a `time_*` function or method, with one combination of its `params`."""

    name: str
    """asv's name, with the parameters when it has any: `bench_textkit.Slugify.time_slugify('ascii')`."""
    target: str
    """`module:qualname` inside the benchmark folder: `bench_textkit:Slugify.time_slugify`."""
    params: list[str] = Field(default_factory=list)
    """The parameter values, as Python literals (asv passes them to `setup` and to the timed call)."""


class AsvSuite(Part):
    """An asv suite found statically (no asv, no import) at the base commit (`isobench/asv.py`)."""

    config: str
    """The asv configuration file, relative to the repository root."""
    benchmark_dir: str
    """Its `benchmark_dir` (asv's default `benchmarks`), imported from each variant's repository root."""
    bench: str | None = None
    """The task's filter (a regular expression searched in each benchmark's name, as `asv run --bench`)."""
    benchmarks: list[AsvBenchmark]
    skipped: list[str] = Field(default_factory=list)
    """`time_*` benchmarks that cannot be timed, each with why (parameters that are not literals ...)."""


class Instance(Record):
    """One human optimization commit turned into a unit of the benchmark (the original design's CanonicalRecord)."""

    status: Literal["planned"] = "planned"
    instance_id: str
    repo: str
    repo_path: str
    """The task repository (outside the state: the user's clone, or state/repos/ for a URL)."""
    task: str
    task_file: str
    description: str = ""
    created_at: str
    base_commit: str
    head_commit: str
    patch: str
    """The human's change minus tests, as `gitutil.patch_text` (its exact bytes survive)."""
    test_patch: str
    changed_files: list[str]
    test_files: list[str]
    noncode_files: list[str] = Field(default_factory=list)
    lines_changed: int
    patch_functions: list[str]
    test_functions: list[str]
    efficiency_test: list[str]
    workload_callable: str | None = None
    tests: list[str]
    target_files: list[str]
    test_patterns: list[str]
    gt_commit_message: str
    setup_commands: list[str]
    install_commands: list[str]
    workload_files: list[str] = Field(default_factory=list)
    workload_digest: str | None = None
    heldout_efficiency_test: list[str] = Field(default_factory=list)
    """Held-out workload commands: timed by `score`, never shown to the agent."""
    heldout_workload_files: list[str] = Field(default_factory=list)
    """Files outside the repository the held-out commands need: in the variants' sandbox, never the agent's."""
    heldout_digest: str | None = None
    """One hash of the held-out workload files' contents (as `workload_digest`)."""
    asv: AsvSuite | None = None
    """The repository's asv suite, when the task gives `asv`: the benchmarks found at the base commit."""
    python: str | None = None
    workload_timing: Literal["auto", "whole_process"] = "auto"
    workload_output: Literal["compare", "ignore"] = "compare"
    """Whether the workload's output is compared across variants (isobench/score/integrity.py)."""
    constraints: list[str]
    strict_targets: bool = False
    scoring_primary: str | None = None
    setting: Literal["oracle", "realistic"]
    api: str | None = None
    notes: str | None = None
    plan_order: int = 0
    fingerprint: str = ""
    planned_at: str | None = None


# --------------------------------------------------------------------------------------------------
# prepare


class PreparedUnit(Record):
    """One (instance, provider): its prompt (`prompt.md` beside this record) and agent configuration."""

    status: Literal["prepared"] = "prepared"
    instance_id: str
    provider: str
    prompt_file: str = "prompt.md"
    agent_config: dict[str, Any]
    """Limits and LLM settings (never the key itself)."""
    snapshot_commit: str
    base_commit: str
    setting: str
    fingerprint: str
    prepared_at: str


# --------------------------------------------------------------------------------------------------
# run


class BuildStep(Part):
    command: str
    exit_code: int
    seconds: float


class Attempt(Record):
    """One agent attempt (`result.json`; files named relative to its folder)."""

    status: AttemptStatus
    instance_id: str
    provider: str
    attempt: int
    prepared_fingerprint: str | None = None
    model: str
    agent: Literal["openhands", "command"]
    exit_code: int | None
    wall_s: float
    iterations: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    openhands_version: str | None = None
    isobench_version: str
    error: str | None = None
    finish_message: str | None = None
    model_patch: str | None = "model_patch.diff"
    test_edits: str | None = "test_edits.diff"
    changed_files: list[str] = Field(default_factory=list)
    test_files_edited: list[str] = Field(default_factory=list)
    test_config_discarded: list[str] = Field(default_factory=list)
    """Files among them that are test configuration (pytest.ini, a pyproject.toml whose [tool.pytest] changed,
    ...): the agent's edits to how the tests run are discarded like its edits to tests."""
    patch_empty: bool = True
    touched_outside_targets: bool = False
    files_outside_targets: list[str] = Field(default_factory=list)
    events_log: str = "events.jsonl"
    agent_log: str = "agent.log"
    executor: dict[str, Any] | None = None
    """Where it ran, with the Ray executor: node, host, and the nodes lost (the unit started again elsewhere)."""
    env_build_s: float | None = None
    """Building the task's environment for the agent (before it started; not charged to its time limit)."""
    env_steps: list[BuildStep] = Field(default_factory=list)
    network: str = "on"
    """What the agent's commands could reach: `off` (nothing; its LLM client its model's endpoint only),
    `on` (the host's network), `host (no sandbox)`."""
    network_denied: list[str] = Field(default_factory=list)
    """Endpoints (`host:port`) the attempt asked the network gate for and was refused."""
    resources: dict[str, Any] | None = None
    """The CPU and memory limits it ran within, and how many of its processes the memory limit killed."""
    sandbox: str
    setting: str
    limits: dict[str, Any]
    started_at: str
    finished_at: str


# --------------------------------------------------------------------------------------------------
# score


class TestRun(Part):
    """One test command's result on a variant."""

    __test__ = False  # not a pytest test class

    command: str
    passed: bool
    exit_code: int
    seconds: float | None = None
    output_tail: str | None = None


class VariantBuild(Record):
    """How one variant was built and what its tests said (`variants/<variant>.json`)."""

    status: Literal["built", "build_failed"]
    variant: str
    kind: Literal["base", "human", "aa", "agent"]
    provider: str | None = None
    attempt: int | None = None
    fingerprint: str
    patch_empty: bool
    build: Build
    error: str | None = None
    build_steps: list[BuildStep] = Field(default_factory=list)
    build_s: float | None = None
    tests: list[TestRun] = Field(default_factory=list)


class Estimate(Part):
    """A speedup against base, with its 95% CI and the decision the rule gives it."""

    speedup: float
    speedup_ci: list[float]
    p_faster: float | None = None
    classification: Classification
    halfwidth_log: float


class RhoLabels(Part):
    """An agent's rho (its speedup / the human's) with its 95% CI, and rho's labels against the match threshold
    as measured (`measure.stats.match_labels`), before the outcome's gates."""

    rho: float | None = None
    rho_ci: list[float] | None = None
    matches_human_strict: bool | None = None
    matches_human_gso: bool | None = None
    beats_human: bool | None = None
    match_label: MatchLabel | None = None


class VariantEstimate(Estimate, RhoLabels):
    """A timed variant's estimate as `score.judge.estimates` makes it (`score.integrity` may judge it again on
    its first calls): its speedup against base and, for an agent, rho against the human with rho's labels.
    These are the measured fields of its score row (`VariantScore`)."""

    speedup_ci: list[float] | None  # type: ignore[assignment]
    """None when its first calls were too few to judge (`cross_call_state`)."""
    repeated_call_speedup: float | None = None
    """With `cross_call_state`: the speedup its repeated calls showed (`speedup` is then its first calls')."""


class HeldoutEstimate(Part):
    """A variant's result on the task's held-out workload (never shown to the agent): its speedup against
    base with the 95% CI and the same rule's decision, and for an agent rho against the human's; or why its
    held-out run failed."""

    speedup: float | None = None
    speedup_ci: list[float] | None = None
    classification: Classification | None = None
    rho: float | None = None
    rho_ci: list[float] | None = None
    error: str | None = None


class Outcome(Part):
    """What one agent attempt achieved, decided once by `outcome.decide` (or `outcome.unscored` for an
    attempt not scored yet); the definitions are `isobench/outcome.py`'s docstring. correlate, export and
    the report read it as it is."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    scored: bool
    empty_patch: bool
    valid_patch: bool
    correct: bool
    """Valid, and its tests pass as on the human commit (never for an empty patch)."""
    timed: bool
    effective_speedup: float
    """Its speedup if correct and timed, else 1.0 (counts as no change)."""
    effective_rho: float | None
    """Its rho if correct and timed, else 1 / the human's speedup (None when that is unknown)."""
    faster: bool
    opt_strict: bool
    opt_gso: bool
    beats_human: bool
    matches_human: bool = False
    """Timed, and rho's CI lower end reaches the match threshold."""
    matches_human_gso: bool = False
    """Timed, and rho's point estimate reaches the match threshold (GSO's label)."""
    match_label: MatchLabel | None
    failure_reason: FailureReason | None
    flags: list[str] = Field(default_factory=list)
    """The integrity flags on its row, and `overfit`: each costs the win (isobench/flags.py)."""
    raw: Outcome | None = None
    """The same attempt decided before the integrity rules (`overfit` and the flags that cost a win ignored;
    the workload's results and untimed work still decide correctness and timing): GSO's uncontrolled `score`.
    None where it is this outcome itself (nothing flagged)."""


class VariantScore(RhoLabels):
    """One row of score.json: a variant's build, tests and measurement as measured and, on an agent's row,
    the outcome decided from them (`outcome`; correlate, export and the report read that)."""

    kind: Literal["base", "human", "aa", "agent"]
    provider: str | None = None
    attempt: int | None = None
    build: Build
    error: str | None = None
    correct: bool
    """It builds and its tests pass as on the human commit (an agent's credit is `outcome.correct`)."""
    tests: list[TestRun] = Field(default_factory=list)
    patch_empty: bool
    fingerprint: str
    run_id: str | None = None
    """The measurement (samples.jsonl run) the numbers come from."""
    speedup: float | None = None
    speedup_ci: list[float] | None = None
    p_faster: float | None = None
    classification: Classification | None = None
    halfwidth_log: float | None = None
    workload_error: str | None = None
    outcome: Outcome | None = None
    """An agent's attempt: what it achieved (`outcome.decide`); None on base and human rows."""
    heldout: HeldoutEstimate | None = None
    """Its result on the held-out workload (None: the task has none, or this variant was not timed on it:
    only correct variants are)."""
    asv: AsvEstimate | None = None
    """Its geometric-mean speedup on the asv suite (None: no suite, or not timed on it: only correct variants
    are)."""
    integrity: list[IntegrityFlag] = Field(default_factory=list)
    """What the harness saw the code under test do to its own numbers (isobench/score/integrity.py)."""
    evidence: dict[str, str] = Field(default_factory=dict)
    """Per integrity flag, what raised it: the results that differ, the CPU time outside the calls, the
    first-call against the repeated-call speedup, the shared objects."""
    repeated_call_speedup: float | None = None
    """With `cross_call_state`: the speedup its repeated calls showed (`speedup` is then its first calls')."""


class Environment(Part):
    """Where an instance was scored: numbers are comparable on alike machines only."""

    host: str | None = None
    """The host name."""
    node: str | None = None
    """The Ray node id, when a cluster scored it."""
    lost_nodes: int = 0
    """Nodes that died while scoring it before this one did (all variants were measured again)."""
    cpu: str | None = None
    """The CPU model."""
    cores: int | None = None
    """The cores this process may use (its CPU affinity)."""
    memory_gb: float | None = None
    """The machine's memory, GB."""
    platform: str | None = None
    """The OS platform."""
    python: str | None = None
    """The Python that ran isobench."""
    isobench_version: str | None = None
    """isobench's version."""
    openhands_version: str | None = None
    """OpenHands' version."""
    sandbox: str | None = None
    """The sandbox candidate code ran in (bubblewrap, docker, podman or none)."""


class MeasurementSummary(Part):
    """How the timing went (the protocol's summary, not its estimates)."""

    run_id: str
    reference: str
    variants: list[str]
    rounds: int
    timing_mode: str
    stop_reason: str
    wall_s: float
    floor_s: float
    warmup_s: float
    efficiency: float
    failed: dict[str, str]
    pinned_core: int | None
    halfwidths: dict[str, float]
    config: dict[str, Any]
    samples_path: str | None = None


class HeldoutRun(Part):
    """How an instance's held-out workload was timed: after the main measurement, on the variants that are
    correct and were timed, with the same protocol (its samples in their own file)."""

    measurement: MeasurementSummary
    timing_mode: str
    timed: str
    samples_file: str = "samples-heldout.jsonl"
    timing_fallback: str | None = None
    noise_floor: float | None = None
    """The held-out A/A twin's noise floor (None: unbounded, the twin could not be timed)."""
    aa: Estimate | None = None
    output_check: str | None = None
    """What the held-out workload's results were compared on (as the instance's `output_check`)."""


AsvStatus = Literal["moved", "unmoved", "screened_out", "failed"]


class AsvBenchmarkRun(Part):
    """One benchmark of an instance's asv suite in score.json: what screening saw, and the full pass's
    estimates when it got one. Only `moved` benchmarks enter the suite's geometric means."""

    name: str
    status: AsvStatus
    """`moved`: the human's full-pass CI excludes 1.0; `unmoved`: it includes 1.0; `screened_out`: left out
    after screening (see `reason`); `failed`: base or the human could not run it."""
    reason: str | None = None
    screen_speedup: float | None = None
    """The human's speedup over base in the screening pass (few rounds, base and human only)."""
    screen_speedup_ci: list[float] | None = None
    rounds: int | None = None
    stop_reason: str | None = None
    noise_floor: float | None = None
    """This benchmark's A/A noise floor (None: unbounded or not timed)."""
    run_id: str | None = None
    estimates: dict[str, HeldoutEstimate] = Field(default_factory=dict)
    """Per variant (base excluded, the A/A twin included): speedup, CI, decision, rho; or its error."""


class AsvEstimate(Part):
    """A variant's figure on the asv suite: the geometric mean over the moved benchmarks of its speedups,
    with a 95% CI (a block bootstrap over each benchmark's rounds, widened by the A/A twin's geometric mean,
    `stats.geomean_estimate`); for an agent, FormulaCode's advantage (its geomean minus the human's)."""

    speedup: float | None = None
    speedup_ci: list[float] | None = None
    classification: Classification | None = None
    benchmarks: int = 0
    advantage: float | None = None
    advantage_ci: list[float] | None = None
    """The advantage's 95% CI (`stats.advantage_estimate`: the human's and the agent's geometric means
    bootstrapped together, widened by the A/A twin's reach)."""
    error: str | None = None


class AsvRun(Part):
    """How an instance's asv suite was timed: a screening pass (base and human, few rounds), then each chosen
    benchmark on its own with the whole protocol, on the variants that are correct and were timed."""

    config: str
    benchmark_dir: str
    timing_mode: str
    samples_file: str = "samples-asv.jsonl"
    screen_rounds: int
    screen_wall_s: float
    timing_wall_s: float
    benchmarks: list[AsvBenchmarkRun]
    headline: list[str]
    """The benchmarks the geometric means are over: the moved ones."""
    aa: AsvEstimate | None = None


class ResultCheck(Part):
    """What the workload's results were compared on: each result is a name the workload left behind
    (`<stdout>`, a callable's `return`, a script's module-level names, an asv benchmark's return value)."""

    compared: list[str] = Field(default_factory=list)
    """Results the same on every call of base, its A/A copy and the human: an agent's must match them."""
    nondeterministic: list[str] = Field(default_factory=list)
    """Results that differ between base's own calls or between base and its A/A copy: left out."""
    changed_by_human: list[str] = Field(default_factory=list)
    """Results the human's patch changes (a new type or format, say): left out."""
    size: int = 0
    """The length of the compared results' representations, added up (bytes of output, characters)."""
    weak: bool = False
    """Too little is compared to catch a wrong answer (nothing, or only a few characters: a count, a flag)."""
    weak_reason: str | None = None


class InstanceScore(Record):
    """score.json: an instance's variants built, tested and timed together."""

    status: ScoreStatus
    instance_id: str
    fingerprint: str
    excluded_tests: list[str] = Field(default_factory=list)
    environment: Environment
    scored_at: str
    valid: bool
    invalid_reason: str | None = None
    measurement: MeasurementSummary | None = None
    timing_mode: str | None = None
    timed: str | None = None
    samples_file: str | None = None
    timing_fallback: str | None = None
    noise_floor: float | None = None
    decision_margin: float | None = None
    noisy: bool | None = None
    noisy_reason: str | None = None
    aa: Estimate | None = None
    heldout: HeldoutRun | None = None
    """The held-out workload's measurement (None: the task has none); each variant's result is its row's."""
    asv: AsvRun | None = None
    """The asv suite's measurement (None: the task has none); each variant's geometric mean is its row's."""
    output_check: str | None = None
    """What the workload's output was compared with (base's and the human's, on every call), or why not."""
    result_check: ResultCheck | None = None
    """Which of the workload's results were compared, which were left out and why, and whether the comparison
    is weak (isobench/score/integrity.py)."""
    files: dict[str, str] | None = None
    """Every file of the unit this record was made from (variants/*.json, samples*.jsonl; path relative to
    the instance's folder -> sha256): a file that is not its own, missing or changed makes the unit
    inconsistent (`isobench status`, `gc`), and a plain `score` redoes it. None: written before schema 4."""
    variants: dict[str, VariantScore]


# --------------------------------------------------------------------------------------------------
# review

ReviewVerdict = Literal["hack", "clean", "no_verdict"]


class ReviewVote(Part):
    """One sample of a review: the reviewer's answer in the fixed schema, or why none came (a failed vote)."""

    sample: int
    """Which of the k samples, from 1."""
    ok: bool
    """An answer in the schema came back (within `review.tries` tries); False: a failed vote, counted
    neither way (see `error`)."""
    is_reward_hack: bool | None = None
    hack_type: HackType | None = None
    description: str | None = None
    """The reviewer's explanation of its answer."""
    reasoning: str | None = None
    """What else the reviewer wrote: its reasoning content where the model returns one, or its text."""
    error: str | None = None
    """Why the vote failed: `malformed: ...`, `refused: ...`, `http 429: ...` (the last try's)."""
    tries: int = 1
    """LLM calls made for this vote (retries of a malformed, refused or failed answer included)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    """Over all its tries, at the reviewer's LiteLLM price (or its configured per-token prices)."""


class ReviewRecord(Record):
    """One reviewed patch (`review/<iid>/<provider>/<n>.json`, or `review/<iid>/human.json` for the human's
    patch, reviewed as a control): k votes and their majority (`isobench/review/votes.py`)."""

    status: Literal["reviewed", "failed"]
    """`failed`: no verdict (too few votes answered); the unit is redone by the next `isobench review`."""
    instance_id: str
    subject: Literal["agent", "human"]
    provider: str | None = None
    """The reviewed attempt's provider (None for the human's patch)."""
    attempt: int | None = None
    reviewer: str
    """The reviewing provider's name in bench.yaml."""
    model: str
    samples: int
    votes: list[ReviewVote]
    hack_votes: int
    clean_votes: int
    failed_votes: int
    verdict: ReviewVerdict
    """`hack`: at least as many answered votes say hack as say clean (a tie is a hack); `clean`: more say
    clean; `no_verdict`: at most half the samples answered."""
    hack_type: HackType | None = None
    """With a hack verdict: the kind most hack votes named (the first named on a tie)."""
    description: str | None = None
    """The explanation of the first vote that agrees with the verdict."""
    scope: Literal["wins", "correct"]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    fingerprint: str
    """A hash of what was asked (the reviewer: its model, endpoint and settings; k; the prompt): a change redoes
    the review."""
    patch_digest: str
    """A hash of the reviewed patch (`state.fingerprint(patch)`): a review counts only while the attempt's
    patch is this one (a patch made again is not judged by its predecessor's review)."""
    reviewed_at: str


# --------------------------------------------------------------------------------------------------
# migrations


def migrate(kind: str, data: JSONObject) -> JSONObject:
    """Bring a record written by an older isobench to the current shape (in memory; the file is left as
    it is until its unit is redone). One step per version. The record is JSON as an older isobench wrote it:
    read defensively, shaped for the current model, which then validates it."""
    version = int(number(data.get("schema_version")) or 1)
    if version < 2:
        data = _v1_to_v2(kind, data)
    if version < 3:
        data = _v2_to_v3(kind, data)
    # v4 only added optional fields (score.json's `files`, ...): an older record reads as it is.
    data["schema_version"] = SCHEMA_VERSION
    return data


def _v1_to_v2(kind: str, data: JSONObject) -> JSONObject:
    """v1 named files by absolute paths; prepare kept a worktree and a TOML config; score had no A/A floor."""
    data = dict(data)
    if kind == "attempt":
        for key, name in (
            ("model_patch", "model_patch.diff"),
            ("test_edits", "test_edits.diff"),
            ("events_log", "events.jsonl"),
            ("agent_log", "agent.log"),
        ):
            if data.get(key):
                data[key] = name
        data.pop("patch_error", None)
    elif kind == "prepared":
        data.pop("worktree", None)
        data["prompt_file"] = "prompt.md"
        if not isinstance(data.get("agent_config"), dict):
            data["agent_config"] = {}
    elif kind == "score":
        if data.get("samples_file"):
            data["samples_file"] = "samples.jsonl"
        measurement = data.get("measurement")
        if isinstance(measurement, dict) and measurement.get("samples_path"):
            measurement["samples_path"] = "samples.jsonl"
    return data


_V2_OUTCOME = ("valid_patch", "faster", "opt_strict", "opt_gso", "failure_reason", "effective_speedup", "effective_rho")
"""The outcome's fields v2 wrote flat into a score row, beside the measured ones."""


def _v2_to_v3(kind: str, data: JSONObject) -> JSONObject:
    """v2 wrote an attempt's outcome flat into its score row and its correlation entry; v3 nests it as one
    `outcome` object (and calls the original design's success metrics `design_metrics`)."""
    data = dict(data)
    if kind == "score":
        data["variants"] = {name: _nest_score_row(obj(row)) for name, row in obj(data.get("variants")).items()}
    elif kind == "correlation":
        if "seed_metrics" in data:
            data["design_metrics"] = data.pop("seed_metrics")
        data["instances"] = [_nest_entry(obj(e)) for e in items(data.get("instances"))]
    return data


def _nest_entry(e: JSONObject) -> JSONObject:
    attempts = obj(e.get("llm_attempts"))
    return {**e, "llm_attempts": {p: [_nest_correlated(obj(a)) for a in items(rows)] for p, rows in attempts.items()}}


def _nest_score_row(row: JSONObject) -> JSONObject:
    row = dict(row)
    flat = {k: row.pop(k, None) for k in _V2_OUTCOME}
    if flat["valid_patch"] is None:  # base, human, or an agent row scored before outcomes were decided
        return row
    timed = bool(row.get("correct")) and row.get("speedup") is not None
    row["outcome"] = {
        **flat,
        "scored": True,
        "empty_patch": bool(row.get("patch_empty")),
        "correct": bool(row.get("correct")),
        "timed": timed,
        "faster": bool(flat["faster"]),
        "opt_strict": bool(flat["opt_strict"]),
        "opt_gso": bool(flat["opt_gso"]),
        "effective_speedup": flat["effective_speedup"] or 1.0,
        "beats_human": bool(row.get("beats_human")),
        "matches_human": bool(row.get("matches_human_strict")),
        "matches_human_gso": bool(row.get("matches_human_gso")),
        "match_label": row.get("match_label"),
    }
    return row


_V2_CORRELATED = (
    "scored", "empty_patch", "valid_patch", "correct", "faster", "opt_strict", "opt_gso", "beats_human",
    "match_label", "failure_reason", "effective_speedup", "effective_rho",
)  # fmt: skip


def _nest_correlated(entry: JSONObject) -> JSONObject:
    entry = dict(entry)
    flat = {k: entry.pop(k, None) for k in _V2_CORRELATED}
    timed = bool(flat["correct"]) and entry.get("speedup") is not None
    entry["outcome"] = {**flat, "timed": timed, "effective_speedup": flat["effective_speedup"] or 1.0}
    return entry


# --------------------------------------------------------------------------------------------------
# correlate


class CorrelatedAttempt(Part):
    """One attempt against the human commit: its outcome and where its work is."""

    attempt: int
    status: str
    agent_branch: str | None = None
    agent_commit: str | None = None
    speedup: float | None = None
    speedup_ci: list[float] | None = None
    classification: str | None = None
    rho: float | None = None
    rho_ci: list[float] | None = None
    asv_advantage: float | None = None
    """On an asv suite: FormulaCode's advantage (its geometric-mean speedup minus the human's)."""
    build: str | None = None
    outcome: Outcome
    """What it achieved, as score decided it (`outcome.unscored` if not scored yet), with its model review
    counted (`outcome.reviewed`) when `review.counts_as_failure`."""
    review: ReviewVerdict | None = None
    """Its model review's verdict (`isobench review`): hack, clean or no_verdict; None: not reviewed."""
    cost_usd: float
    wall_s: float
    iterations: int
    touched_outside_targets: bool = False


class InstanceCorrelation(Part):
    instance_id: str
    human_commit: str
    base_commit: str
    scored: bool
    valid: bool
    invalid_reason: str | None = None
    noisy: bool | None = None
    human_speedup: float | None = None
    human_speedup_ci: list[float] | None = None
    llm_attempts: dict[str, list[CorrelatedAttempt]]
    best_rho: dict[str, float | None]
    """provider -> the best effective rho of its attempts (the original design's `<provider>_vs_human`)."""


class ProviderMetrics(Part):
    """A provider's figures over the valid instances (definitions: `metrics`)."""

    attempts: int
    instances: int
    headline_instances: int
    k: int
    valid_patches: int
    correct: int
    faster_than_base: int
    opt_successes: int
    opt1_strict: float | None = None
    opt1_strict_ci: list[float] | None = None
    opt1_gso: float | None = None
    opt1_gso_ci: list[float] | None = None
    optk_strict: float | None = None
    optk_gso: float | None = None
    speedup_gmean: float | None = None
    speedup_gmean_ci: list[float] | None = None
    speedup_median: float | None = None
    speedup_median_ci: list[float] | None = None
    rho_gmean: float | None = None
    rho_gmean_ci: list[float] | None = None
    rho_median: float | None = None
    rho_median_ci: list[float] | None = None
    asv_advantage_mean: float | None = None
    """Over the valid instances with an asv suite: the mean of each instance's mean advantage (FormulaCode's)."""
    asv_advantage_mean_ci: list[float] | None = None
    total_cost_usd: float
    cost_per_instance: float | None = None
    cost_per_success: float | None = None
    mean_wall_s: float | None = None
    mean_iterations: float | None = None
    failure_reasons: dict[str, int]
    spearman_vs_human: dict[str, Any]
    solved: list[str]
    flagged_attempts: int = 0
    """Attempts with an integrity flag or `overfit` (isobench/flags.py): each counted as a failure above."""
    raw: ProviderMetrics | None = None
    """The same figures before the integrity rules (each attempt's `Outcome.raw`): GSO's uncontrolled
    `score` beside the headline's `score_hack_control`."""
    unreviewed: ProviderMetrics | None = None
    """With `review.counts_as_failure` (the default): the same figures with the model reviews ignored (the
    integrity flags still cost). None when review is off and nothing of this provider was reviewed."""
    reviewed: ProviderMetrics | None = None
    """With `counts_as_failure: false`: the same figures with the reviewed hacks counted as failures (the
    headline then ignores the reviews)."""
    reviewed_hacks: int = 0
    """Attempts a model review called a hack (`isobench review`)."""
    review_missing: int = 0
    """With review on: attempts it should review (wins, on valid instances) that have no verdict yet."""
    review_unreliable: list[str] = Field(default_factory=list)
    """Instances of this provider whose human patch the reviewer called a hack: their reviews are unreliable."""


class Correlation(Record):
    """correlation.json: every attempt against its human commit, and the per-provider metrics."""

    status: Literal["done"] = "done"
    generated_at: str
    match_threshold: float
    instances: list[InstanceCorrelation]
    providers: dict[str, ProviderMetrics]
    between_providers: list[dict[str, Any]]
    design_metrics: dict[str, Any]


# --------------------------------------------------------------------------------------------------
# validate

RejectionRule = Literal[
    "not_scored", "tests_fail", "human_not_faster", "oracle_mismatch", "weak_result_check", "heldout_failed"
]


class Rejection(Part):
    """One reason an instance is not admitted (`isobench/validate.py`'s `admission` decides them, once)."""

    rule: RejectionRule
    """not_scored: base or the human could not be built or tested; tests_fail: a test command fails on base or
    on the human commit; human_not_faster: the human speedup's CI low end is below the admission threshold
    (score's `invalid_reason`); oracle_mismatch: the scripted oracle (the human's patch applied through the real
    agent) is not correct or its rho CI lies wholly below the match threshold; weak_result_check: the
    workload's results compared are too few to catch a wrong answer; heldout_failed: the human's held-out
    workload failed."""
    detail: str
    """What was seen, in a line."""


class ValidationTimes(Part):
    """Wall seconds one instance's validation took, by step (this machine, its load included)."""

    prepare_s: float = 0.0
    run_s: float = 0.0
    """The oracle's attempt (the real agent applying the human's patch)."""
    score_s: float = 0.0
    """`score`: building, testing and timing base, its A/A twin, the human and the oracle."""
    build_s: float = 0.0
    """Of score_s: the variants' builds (copy, venv, install commands), added up."""
    test_s: float = 0.0
    """Of score_s: the variants' test commands, added up."""
    timing_s: float = 0.0
    """Of score_s: the timing protocol's wall time, shown and held-out workloads."""
    total_s: float = 0.0


class Validation(Record):
    """validate/<iid>/validation.json: whether an instance is sound enough for a suite, from one plan, oracle
    run and score of it on a private state (`state/validate/_work`)."""

    status: Literal["validated"] = "validated"
    instance_id: str
    task: str
    task_file: str
    repo: str
    base_commit: str
    head_commit: str
    subject: str
    """The human commit message's first line."""
    key: str
    """A digest of the instance's fingerprint and the score settings: a record with the same key is current."""
    instance_key: str | None = None
    """A digest of the instance wherever it is planned (`validate.instance_key`: no path of the machine, the
    workloads by content): a suite's record whose instance_key differs from its instance's now is stale."""
    admitted: bool
    rejections: list[Rejection] = Field(default_factory=list)
    admission_min_speedup: float
    time_budget_s: float
    """score.time_budget_s the validation ran with (seconds per variant pair)."""
    timing_mode: str | None = None
    rounds: int | None = None
    human_speedup: float | None = None
    human_speedup_ci: list[float] | None = None
    human_classification: Classification | None = None
    heldout_speedup: float | None = None
    heldout_speedup_ci: list[float] | None = None
    tests_base: list[TestRun] = Field(default_factory=list)
    tests_human: list[TestRun] = Field(default_factory=list)
    oracle_correct: bool | None = None
    oracle_rho: float | None = None
    oracle_rho_ci: list[float] | None = None
    oracle_match_label: str | None = None
    result_check: ResultCheck | None = None
    seconds: ValidationTimes = Field(default_factory=ValidationTimes)
    environment: Environment | None = None
    validated_at: str
