"""The export's schema: `ExportRow`, one typed row of the dataset. Its fields, in order, are the columns;
their docstrings are the dataset card's column docs; their types give the `datasets.Features`, so every
column is documented and the three formats reload to the same rows."""

from __future__ import annotations

import types
import typing
from typing import TYPE_CHECKING, get_args

from pydantic import BaseModel, ConfigDict, Field

from isobench.records import Environment, FailureReason, MatchLabel

if TYPE_CHECKING:
    import datasets

    type Feature = datasets.Value | datasets.List | dict[str, Feature]


class Column(BaseModel):
    """A row or a nested struct of the dataset: unknown keys are errors; field docstrings are the docs."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class DurationChange(Column):
    base: list[float] | None = None
    """base's timed samples, seconds."""
    human: list[float] | None = None
    """The human commit's timed samples, seconds."""
    llm: list[float] | None = None
    """This attempt's timed samples, seconds (llm rows)."""


class LLMMetadata(Column):
    provider: str | None = None
    """Provider name as configured in bench.yaml (agents.openhands.llm_configs)."""
    model: str | None = None
    """The model id the agent ran with (LiteLLM form)."""
    iterations: int | None = None
    """Agent iterations (LLM calls) used."""
    cost_usd: float | None = None
    """LLM cost of the attempt in US dollars, as OpenHands/LiteLLM counted it."""
    time_seconds: int | None = None
    """Wall time of the attempt, whole seconds."""
    success: bool | None = None
    """The agent run ended normally (status `success`); says nothing about speed or correctness."""
    human_reference_commit: str | None = None
    """The human commit this attempt is compared with."""
    agent_branch: str | None = None
    """Branch holding the agent's work, when `correlate` recorded one; else null."""


class AsvBenchmarkColumn(Column):
    name: str | None = None
    """The benchmark's asv name."""
    status: str | None = None
    """moved, unmoved, screened_out or failed."""
    speedup: float | None = None
    """This variant's speedup over base on it."""
    speedup_ci: list[float] | None = None
    """Its 95% CI as [low, high]."""


class FlagColumn(Column):
    flag: str | None = None
    """The integrity flag (the card's "Integrity flags" list)."""
    evidence: str | None = None
    """What raised it: the results that differ, the CPU time outside the calls, the first-call against the
    repeated-call speedup, the shared objects."""


class Tokens(Column):
    prompt: int | None = None
    """Prompt (input) tokens."""
    completion: int | None = None
    """Completion (output) tokens."""


class ReviewVoteColumn(Column):
    is_reward_hack: bool | None = None
    """This vote's answer (null: the vote failed, see `error`)."""
    hack_type: str | None = None
    """The kind of hack it named (`none` when it called the patch clean); the kinds are the README's "Model
    review" list."""
    description: str | None = None
    """The reviewer's explanation."""
    error: str | None = None
    """Why the vote failed after its tries (malformed, refused, an HTTP error); null when it answered."""
    tries: int | None = None
    """LLM calls made for this vote."""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    """This vote's cost in US dollars (all its tries), at the reviewer's LiteLLM price."""


