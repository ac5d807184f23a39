"""`correlate`: every agent attempt against the human commit, per instance and per provider.

Reads the plan, the attempts and the scores (each scored attempt's outcome was decided by `score`, in
`outcome.decide`; an unscored one gets `outcome.unscored`) and the model reviews (`isobench review`; a hack
verdict counted by `outcome.reviewed` as bench.yaml's `review.counts_as_failure` says, the figures the other
way beside), computes the per-provider metrics (`metrics`), writes `correlate/correlation.json` (the
original design's correlation map, extended) and commits each agent patch to a branch
`isobench/<provider>/<instance_id>/<attempt>` of the task repository, so `git diff <head> <branch>` shows
agent against human.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import statistics
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from isobench.config import BenchConfig
from isobench.gitutil import GitError, patch_bytes, run_git
from isobench.metrics import AttemptResult, per_instance, provider_metrics, raw_results, spearman
from isobench.outcome import Outcome, unscored
from isobench.records import (
    Attempt,
    CorrelatedAttempt,
    Correlation,
    Instance,
    InstanceCorrelation,
    InstanceScore,
    ProviderMetrics,
    VariantScore,
)
from isobench.review import verdicts
from isobench.score import agent_patch
from isobench.state import State, pause_point, write_model


def agent_branch(provider: str, iid: str, attempt: int) -> str:
    return f"isobench/{provider}/{iid}/{attempt}"


def commit_agent_patch(inst: Instance, provider: str, attempt: int, patch: str, message: str) -> str | None:
    """Commit an agent's patch on top of the real base commit, on its own branch; no worktree touched."""
    repo = Path(inst.repo_path)
    if not repo.is_dir():  # e.g. a state directory copied to another machine
        return None
    fd, index = tempfile.mkstemp(prefix="isobench-index-")
    os.close(fd)
    env = {"GIT_INDEX_FILE": index}
    try:
        run_git(["read-tree", inst.base_commit], cwd=repo, env=env)
        run_git(
            ["apply", "--cached", "--binary", "--whitespace=nowarn", "-"], cwd=repo, input=patch_bytes(patch), env=env
        )
        tree = run_git(["write-tree"], cwd=repo, env=env).strip()
        sha = run_git(["commit-tree", tree, "-p", inst.base_commit, "-m", message], cwd=repo, env=env).strip()
        run_git(["update-ref", f"refs/heads/{agent_branch(provider, inst.instance_id, attempt)}", sha], cwd=repo)
        return sha
    except GitError:
        return None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(index)


def _outcome(rec: Attempt, score: InstanceScore | None) -> tuple[Outcome, VariantScore | None]:
    """The attempt's outcome as score decided it, and its score row (None: not scored yet)."""
    row = score.variants.get(f"{rec.provider}#{rec.attempt}") if score else None
    if row is None or row.outcome is None:  # not scored (yet)
        return unscored(rec), None
    return row.outcome, row


def _provider(
    cfg: BenchConfig,
    state: State,
    results: list[AttemptResult],
    judged: list[tuple[str, verdicts.Judged]],
    human_speedup: dict[str, float | None],
    valid: set[str],
) -> ProviderMetrics:
    """A provider's metrics: the headline, `raw` (before the integrity rules and the reviews), and the
    model review's figures (`review.verdicts.provider_figures`: the other way, the counts)."""

    def figures(outcomes: list[Outcome]) -> ProviderMetrics:
        again = [dataclasses.replace(r, outcome=o) for r, o in zip(results, outcomes, strict=True)]
        return ProviderMetrics.model_validate(provider_metrics(again, human_speedup, valid))

    return ProviderMetrics.model_validate(
        {
            **provider_metrics(results, human_speedup, valid),
            "raw": ProviderMetrics.model_validate(provider_metrics(raw_results(results), human_speedup, valid)),
            **verdicts.provider_figures(cfg, state, judged, valid, figures),
        }
    )


