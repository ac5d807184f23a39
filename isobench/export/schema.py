"""The export's schema: one list of (column, feature, description) drives the `datasets.Features` and the
dataset card, so every column is documented and the three formats reload to the same rows."""

from __future__ import annotations

from typing import Any


def columns() -> list[tuple[str, Any, str]]:
    """(name, feature, description) of every column, in order."""
    import datasets as hf

    s, f, i, b = hf.Value("string"), hf.Value("float64"), hf.Value("int64"), hf.Value("bool")
    strings, floats = hf.List(s), hf.List(f)
    return [
        # --- the original design's CanonicalRecord ----------------------------------------------
        ("repo", s, "Repository name (the task's repo)."),
        ("instance_id", s, "Instance id (`<repo>-<head commit prefix>`), shared by its human and llm rows."),
        ("created_at", s, "When the human commit was made (ISO 8601)."),
        ("base_commit", s, "The commit every variant starts from (the human commit's parent by default)."),
        (
            "head_commit",
            s,
            "The human optimization commit. On llm rows too: the reference the attempt is "
            "measured against (the attempt's own work is `patch`).",
        ),
        (
            "patch",
            s,
            "Code patch against `base_commit`: the human's (human rows) or the agent's model patch "
            "with its test edits removed (llm rows; empty if it changed nothing).",
        ),
        ("test_patch", s, "The human commit's test/benchmark changes, applied to every variant for testing."),
        ("efficiency_test", strings, "Shell commands whose run is the timed workload."),
        (
            "duration_changes",
            hf.List({"base": floats, "human": floats, "llm": floats}),
            "Raw timing samples in seconds, one per timed round (score's samples.jsonl, successful timed rounds "
            "of the last measurement, in round order), as a one-element list of {variant: [seconds...]}: `base` "
            "and `human` on every row, `llm` (this attempt, variant `<provider>#<attempt>`) on llm rows, null "
            "where the variant was not timed. Empty when the instance was not scored.",
        ),
        ("human_performance", f, "The human commit's speedup over base (same on every row of an instance)."),
        ("patch_functions", strings, "Functions/classes `patch` touches (hunk headers and added defs)."),
        ("test_functions", strings, "Test functions the human's `test_patch` adds."),
        ("api", s, "The API the workload exercises, if the task names one."),
        ("gt_commit_message", s, "The human commit's message (ground truth; never shown to agents)."),
        ("setup_commands", strings, "Commands run in each variant's copy before install."),
        ("install_commands", strings, "Commands that install a variant into its own venv."),
        ("notes", s, "Free-form notes from the task file."),
        ("record_type", s, "`human` (the human commit) or `llm` (one agent attempt)."),
        (
            "llm_metadata",
            {
                "provider": s,
                "model": s,
                "iterations": i,
                "cost_usd": f,
                "time_seconds": i,
                "success": b,
                "human_reference_commit": s,
                "agent_branch": s,
            },
            "The attempt's LLM metadata (the LLMMetadata struct); null on human rows.",
        ),
        # --- measured columns (every row) ----------------------------------------------------------
        ("attempt", i, "Attempt number of the (instance, provider) pair, from 1; null on human rows."),
        (
            "speedup",
            f,
            "Speedup over base: base time / variant time, paired per round (null if not "
            "measured). On llm rows it is measured even for an incorrect patch: check `correct`.",
        ),
        ("speedup_ci", floats, "95% CI of `speedup` as [low, high] (bootstrap over rounds)."),
        (
            "heldout_speedup",
            f,
            "Speedup over base on the task's held-out workload (`heldout_efficiency_test`: never shown to the "
            "agent), timed after the shown one with the same protocol, on variants that are correct and were "
            "timed. Null when the task has no held-out workload or the variant was not timed on it.",
        ),
        ("heldout_speedup_ci", floats, "95% CI of `heldout_speedup` as [low, high]; null with it."),
        (
            "asv_speedup",
            f,
            "The geometric mean of the variant's speedups over base on the task's asv suite, over the benchmarks "
            "the human's change moves (`asv_benchmarks` with status `moved`): each benchmark timed on its own with "
            "the same protocol, on variants that are correct and were timed. Null without a suite or not timed.",
        ),
        (
            "asv_speedup_ci",
            floats,
            "95% CI of `asv_speedup` as [low, high] (block bootstrap over each benchmark's rounds, widened by the "
            "A/A twin's geometric mean); null with it.",
        ),
        (
            "asv_benchmarks",
            hf.List({"name": s, "status": s, "speedup": f, "speedup_ci": floats}),
            "Every benchmark of the task's asv suite: `status` `moved` (the human's CI excludes 1.0: in "
            "`asv_speedup`), `unmoved` (it includes 1.0: left out), `screened_out` (left out after the screening "
            "pass) or `failed`; this variant's speedup over base with its 95% CI where it was timed. Empty without "
            "a suite.",
        ),
        (
            "effective_speedup",
            f,
            "llm rows: `speedup` if the patch is correct and was timed, else 1.0 (an "
            "incorrect patch counts as no change in aggregates); null on human rows.",
        ),
        (
            "classification",
            s,
            "The timing rule's verdict against base: `faster` / `slower` (the whole 95% CI beyond "
            "1 + max(min_gain, noise_floor)), `no_difference` (the CI within that band) or `inconclusive`.",
        ),
        (
            "correct",
            b,
            "The variant builds and passes every test command that passes on the human commit "
            "(null if not scored). False for an llm patch that changes nothing (`patch_empty`).",
        ),
        ("patch_empty", b, "`patch` changes nothing (e.g. the agent gave up, or only edited tests)."),
        ("build", s, "How the variant's build went: ok, patch_failed, setup_failed, install_failed, base_failed."),
        ("rho", f, "llm rows: agent speedup / human speedup (1.0 = as fast as the human)."),
        ("rho_ci", floats, "95% CI of `rho` as [low, high]."),
        (
            "asv_advantage",
            f,
            "llm rows: FormulaCode's advantage on the asv suite: `asv_speedup` minus the human's `asv_speedup` "
            "(0 = as fast as the human; null without a suite or where either was not timed).",
        ),
        (
            "matches_human",
            b,
            "Strict label: correct and the lower end of `rho_ci` >= the match threshold "
            "(score.match_threshold, default 0.95).",
        ),
        ("matches_human_gso", b, "GSO's label: correct and `rho` >= the match threshold (point estimate)."),
        (
            "beats_human",
            b,
            "Correct, and rho is `faster` by the timing rule: its whole CI above 1 + max(min_gain, noise_floor).",
        ),
        (
            "match_label",
            s,
            "llm rows: confident_pass | confident_fail | inconclusive (rho's CI against the match threshold) for "
            "a correct timed attempt, else why it could not match: empty_patch | outside_targets | incorrect | "
            "not_timed | overfit (faster on the shown workload, but not on the held-out one where the human is).",
        ),
        ("valid_patch", b, "llm rows: a non-empty patch that applies and builds."),
        (
            "faster",
            b,
            "llm rows: correct, and `faster` than base by the timing rule (the whole CI of `speedup` above "
            "1 + max(min_gain, noise_floor)), and not `overfit`.",
        ),
        ("opt_strict", b, "llm rows: `faster`, and the lower end of `rho_ci` reaches the match threshold (0.95)."),
        (
            "opt_gso",
            b,
            "llm rows: correct, `speedup` >= 1.2 and `rho` >= the match threshold (GSO's opt, point estimates).",
        ),
        (
            "failure_reason",
            s,
            "llm rows: why the attempt is not a strict opt (null when it is): the agent's status when it did not "
            "finish (timeout, api_error, ...), empty_patch, the build failure, not_scored, incorrect, not_timed, "
            "overfit, not_faster, below_human.",
        ),
        (
            "status",
            s,
            "llm rows: how the attempt ended (success, agent_error, timeout, budget_exceeded, "
            "iterations_exhausted, api_error, runtime_error). Human rows: the instance's score "
            "status (scored, base_failed, human_failed, not_scored).",
        ),
        (
            "error",
            s,
            "llm rows: the attempt's exit reason when it did not succeed; human rows: why the human "
            "variant failed to build, if it did.",
        ),
        (
            "valid_instance",
            b,
            "The human speedup is significant (its CI's lower end >= "
            "score.admission_min_speedup); only valid instances count in opt rates.",
        ),
        ("invalid_reason", s, "Why the instance is not valid."),
        (
            "noisy",
            b,
            "The instance's A/A twin (a second copy of base, identical code) did not come out `no_difference`: "
            "its measurement cannot resolve differences as small as min_gain (see `noisy_reason`).",
        ),
        ("noisy_reason", s, "Why the instance is flagged noisy."),
        (
            "noise_floor",
            f,
            "The far end of the A/A twin's CI as a fraction: the largest difference between identical copies the "
            "measurement could not rule out. Decisions need max(min_gain, noise_floor).",
        ),
        (
            "timing_mode",
            s,
            "in_process_callable (the workload function timed in-process), in_process_script (the workload "
            "script's body, run again in one process) or whole_process.",
        ),
        (
            "environment",
            {
                "host": s,
                "cpu": s,
                "cores": i,
                "platform": s,
                "python": s,
                "isobench_version": s,
                "openhands_version": s,
                "sandbox": s,
            },
            "The machine the instance was scored on (speedups are comparable only on alike machines).",
        ),
        ("tokens", {"prompt": i, "completion": i}, "LLM tokens the attempt used; null on human rows."),
        ("agent_commit", s, "The commit holding the agent's work, when `correlate` recorded one."),
        ("setting", s, "oracle (the prompt names the target files) or realistic."),
    ]


