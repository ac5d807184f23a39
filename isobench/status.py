"""`status`: how many units of each stage are pending, done or failed, per provider."""

from __future__ import annotations

from collections import Counter
from typing import Any

from isobench.config import BenchConfig
from isobench.records import AGENT_FAILURES, HARNESS_FAILURES
from isobench.state import State


def summarize(cfg: BenchConfig, state: State) -> dict[str, Any]:
    """Counts per stage and provider, read from the records alone (no lock: it only reads)."""
    insts = state.instances()
    ids = [r.instance_id for r in insts]
    providers = [p.name for p in cfg.providers]
    attempts = cfg.llm_benchmarking.attempts
    out: dict[str, Any] = {
        "state_dir": str(state.root),
        "instances": len(ids),
        "plan": {"done": len(ids)},
        "prepare": {},
        "run": {},
        "score": {},
    }
    for p in providers:
        done = sum(1 for i in ids if state.prepared(i, p) is not None)
        out["prepare"][p] = {"pending": len(ids) - done, "done": done, "failed": 0}
        statuses: Counter[str] = Counter()
        for i in ids:
            for a in range(1, attempts + 1):
                rec = state.attempt_result(i, p, a)
                statuses[rec.status if rec else "pending"] += 1
        failed = sum(n for s, n in statuses.items() if s in HARNESS_FAILURES | AGENT_FAILURES)
        out["run"][p] = {
            "pending": statuses["pending"] + statuses["interrupted"],
            "done": statuses["success"],
            "failed": failed,
            "by_status": dict(sorted(statuses.items())),
        }
    sc: Counter[str] = Counter()
    problems = {}
    for i in ids:
        score = state.score_record(i)
        problem = state.score_problem(i) if score is not None else None
        if problem is not None:  # its files are not its own: not done, a plain `score` redoes it
            problems[i] = problem
        if score is None or problem is not None:
            sc["pending" if score is None else "inconsistent"] += 1
        else:
            sc["done" if score.status == "scored" else "failed"] += 1
    out["score"] = {
        "all": {
            "pending": sc["pending"] + sc["inconsistent"],
            "done": sc["done"],
            "failed": sc["failed"],
            "by_status": {"inconsistent": sc["inconsistent"]} if problems else {},
            "inconsistent": problems,
        }
    }
    if cfg.review.provider:
        out["review"] = {"all": _review(cfg, state)}
    corr = state.correlate_path.exists()
    out["correlate"] = {"all": {"pending": 0 if corr else 1, "done": 1 if corr else 0, "failed": 0}}
    return out


def _review(cfg: BenchConfig, state: State) -> dict[str, int]:
    """The model review (bench.yaml `review`): patches reviewed, still to review, and failed (no verdict yet)."""
    from isobench.review.stage import plan_units

    todo, summary = plan_units(cfg, state, state.instances(), None, force=False)
    failed = 0
    for u in todo:
        rec = state.review_record(u.inst.instance_id, u.provider, u.attempt)
        failed += rec is not None and rec.status == "failed"
    return {"pending": len(todo) - failed, "done": summary.done_before, "failed": failed}
