"""The dataset's rows: per planned instance one human row, then one row per recorded LLM attempt.

Every decision on an llm row (correct, the match labels, the opt flags, the failure reason, the effective
speedup) is its score row's `outcome`, where `outcome.decide` put it; an attempt not scored yet gets
`outcome.unscored`. Nothing is recomputed here. Each row is an `ExportRow` (`schema`), its columns typed
and documented there.
"""

from __future__ import annotations

from isobench.config import BenchConfig
from isobench.errors import UserError
from isobench.export.schema import ExportRow
from isobench.gitutil import patch_functions, readable_patch
from isobench.outcome import Outcome, unscored
from isobench.records import Attempt, Correlation, Instance, InstanceScore, VariantScore
from isobench.review import verdicts
from isobench.score import agent_patch
from isobench.state import State


def load_timings(state: State, iid: str, run_id: str | None = None) -> dict[str, list[float]]:
    """variant -> its successful timed samples (seconds, in round order) from one measurement (default:
    the last one). Read from the state directory itself, so a copied or moved state exports the same."""
    path = state.score_dir(iid) / "samples.jsonl"
    if not path.is_file():
        return {}
    from isobench.measure.samplelog import load_samples

    try:
        by_round = load_samples(path, run_id)
    except (ValueError, KeyError) as exc:
        raise UserError(f"{path}: unreadable timing samples ({exc}); re-run `isobench score --force`") from None
    return {name: [rounds[r] for r in sorted(rounds)] for name, rounds in by_round.items()}


def recorded_providers(cfg: BenchConfig, state: State, iid: str) -> list[str]:
    """Providers with attempt folders for an instance: configured order first, then any others by name."""
    found = state.providers_run(iid)
    order = [p.name for p in cfg.agents.openhands.llm_configs]
    return [p for p in order if p in found] + [p for p in found if p not in order]


def _durations(timings: dict[str, list[float]], llm_variant: str | None) -> list[dict[str, list[float] | None]]:
    """The original design's `duration_changes`: one {variant: [seconds...]} for the one timed workload."""
    if not timings:
        return []
    return [
        {
            "base": timings.get("base"),
            "human": timings.get("human"),
            "llm": timings.get(llm_variant) if llm_variant else None,
        }
    ]


def _measured(v: VariantScore | None) -> dict[str, object]:
    """The measured columns of one score row (none, so nulls: not scored)."""
    if v is None:
        return {}
    return {
        "speedup": v.speedup,
        "speedup_ci": v.speedup_ci,
        "heldout_speedup": v.heldout.speedup if v.heldout else None,
        "heldout_speedup_ci": v.heldout.speedup_ci if v.heldout else None,
        "classification": v.classification,
        "correct": v.correct,
        "build": v.build,
        "rho": v.rho,
        "rho_ci": v.rho_ci,
        "integrity": [{"flag": f, "evidence": v.evidence.get(f)} for f in v.integrity],
    }


def _asv_columns(score: InstanceScore | None, name: str, v: VariantScore | None) -> dict[str, object]:
    """The asv suite's columns of one variant: its geometric mean, advantage and per-benchmark speedups."""
    run = score.asv if score is not None and v is not None else None
    est = v.asv if v is not None else None
    per = [
        {
            "name": b.name,
            "status": b.status,
            "speedup": b.estimates[name].speedup if name in b.estimates else None,
            "speedup_ci": b.estimates[name].speedup_ci if name in b.estimates else None,
        }
        for b in (run.benchmarks if run else [])
    ]
    if est is None:
        return {"asv_benchmarks": per}
    return {
        "asv_speedup": est.speedup,
        "asv_speedup_ci": est.speedup_ci,
        "asv_advantage": est.advantage,
        "asv_advantage_ci": est.advantage_ci,
        "asv_benchmarks": per,
    }


def _instance_columns(inst: Instance, score: InstanceScore | None) -> dict[str, object]:
    """The columns every row of an instance shares: the task's, and the score's when it was scored."""
    cols: dict[str, object] = {
        "repo": inst.repo,
        "instance_id": inst.instance_id,
        "created_at": inst.created_at,
        "base_commit": inst.base_commit,
        "head_commit": inst.head_commit,
        "test_patch": readable_patch(inst.test_patch),
        "efficiency_test": inst.efficiency_test,
        "test_functions": inst.test_functions,
        "api": inst.api,
        "gt_commit_message": inst.gt_commit_message,
        "setup_commands": inst.setup_commands,
        "install_commands": inst.install_commands,
        "notes": inst.notes,
        "setting": inst.setting,
    }
    if score is None:
        return cols
    human = score.variants.get("human")
    return {
        **cols,
        "human_performance": human.speedup if human else None,
        "valid_instance": score.valid,
        "invalid_reason": score.invalid_reason,
        "noisy": score.noisy,
        "noisy_reason": score.noisy_reason,
        "results_compared": score.result_check.compared if score.result_check else None,
        "results_weak": score.result_check.weak if score.result_check else None,
        "noise_floor": score.noise_floor,
        "timing_mode": score.timing_mode,
        "environment": score.environment,
    }