FIELD_DOCS = {
    "llm_metadata.provider": "Provider name as configured in bench.yaml (agents.openhands.llm_configs).",
    "llm_metadata.model": "The model id the agent ran with (LiteLLM form).",
    "llm_metadata.iterations": "Agent iterations (LLM calls) used.",
    "llm_metadata.cost_usd": "LLM cost of the attempt in US dollars, as OpenHands/LiteLLM counted it.",
    "llm_metadata.time_seconds": "Wall time of the attempt, whole seconds.",
    "llm_metadata.success": "The agent run ended normally (status `success`); says nothing about speed or correctness.",
    "llm_metadata.human_reference_commit": "The human commit this attempt is compared with.",
    "llm_metadata.agent_branch": "Branch holding the agent's work, when `correlate` recorded one; else null.",
    "environment.*": "Host name, CPU model, core count, OS platform, Python, isobench and OpenHands versions, sandbox.",
    "tokens.prompt": "Prompt (input) tokens.",
    "tokens.completion": "Completion (output) tokens.",
}


def features() -> Any:
    """The fixed `datasets.Features` of every export."""
    import datasets as hf

    return hf.Features({name: feat for name, feat, _ in columns()})


def column_docs() -> list[tuple[str, str, str]]:
    """(column, type, description) of every column, for the card and the report."""
    return [(name, type_name(feat), doc) for name, feat, doc in columns()]


def type_name(feat: Any) -> str:
    """A short readable type, e.g. `list<float64>` or `struct{prompt: int64, completion: int64}`."""
    import datasets as hf

    if isinstance(feat, hf.Value):
        return str(feat.dtype)
    if isinstance(feat, hf.List):
        return f"list<{type_name(feat.feature)}>"
    if isinstance(feat, dict):
        return "struct{" + ", ".join(f"{k}: {type_name(v)}" for k, v in feat.items()) + "}"
    return type(feat).__name__