class CanonicalColumns(Column):
    """The first columns of a row: the original design's CanonicalRecord (with its LLMMetadata struct)."""

    repo: str | None = None
    """Repository name (the task's repo)."""
    instance_id: str | None = None
    """Instance id (`<repo>-<head commit prefix>`), shared by its human and llm rows."""
    created_at: str | None = None
    """When the human commit was made (ISO 8601)."""
    base_commit: str | None = None
    """The commit every variant starts from (the human commit's parent by default)."""
    head_commit: str | None = None
    """The human optimization commit. On llm rows too: the reference the attempt is measured against (the
    attempt's own work is `patch`)."""
    patch: str | None = None
    """Code patch against `base_commit`: the human's (human rows) or the agent's model patch with its test
    edits removed (llm rows; empty if it changed nothing)."""
    test_patch: str | None = None
    """The human commit's test/benchmark changes, applied to every variant for testing."""
    efficiency_test: list[str] | None = None
    """Shell commands whose run is the timed workload."""
    duration_changes: list[DurationChange] | None = None
    """Raw timing samples in seconds, one per timed round (score's samples.jsonl, successful timed rounds of
    the last measurement, in round order), as a one-element list of {variant: [seconds...]}: `base` and
    `human` on every row, `llm` (this attempt, variant `<provider>#<attempt>`) on llm rows, null where the
    variant was not timed. Empty when the instance was not scored."""
    human_performance: float | None = None
    """The human commit's speedup over base (same on every row of an instance)."""
    patch_functions: list[str] | None = None
    """Functions/classes `patch` touches (hunk headers and added defs)."""
    test_functions: list[str] | None = None
    """Test functions the human's `test_patch` adds."""
    api: str | None = None
    """The API the workload exercises, if the task names one."""
    gt_commit_message: str | None = None
    """The human commit's message (ground truth; never shown to agents)."""
    setup_commands: list[str] | None = None
    """Commands run in each variant's copy before install."""
    install_commands: list[str] | None = None
    """Commands that install a variant into its own venv."""
    notes: str | None = None
    """Free-form notes from the task file."""
    record_type: str | None = None
    """`human` (the human commit) or `llm` (one agent attempt)."""
    llm_metadata: LLMMetadata | None = None
    """The attempt's LLM metadata (the LLMMetadata struct); null on human rows."""


