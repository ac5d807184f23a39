"""`correlate`: every agent attempt against the human commit, per instance and per provider.

Reads the plan, the attempts and the scores; writes `correlate/correlation.json` (the seed's
correlation map, extended) and commits each agent patch to a branch
`isobench/<provider>/<instance_id>/<attempt>` of the task repository, so `git diff <head> <branch>`
shows agent against human.

Definitions (documented in the README, "Metrics"):
- an attempt is *correct* when its patch is non-empty, applies, builds and passes the tests that pass
  on the human commit;
- *opt (strict)*: correct, significantly faster than base (by at least `score.min_gain`), and the
  lower 95% bound of rho = agent speedup / human speedup is >= p (0.95);
- *opt (GSO-compatible)*: correct, speedup point estimate >= 1.2 and rho point estimate >= p;
- aggregates count an incorrect attempt as no change (speedup 1.0), and only instances whose human
  speedup is significant (valid) enter the headline numbers.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from isobench.config import BenchConfig
from isobench.errors import UserError
from isobench.gitutil import GitError, patch_bytes, run_git
from isobench.score import agent_patch
from isobench.state import State, write_record

GSO_MIN_SPEEDUP = 1.2


def agent_branch(provider: str, iid: str, attempt: int) -> str:
    return f"isobench/{provider}/{iid}/{attempt}"


def commit_agent_patch(inst: dict[str, Any], provider: str, attempt: int, patch: str, message: str) -> str | None:
    """Commit an agent's patch on top of the real base commit, on its own branch; no worktree touched."""
    repo = Path(inst["repo_path"])
    if not repo.is_dir():  # e.g. a state directory copied to another machine
        return None
    fd, index = tempfile.mkstemp(prefix="isobench-index-")
    os.close(fd)
    env = {"GIT_INDEX_FILE": index}
    try:
        run_git(["read-tree", inst["base_commit"]], cwd=repo, env=env)
        run_git(
            ["apply", "--cached", "--binary", "--whitespace=nowarn", "-"], cwd=repo, input=patch_bytes(patch), env=env
        )
        tree = run_git(["write-tree"], cwd=repo, env=env).strip()
        sha = run_git(["commit-tree", tree, "-p", inst["base_commit"], "-m", message], cwd=repo, env=env).strip()
        run_git(["update-ref", f"refs/heads/{agent_branch(provider, inst['instance_id'], attempt)}", sha], cwd=repo)
        return sha
    except GitError:
        return None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(index)


def _mean_ci(values: list[float], seed: int = 0) -> list[float] | None:
    """95% bootstrap CI (over instances) of a mean; [v, v] when every value is the same."""
    if not values:
        return None
    arr = np.asarray(values, dtype=float)
    if len(arr) < 2 or np.all(arr == arr[0]):
        return [float(arr.mean()), float(arr.mean())]
    from scipy.stats import bootstrap

    res = bootstrap((arr,), np.mean, confidence_level=0.95, method="percentile", random_state=seed)
    return [float(res.confidence_interval.low), float(res.confidence_interval.high)]


def _gmean_ci(values: list[float]) -> tuple[float | None, list[float] | None]:
    if not values:
        return None, None
    from isobench.measure.stats import bootstrap_gmean_ci

    g, lo, hi = bootstrap_gmean_ci(values)
    return float(g), [float(lo), float(hi)]


def _spearman(x: list[float], y: list[float]) -> dict[str, Any]:
    n = len(x)
    if n < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return {"rho": None, "p": None, "n": n}
    from scipy.stats import spearmanr

    r = spearmanr(x, y)
    return {"rho": float(r.statistic), "p": float(r.pvalue), "n": n}


def _opt_at_k(n: int, c: int, k: int) -> float:
    from isobench.measure.stats import opt_at_k

    return float(opt_at_k(n, c, k))