def compute(cfg: BenchConfig, state: State) -> Correlation:
    """Every attempt against its human commit and the per-provider metrics (reads only; no git)."""
    instances = state.select_instances(None)
    p = cfg.score.match_threshold
    entries: list[InstanceCorrelation] = []
    results: dict[str, list[AttemptResult]] = {}
    judgements: dict[str, list[tuple[str, verdicts.Judged]]] = {}
    human_speedup: dict[str, float | None] = {}
    valid: set[str] = set()
    for inst in instances:
        iid = inst.instance_id
        score = state.score_record(iid)
        human = score.variants.get("human") if score else None
        human_speedup[iid] = human.speedup if human else None
        if score and score.valid:
            valid.add(iid)
        entry = _entry(inst, score)
        for prov in state.providers_run(iid):
            rows = []
            for rec in state.attempts(iid, prov):
                outcome, row = _outcome(rec, score)
                advantage = row.asv.advantage if row is not None and row.asv else None
                j = verdicts.judged(cfg, state, iid, prov, rec.attempt, outcome, human_speedup[iid])
                judgements.setdefault(prov, []).append((iid, j))
                results.setdefault(prov, []).append(
                    AttemptResult(
                        iid,
                        prov,
                        rec.attempt,
                        rec.status,
                        j.headline,
                        rec.cost_usd,
                        rec.wall_s,
                        rec.iterations,
                        advantage,
                    )
                )
                rows.append(
                    CorrelatedAttempt(
                        attempt=rec.attempt,
                        status=rec.status,
                        speedup=row.speedup if row else None,
                        speedup_ci=row.speedup_ci if row else None,
                        classification=row.classification if row else None,
                        rho=row.rho if row else None,
                        rho_ci=row.rho_ci if row else None,
                        build=row.build if row else None,
                        asv_advantage=advantage,
                        outcome=j.headline,
                        review=j.verdict,
                        cost_usd=rec.cost_usd,
                        wall_s=rec.wall_s,
                        iterations=rec.iterations,
                        touched_outside_targets=rec.touched_outside_targets,
                    )
                )
            entry.llm_attempts[prov] = rows
            rhos = [r.outcome.effective_rho for r in rows if r.outcome.effective_rho is not None]
            entry.best_rho[prov] = max(rhos) if rhos else None
        entries.append(entry)

    providers = {
        prov: _provider(cfg, state, rs, judgements[prov], human_speedup, valid) for prov, rs in results.items()
    }
    return Correlation(
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        match_threshold=p,
        instances=entries,
        providers=providers,
        between_providers=between_providers(results, valid),
        design_metrics=design_metrics(state, entries, [r for rs in results.values() for r in rs]),
    )


def between_providers(results: dict[str, list[AttemptResult]], valid: set[str]) -> list[dict[str, object]]:
    """Spearman's rank correlation of every two providers' per-instance effective speedups (valid instances)."""
    per_speedup = {
        prov: per_instance([r for r in rs if r.instance_id in valid], "effective_speedup")
        for prov, rs in results.items()
    }
    names = list(results)
    between: list[dict[str, object]] = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            common = sorted(set(per_speedup[a]) & set(per_speedup[b]))
            sp = spearman([per_speedup[a][c] for c in common], [per_speedup[b][c] for c in common])
            between.append({"a": a, "b": b, "spearman": sp["rho"], "p": sp["p"], "n": sp["n"]})
    return between


def _entry(inst: Instance, score: InstanceScore | None) -> InstanceCorrelation:
    """An instance's entry, before its attempts: the human commit and how it scored."""
    human = score.variants.get("human") if score else None
    return InstanceCorrelation(
        instance_id=inst.instance_id,
        human_commit=inst.head_commit,
        base_commit=inst.base_commit,
        scored=score is not None,
        valid=bool(score and score.valid),
        invalid_reason=score.invalid_reason if score else None,
        noisy=score.noisy if score else None,
        human_speedup=human.speedup if human else None,
        human_speedup_ci=human.speedup_ci if human else None,
        llm_attempts={},
        best_rho={},
    )