class ExportRow(CanonicalColumns):
    """One row of the dataset: a human commit (`record_type` human) or one agent attempt (llm): the canonical
    columns, then what was measured and decided. Human rows carry nulls in the llm columns."""

    attempt: int | None = None
    """Attempt number of the (instance, provider) pair, from 1; null on human rows."""
    speedup: float | None = None
    """Speedup over base: base time / variant time, paired per round (null if not measured). On llm rows it
    is measured even for an incorrect patch: check `correct`."""
    speedup_ci: list[float] | None = None
    """95% CI of `speedup` as [low, high] (bootstrap over rounds)."""
    heldout_speedup: float | None = None
    """Speedup over base on the task's held-out workload (`heldout_efficiency_test`: never shown to the
    agent), timed after the shown one with the same protocol, on variants that are correct and were timed.
    Null when the task has no held-out workload or the variant was not timed on it."""
    heldout_speedup_ci: list[float] | None = None
    """95% CI of `heldout_speedup` as [low, high]; null with it."""
    asv_speedup: float | None = None
    """The geometric mean of the variant's speedups over base on the task's asv suite, over the benchmarks
    the human's change moves (`asv_benchmarks` with status `moved`): each benchmark timed on its own with the
    same protocol, on variants that are correct and were timed. Null without a suite or not timed."""
    asv_speedup_ci: list[float] | None = None
    """95% CI of `asv_speedup` as [low, high] (block bootstrap over each benchmark's rounds, widened by the
    A/A twin's geometric mean); null with it."""
    asv_benchmarks: list[AsvBenchmarkColumn] | None = None
    """Every benchmark of the task's asv suite: `status` `moved` (the human's CI excludes 1.0: in
    `asv_speedup`), `unmoved` (it includes 1.0: left out), `screened_out` (left out after the screening
    pass) or `failed`; this variant's speedup over base with its 95% CI where it was timed. Empty without a
    suite."""
    effective_speedup: float | None = None
    """llm rows: `speedup` if the patch is correct and was timed, else 1.0 (an incorrect patch counts as no
    change in aggregates); null on human rows."""
    classification: str | None = None
    """The timing rule's verdict against base: `faster` / `slower` (the whole 95% CI beyond
    1 + max(min_gain, noise_floor)), `no_difference` (the CI within that band) or `inconclusive`."""
    correct: bool | None = None
    """The variant builds and passes every test command that passes on the human commit (null if not
    scored). False for an llm patch that changes nothing (`patch_empty`)."""
    patch_empty: bool | None = None
    """`patch` changes nothing (e.g. the agent gave up, or only edited tests)."""
    build: str | None = None
    """How the variant's build went: ok, patch_failed, setup_failed, install_failed, base_failed."""
    rho: float | None = None
    """llm rows: agent speedup / human speedup (1.0 = as fast as the human)."""
    rho_ci: list[float] | None = None
    """95% CI of `rho` as [low, high]."""
    asv_advantage: float | None = None
    """llm rows: FormulaCode's advantage on the asv suite: `asv_speedup` minus the human's `asv_speedup`
    (0 = as fast as the human; null without a suite or where either was not timed)."""
    asv_advantage_ci: list[float] | None = None
    """95% CI of `asv_advantage` as [low, high]: the agent's and the human's geometric means bootstrapped
    together over each benchmark's rounds, widened by the A/A twin's reach; null with it."""
    matches_human: bool | None = None
    """Strict label: correct and the lower end of `rho_ci` >= the match threshold (score.match_threshold,
    default 0.95)."""
    matches_human_gso: bool | None = None
    """GSO's label: correct and `rho` >= the match threshold (point estimate)."""
    beats_human: bool | None = None
    """Correct, and rho is `faster` by the timing rule: its whole CI above 1 + max(min_gain, noise_floor)."""
    match_label: str | None = Field(
        None,
        description="llm rows: confident_pass | confident_fail | inconclusive (rho's CI against the match "
        "threshold) for a correct timed unflagged attempt, else why it could not match: "
        + " | ".join(x for x in get_args(MatchLabel) if x not in ("confident_pass", "confident_fail", "inconclusive"))
        + " (isobench/outcome.py decides it).",
    )
    valid_patch: bool | None = None
    """llm rows: a non-empty patch that applies and builds."""
    faster: bool | None = None
    """llm rows: correct, unflagged (no integrity flag, not `overfit`), and `faster` than base by the timing rule
    (the whole CI of `speedup` above 1 + max(min_gain, noise_floor))."""
    opt_strict: bool | None = None
    """llm rows: `faster`, and the lower end of `rho_ci` reaches the match threshold (0.95)."""
    opt_gso: bool | None = None
    """llm rows: correct, unflagged, `speedup` >= GSO's 1.2 (`outcome.GSO_MIN_SPEEDUP`) and `rho` >= the match
    threshold (GSO's opt, point estimates)."""
    failure_reason: str | None = Field(
        None,
        description="llm rows: why the attempt is not a strict opt (null when it is), the first that applies: "
        + " | ".join(get_args(FailureReason))
        + " (the agent's status when it did not finish comes first; isobench/outcome.py decides it).",
    )
    integrity: list[FlagColumn] | None = None
    """Its integrity flags with their evidence (llm rows; on the human row a flag makes the instance
    invalid). Every flag costs the win: see the card's "Integrity flags"."""
    raw_opt_strict: bool | None = None
    """llm rows: `opt_strict` before the integrity rules (overfit, cross_call_state and shared_results
    ignored): GSO's uncontrolled score counts this."""
    raw_opt_gso: bool | None = None
    """llm rows: `opt_gso` before the integrity rules."""
    raw_effective_speedup: float | None = None
    """llm rows: the effective speedup before the integrity rules."""
    results_compared: list[str] | None = None
    """The workload's results every agent's must match (`<stdout>`, `return`, module-level names, asv
    return values): the same on every call of base, its A/A copy and the human."""
    results_weak: bool | None = None
    """Too little of the workload's results is compared to catch a wrong answer of the same size."""
    review_verdict: str | None = None
    """The model review's verdict (`isobench review`): `hack` (at least as many of its k votes said hack as
    said clean), `clean`, or `no_verdict` (too few votes answered). llm rows: this attempt's (null: not
    reviewed: review off, or not a win); human rows: the human's own patch's, reviewed as the control."""
    review_hack_type: str | None = None
    """With a hack verdict: the kind most hack votes named."""
    review_description: str | None = None
    """The explanation of the first vote that agrees with the verdict."""
    review_votes: list[ReviewVoteColumn] | None = None
    """Every vote of the review, in sample order."""
    review_unreliable: bool | None = None
    """The reviewer called this instance's human patch a hack: its reviews are marked unreliable (null: the
    instance's human patch was not reviewed)."""
    status: str | None = None
    """llm rows: how the attempt ended (success, agent_error, timeout, budget_exceeded,
    iterations_exhausted, api_error, runtime_error). Human rows: the instance's score status (scored,
    base_failed, human_failed, not_scored)."""
    error: str | None = None
    """llm rows: the attempt's exit reason when it did not succeed; human rows: why the human variant failed
    to build, if it did."""
    valid_instance: bool | None = None
    """The human speedup is established: `faster` by the timing rule, its CI's lower end >=
    score.admission_min_speedup, and no integrity flag on the human's patch; only valid instances count in
    opt rates."""
    invalid_reason: str | None = None
    """Why the instance is not valid."""
    noisy: bool | None = None
    """The instance's A/A twin (a second copy of base, identical code) did not come out `no_difference`: its
    measurement cannot resolve differences as small as min_gain (see `noisy_reason`)."""
    noisy_reason: str | None = None
    """Why the instance is flagged noisy."""
    noise_floor: float | None = None
    """The far end of the A/A twin's CI as a fraction: the largest difference between identical copies the
    measurement could not rule out. Decisions need max(min_gain, noise_floor)."""
    timing_mode: str | None = None
    """in_process_callable (the workload function timed in-process), in_process_script (the workload
    script's body, run again in one process) or whole_process."""
    environment: Environment | None = None
    """The machine the instance was scored on (speedups are comparable only on alike machines)."""
    tokens: Tokens | None = None
    """LLM tokens the attempt used; null on human rows."""
    agent_commit: str | None = None
    """The commit holding the agent's work, when `correlate` recorded one."""
    setting: str | None = None
    """oracle (the prompt names the target files) or realistic."""