def correlate(cfg: BenchConfig, state: State, *, make_branches: bool = True) -> dict[str, Any]:
    """Link human and agent results, compute the per-provider metrics, write correlation.json."""
    instances = state.instances()
    if not instances:
        raise UserError(f"{state.root}: no planned instances; run `isobench plan` first")
    p_match = cfg.score.match_threshold
    per_inst: list[dict[str, Any]] = []
    # provider -> instance -> list of attempt rows
    by_provider: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(dict)
    providers_seen: list[str] = []
    for inst in instances:
        iid = inst["instance_id"]
        score = state.score_record(iid) or {}
        variants = score.get("variants", {})
        human = variants.get("human", {})
        entry: dict[str, Any] = {
            "instance_id": iid,
            "human_commit": inst["head_commit"],
            "base_commit": inst["base_commit"],
            "scored": bool(score),
            "valid": bool(score.get("valid")),
            "invalid_reason": score.get("invalid_reason"),
            "human_speedup": human.get("speedup"),
            "human_speedup_ci": human.get("speedup_ci"),
            "llm_attempts": {},
            "comparison": {},
        }
        runs = state.root / "runs" / iid
        for pdir in sorted(p for p in runs.iterdir() if p.is_dir()) if runs.is_dir() else []:
            prov = pdir.name
            if prov not in providers_seen:
                providers_seen.append(prov)
            rows = []
            for rec in state.attempts(iid, prov):
                v = variants.get(f"{prov}#{rec['attempt']}", {})
                patch = agent_patch(state, iid, prov, rec["attempt"])
                correct = bool(v.get("correct")) and bool(patch.strip())
                speedup, rho = v.get("speedup"), v.get("rho")
                strict = bool(correct and v.get("classification") == "faster" and v.get("matches_human_strict"))
                gso = bool(
                    correct
                    and speedup is not None
                    and speedup >= GSO_MIN_SPEEDUP
                    and rho is not None
                    and rho >= p_match
                )
                branch = sha = None
                if make_branches and patch.strip():
                    sha = commit_agent_patch(
                        inst,
                        prov,
                        rec["attempt"],
                        patch,
                        f"isobench: {prov} attempt {rec['attempt']} on {iid}\n\n"
                        f"Agent patch; the human commit is {inst['head_commit']}.",
                    )
                    branch = agent_branch(prov, iid, rec["attempt"]) if sha else None
                rows.append(
                    {
                        "attempt": rec["attempt"],
                        "status": rec["status"],
                        "agent_branch": branch,
                        "agent_commit": sha,
                        "patch_empty": not patch.strip(),
                        "scored": bool(v),
                        "build": v.get("build"),
                        "correct": correct,
                        "speedup": speedup,
                        "speedup_ci": v.get("speedup_ci"),
                        "classification": v.get("classification"),
                        "rho": rho,
                        "rho_ci": v.get("rho_ci"),
                        "matches_human_strict": bool(correct and v.get("matches_human_strict")),
                        "matches_human_gso": bool(correct and rho is not None and rho >= p_match),
                        "opt_strict": strict,
                        "opt_gso": gso,
                        "effective_speedup": speedup if correct and speedup else 1.0,
                        "cost_usd": rec.get("cost_usd", 0.0),
                        "wall_s": rec.get("wall_s"),
                        "iterations": rec.get("iterations"),
                        "touched_outside_targets": rec.get("touched_outside_targets"),
                    }
                )
            entry["llm_attempts"][prov] = rows
            if rows:
                best = max((r["rho"] or 0.0) if r["correct"] else 0.0 for r in rows)
                entry["comparison"][f"{prov}_vs_human"] = best
            by_provider[prov][iid] = rows
        per_inst.append(entry)

    valid_ids = {e["instance_id"] for e in per_inst if e["valid"]}
    human_speedup = {e["instance_id"]: e["human_speedup"] for e in per_inst}
    providers: dict[str, Any] = {}
    eff: dict[str, dict[str, float]] = {}
    for prov in providers_seen:
        rows_by_inst = by_provider[prov]
        all_rows = [r for rows in rows_by_inst.values() for r in rows]
        k = max((len(rows) for rows in rows_by_inst.values()), default=0)
        headline = {iid: rows for iid, rows in rows_by_inst.items() if iid in valid_ids and rows}
        opt1_s = [sum(r["opt_strict"] for r in rows) / len(rows) for rows in headline.values()]
        opt1_g = [sum(r["opt_gso"] for r in rows) / len(rows) for rows in headline.values()]
        optk_s = [_opt_at_k(len(rows), sum(r["opt_strict"] for r in rows), k) for rows in headline.values()]
        optk_g = [_opt_at_k(len(rows), sum(r["opt_gso"] for r in rows), k) for rows in headline.values()]
        # Per instance: geometric mean over its attempts of the effective speedup / rho.
        inst_speedup = {
            iid: math.exp(np.mean([math.log(r["effective_speedup"]) for r in rows])) for iid, rows in headline.items()
        }
        eff[prov] = inst_speedup
        inst_rho = {iid: s / human_speedup[iid] for iid, s in inst_speedup.items() if human_speedup.get(iid)}
        sg, sg_ci = _gmean_ci(list(inst_speedup.values()))
        rg, rg_ci = _gmean_ci(list(inst_rho.values()))
        total_cost = float(sum(r["cost_usd"] or 0.0 for r in all_rows))
        successes = sum(r["opt_strict"] for r in all_rows)
        reasons: Counter[str] = Counter()
        for r in all_rows:
            if r["status"] != "success":
                reasons[r["status"]] += 1
            elif r["patch_empty"]:
                reasons["empty_patch"] += 1
            elif r["build"] not in (None, "ok"):
                reasons[r["build"]] += 1
            elif r["scored"] and not r["correct"]:
                reasons["incorrect"] += 1
            elif not r["scored"]:
                reasons["not_scored"] += 1
            elif not r["opt_strict"]:
                reasons["not_optimized"] += 1
        common = [iid for iid in inst_speedup if human_speedup.get(iid)]
        providers[prov] = {
            "attempts": len(all_rows),
            "instances": len(rows_by_inst),
            "k": k,
            "valid_patches": sum(1 for r in all_rows if not r["patch_empty"] and r["build"] == "ok"),
            "correct": sum(r["correct"] for r in all_rows),
            "faster_than_base": sum(1 for r in all_rows if r["correct"] and r["classification"] == "faster"),
            "opt1_strict": float(np.mean(opt1_s)) if opt1_s else None,
            "opt1_strict_ci": _mean_ci(opt1_s),
            "opt1_gso": float(np.mean(opt1_g)) if opt1_g else None,
            "opt1_gso_ci": _mean_ci(opt1_g),
            "optk_strict": float(np.mean(optk_s)) if optk_s else None,
            "optk_gso": float(np.mean(optk_g)) if optk_g else None,
            "speedup_gmean": sg,
            "speedup_gmean_ci": sg_ci,
            "speedup_median": float(np.median(list(inst_speedup.values()))) if inst_speedup else None,
            "rho_gmean": rg,
            "rho_gmean_ci": rg_ci,
            "rho_median": float(np.median(list(inst_rho.values()))) if inst_rho else None,
            "total_cost_usd": total_cost,
            "cost_per_instance": total_cost / len(rows_by_inst) if rows_by_inst else None,
            "cost_per_success": total_cost / successes if successes else None,
            "mean_wall_s": float(np.mean([r["wall_s"] or 0 for r in all_rows])) if all_rows else None,
            "mean_iterations": float(np.mean([r["iterations"] or 0 for r in all_rows])) if all_rows else None,
            "failure_reasons": dict(sorted(reasons.items())),
            "spearman_vs_human": _spearman([human_speedup[i] for i in common], [inst_speedup[i] for i in common]),
            "solved": sorted(iid for iid, rows in headline.items() if any(r["opt_strict"] for r in rows)),
            "headline_instances": len(headline),
        }
    between = []
    for i, a in enumerate(providers_seen):
        for b in providers_seen[i + 1 :]:
            common = sorted(set(eff[a]) & set(eff[b]))
            sp = _spearman([eff[a][c] for c in common], [eff[b][c] for c in common])
            between.append({"a": a, "b": b, "spearman": sp["rho"], "p": sp["p"], "n": sp["n"]})

    all_rows = [r for e in per_inst for rows in e["llm_attempts"].values() for r in rows]
    with_attempt = sum(1 for e in per_inst if any(e["llm_attempts"].values()))
    nonempty = [r for r in all_rows if not r["patch_empty"]]
    spreads = []
    for e in per_inst:
        for rows in e["llm_attempts"].values():
            logs = [math.log(r["effective_speedup"]) for r in rows]
            if len(logs) > 1:
                spreads.append(float(np.std(logs, ddof=1)))
    aa = [
        abs(math.log(s["aa"]["speedup"]))
        for e in per_inst
        if (s := state.score_record(e["instance_id"])) and s.get("aa")
    ]
    seed_metrics = {
        "commits_with_llm_attempt": with_attempt / len(per_inst),
        "llm_patches_passing_validation": (sum(r["correct"] for r in nonempty) / len(nonempty)) if nonempty else None,
        "cost_per_commit": (sum(r["cost_usd"] or 0 for r in all_rows) / with_attempt) if with_attempt else None,
        "run_to_run_sd_log_speedup": float(np.mean(spreads)) if spreads else None,
        "aa_median_abs_log_speedup": float(np.median(aa)) if aa else None,
        "targets": {
            "commits_with_llm_attempt": ">0.95",
            "llm_patches_passing_validation": ">0.80",
            "cost_per_commit": "<5 USD",
            "run_to_run": "<5% variance",
        },
    }
    result = {
        "status": "done",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "match_threshold": p_match,
        "instances": per_inst,
        "providers": providers,
        "between_providers": between,
        "seed_metrics": seed_metrics,
    }
    return write_record(state.correlate_path, result)