def _human_row(
    state: State, inst: Instance, score: InstanceScore | None, timings: dict[str, list[float]]
) -> dict[str, object]:
    human = score.variants.get("human") if score else None
    return {
        "patch": readable_patch(inst.patch),
        "duration_changes": _durations(timings, None),
        "patch_functions": inst.patch_functions,
        "record_type": "human",
        **_measured(human),
        "rho": None,
        "rho_ci": None,
        **_asv_columns(score, "human", human),
        "patch_empty": not inst.patch.strip(),
        "status": score.status if score else "not_scored",
        "error": human.error if human else None,
        **_review_columns(state, inst.instance_id, None, None),
    }


def _review_columns(state: State, iid: str, provider: str | None, attempt: int | None) -> dict[str, object]:
    """The model review's columns of one row (`isobench review`): its verdict, votes and description, and
    whether the instance's control (the human's patch) came out a hack."""
    rec = state.review_record(iid, None, None) if provider is None or attempt is None else None
    if provider is not None and attempt is not None:
        rec = verdicts.current(state, iid, provider, attempt)
    cols: dict[str, object] = {"review_unreliable": verdicts.unreliable(state, iid)}
    if rec is None:
        return cols
    shown = {"is_reward_hack", "hack_type", "description", "error", "tries", "prompt_tokens", "completion_tokens"}
    return {
        **cols,
        "review_verdict": rec.verdict,
        "review_hack_type": rec.hack_type.value if rec.hack_type is not None else None,
        "review_description": rec.description,
        "review_votes": [v.model_dump(mode="json", include={*shown, "cost_usd"}) for v in rec.votes],
    }


def _credited(o: Outcome) -> dict[str, object]:
    """What a scored attempt is credited with: its outcome, as score decided it."""
    return {
        "correct": o.correct,
        "matches_human": o.matches_human,
        "matches_human_gso": o.matches_human_gso,
        "beats_human": o.beats_human,
        "effective_speedup": o.effective_speedup,
    }


def _llm_row(
    cfg: BenchConfig,
    state: State,
    inst: Instance,
    rec: Attempt,
    score: InstanceScore | None,
    timings: dict[str, list[float]],
    branch: dict[str, str | None],
) -> dict[str, object]:
    name = f"{rec.provider}#{rec.attempt}"
    v = score.variants.get(name) if score else None
    if v is not None and v.outcome is None:
        v = None  # scored by an isobench that decided no outcome: as if not scored
    patch = readable_patch(agent_patch(state, inst.instance_id, rec.provider, rec.attempt))
    if v is not None and score is not None and v.run_id and score.measurement and v.run_id != score.measurement.run_id:
        timings = load_timings(state, inst.instance_id, v.run_id)  # a row kept from an earlier measurement
    o = v.outcome if v is not None and v.outcome is not None else unscored(rec)
    human = score.variants.get("human") if score else None
    # With its model review counted as correlate counts it (bench.yaml `review.counts_as_failure`).
    o = verdicts.judged(
        cfg, state, inst.instance_id, rec.provider, rec.attempt, o, human.speedup if human else None
    ).headline
    return {
        "patch": patch,
        "duration_changes": _durations(timings, name),
        "patch_functions": patch_functions(patch),
        "record_type": "llm",
        "llm_metadata": {
            "provider": rec.provider,
            "model": rec.model,
            "iterations": rec.iterations,
            "cost_usd": rec.cost_usd,
            "time_seconds": round(rec.wall_s),
            "success": rec.status == "success",
            "human_reference_commit": inst.head_commit,
            "agent_branch": branch.get("agent_branch"),
        },
        "attempt": rec.attempt,
        **_measured(v),
        **_asv_columns(score, name, v),
        **(_credited(o) if v is not None else {"correct": None}),
        "patch_empty": rec.patch_empty,
        "match_label": o.match_label,
        "valid_patch": o.valid_patch,
        "faster": o.faster,
        "opt_strict": o.opt_strict,
        "opt_gso": o.opt_gso,
        "failure_reason": o.failure_reason,
        "raw_opt_strict": (o.raw or o).opt_strict,
        "raw_opt_gso": (o.raw or o).opt_gso,
        "raw_effective_speedup": (o.raw or o).effective_speedup,
        **_review_columns(state, inst.instance_id, rec.provider, rec.attempt),
        "status": rec.status,
        "error": rec.error,
        "tokens": {"prompt": rec.prompt_tokens, "completion": rec.completion_tokens},
        "agent_commit": branch.get("agent_commit"),
    }


def build_rows(cfg: BenchConfig, state: State, correlation: Correlation | None) -> list[ExportRow]:
    """Every row of the dataset (`ExportRow`, in its column order; human rows carry nulls in llm columns)."""
    branches: dict[tuple[str, str, int], dict[str, str | None]] = {}
    for entry in correlation.instances if correlation else []:
        for prov, attempts in entry.llm_attempts.items():
            for a in attempts:
                branches[(entry.instance_id, prov, a.attempt)] = {
                    "agent_branch": a.agent_branch,
                    "agent_commit": a.agent_commit,
                }
    rows: list[ExportRow] = []
    for inst in state.instances():
        iid = inst.instance_id
        score = state.score_record(iid)
        timings = (
            load_timings(state, iid, score.measurement.run_id if score and score.measurement else None) if score else {}
        )
        common = _instance_columns(inst, score)
        rows.append(ExportRow.model_validate(common | _human_row(state, inst, score, timings)))
        for provider in recorded_providers(cfg, state, iid):
            for rec in state.attempts(iid, provider):
                branch = branches.get((iid, provider, rec.attempt), {})
                rows.append(ExportRow.model_validate(common | _llm_row(cfg, state, inst, rec, score, timings, branch)))
    return rows