def features() -> datasets.Features:
    """The fixed `datasets.Features` of every export, from `ExportRow`'s field types."""
    import datasets as hf

    return hf.Features(_struct(ExportRow))


def column_docs() -> list[tuple[str, str, str]]:
    """(column, type, description) of every column, in order, for the card and the report."""
    fields = ExportRow.model_fields
    return [(name, type_name(_feature(f.annotation)), f.description or "") for name, f in fields.items()]


def nested_docs() -> dict[str, str]:
    """`column.field` -> description, for the fields of the struct columns."""
    out = {}
    for name, f in ExportRow.model_fields.items():
        model = _model_in(f.annotation)
        if model is not None:
            out.update({f"{name}.{k}": sub.description or "" for k, sub in model.model_fields.items()})
    return out


def type_name(feat: object) -> str:
    """A short readable type, e.g. `list<float64>` or `struct{prompt: int64, completion: int64}`."""
    import datasets as hf

    if isinstance(feat, hf.Value):
        return str(feat.dtype)
    if isinstance(feat, hf.List):
        return f"list<{type_name(feat.feature)}>"
    if isinstance(feat, dict):
        return "struct{" + ", ".join(f"{k}: {type_name(v)}" for k, v in feat.items()) + "}"
    return type(feat).__name__


_VALUES = {str: "string", float: "float64", int: "int64", bool: "bool"}


def _feature(annotation: object) -> Feature:
    """The `datasets` feature of a field's type: a value, a list of one, or a struct (a nested model)."""
    import datasets as hf

    tp = _not_none(annotation)
    if tp in _VALUES:
        return hf.Value(_VALUES[tp])
    if typing.get_origin(tp) is list:
        return hf.List(_feature(typing.get_args(tp)[0]))
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _struct(tp)
    raise TypeError(f"no dataset feature for {annotation!r}")


def _struct(model: type[BaseModel]) -> dict[str, Feature]:
    return {name: _feature(f.annotation) for name, f in model.model_fields.items()}


def _not_none(annotation: object) -> object:
    """`X | None` -> X."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The model a struct column (or a list of structs) holds, if any."""
    tp = _not_none(annotation)
    if typing.get_origin(tp) is list:
        tp = _not_none(typing.get_args(tp)[0])
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None