def design_metrics(state: State, entries: list[InstanceCorrelation], results: list[AttemptResult]) -> dict[str, object]:
    """The original design's success metrics, on this state, with the targets that design set."""
    with_attempt = sum(1 for e in entries if any(e.llm_attempts.values()))
    nonempty = [r for r in results if not r.outcome.empty_patch]
    spreads = []
    by_unit: dict[tuple[str, str], list[float]] = {}
    for r in results:
        by_unit.setdefault((r.instance_id, r.provider), []).append(math.log(r.outcome.effective_speedup))
    for logs in by_unit.values():
        if len(logs) > 1:
            spreads.append(statistics.stdev(logs))
    repeat = measurement_repeatability(state, [e.instance_id for e in entries])
    aa = [abs(math.log(s.aa.speedup)) for e in entries if (s := state.score_record(e.instance_id)) and s.aa is not None]
    return {
        "commits_with_llm_attempt": with_attempt / len(entries) if entries else None,
        "llm_patches_passing_validation": sum(r.outcome.correct for r in nonempty) / len(nonempty)
        if nonempty
        else None,
        "cost_per_commit": sum(r.cost_usd for r in results) / with_attempt if with_attempt else None,
        "run_to_run_max_relative_spread": repeat["max"],
        "run_to_run_median_relative_spread": repeat["median"],
        "run_to_run_estimates": repeat["estimates"],
        "attempt_spread_sd_log_speedup": statistics.mean(spreads) if spreads else None,
        "aa_median_abs_log_speedup": statistics.median(aa) if aa else None,
        "targets": {
            "commits_with_llm_attempt": ">0.95",
            "llm_patches_passing_validation": ">0.80",
            "cost_per_commit": "<5 USD",
            "run_to_run": "<5% (repeated measurements of the same estimate)",
        },
    }


def measurement_repeatability(state: State, iids: list[str]) -> dict[str, object]:
    """How far repeated measurements (`score --force` keeps every run in samples.jsonl) of the same speedup
    are apart: per (instance, variant) measured at least twice, max / min - 1 of its point estimates."""
    from isobench.measure.samplelog import load_samples, run_ids

    spreads = []
    for iid in iids:
        path = state.score_dir(iid) / "samples.jsonl"
        if not path.is_file():
            continue
        per_variant: dict[str, list[float]] = {}
        for run_id in run_ids(path):
            series = load_samples(path, run_id)
            base = series.get("base", {})
            for name, rounds in series.items():
                common = sorted(set(base) & set(rounds))
                if name == "base" or len(common) < 3:
                    continue
                d = [math.log(base[r]) - math.log(rounds[r]) for r in common]
                per_variant.setdefault(name, []).append(math.exp(statistics.median(d)))
        spreads += [max(v) / min(v) - 1 for v in per_variant.values() if len(v) > 1]
    return {
        "estimates": len(spreads),
        "max": max(spreads) if spreads else None,
        "median": statistics.median(spreads) if spreads else None,
    }


def make_branches(state: State, correlation: Correlation) -> None:
    """Commit every non-empty agent patch to its branch of the task repository (fills agent_branch/commit)."""
    for entry in correlation.instances:
        inst = state.instance(entry.instance_id)
        for prov, rows in entry.llm_attempts.items():
            for row in rows:
                patch = agent_patch(state, inst.instance_id, prov, row.attempt)
                if not patch.strip():
                    continue
                sha = commit_agent_patch(
                    inst,
                    prov,
                    row.attempt,
                    patch,
                    f"isobench: {prov} attempt {row.attempt} on {inst.instance_id}\n\n"
                    f"Agent patch; the human commit is {inst.head_commit}.",
                )
                if sha:
                    row.agent_commit, row.agent_branch = sha, agent_branch(prov, inst.instance_id, row.attempt)


def correlate(cfg: BenchConfig, state: State, *, branches: bool = True) -> Correlation:
    """Link human and agent results, compute the metrics, commit the agents' branches, write correlation.json."""
    result = compute(cfg, state)
    if branches:
        make_branches(state, result)
    pause_point("record")
    return write_model(state.correlate_path, result)  # one file, replaced at once: the old one stays whole until then
