"""`isobench validate`: is each instance of a task file sound enough to put in a suite?

For each instance it runs the ordinary stages on a private state (`state/validate/_work`, never the user's
plan, runs or scores): plan, prepare and run with the scripted `oracle` provider only (the real OpenHands agent
writes the human's files), then score (base, its A/A twin, the human and the oracle, built, tested and timed
with bench.yaml's score settings). It reads the records those stages left and writes one `Validation` per
instance to `state/validate/<iid>/validation.json`: admitted or not, every reason (`admission`), the human's
speedup with its CI and what each step took. A record whose key (the instance's fingerprint and the score
settings) is unchanged is kept: a second run, or one after an interruption, goes on with what is left.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from isobench.config import BenchConfig
from isobench.config.bench import ProviderConfig
from isobench.errors import UserError, one_line
from isobench.records import (
    Instance,
    InstanceScore,
    Rejection,
    RejectionRule,
    TestRun,
    Validation,
    ValidationTimes,
    VariantBuild,
    VariantScore,
)
from isobench.sandbox import Sandbox
from isobench.state import State, fingerprint, read_model, write_model

ORACLE = "oracle"
ORACLE_ITERATIONS = 500
"""The validation oracle's iteration limit: room for a human patch of hundreds of files."""
"""The scripted provider whose agent applies the human's patch (`isobench/agents/scripts.py`)."""
ORACLE_ROW = f"{ORACLE}#1"
WORK = "_work"
"""The private state's folder under state/validate/ (instance ids never start with `_`)."""


def work_state(state: State) -> State:
    """The private state validation drives the stages on."""
    return State(state.root / "validate" / WORK)


def record_path(state: State, iid: str) -> Path:
    return state.root / "validate" / iid / "validation.json"


def validation_config(cfg: BenchConfig, time_budget_s: float | None = None) -> BenchConfig:
    """bench.yaml as validation runs it: the scripted oracle as the only provider, one attempt, no review;
    the score settings (sandbox, interpreters, index, budgets) as the user set them, `time_budget_s` if given."""
    v = cfg.model_copy(deep=True)
    v.root, v.source = cfg.root, cfg.source
    # The scripted oracle writes one of the human's files per step and costs nothing: a patch of many files
    # (a fix across dozens of lexers) must not run out of iterations before it is whole.
    v.agents.openhands.llm_configs = [
        ProviderConfig(name=ORACLE, provider="scripted", max_iterations=ORACLE_ITERATIONS)
    ]
    v.llm_benchmarking.providers = [ORACLE]
    v.llm_benchmarking.attempts = 1
    v.review.provider = None
    if time_budget_s is not None:
        v.score.time_budget_s = time_budget_s
    return v


PLACE_FIELDS = {
    "repo_path",
    "task_file",
    "workload_files",
    "heldout_workload_files",
    "workload_digest",
    "heldout_digest",
}
"""An instance's fields that say where it was planned, not what it is (its workloads count by content instead)."""


def instance_key(inst: Instance) -> str:
    """The instance as planned, wherever it is planned: its record without its bookkeeping and the paths of
    this machine (its clone, its task file's folder, written `${TASK_DIR}` in its commands), its workload files
    by their paths below that folder and their contents. The same commits, task file and workloads give the
    same key on every machine."""
    from isobench.plan import not_fingerprinted

    where = str(Path(inst.task_file).parent)
    data = inst.model_dump(mode="json", exclude=not_fingerprinted(inst) | PLACE_FIELDS)
    files = {
        "shown": _contents(inst.workload_files or [], where),
        "heldout": _contents(inst.heldout_workload_files or [], where),
    }
    return fingerprint(json.dumps(data, sort_keys=True).replace(where, "${TASK_DIR}"), files)


def _contents(paths: list[str], where: str) -> list[tuple[str, str]]:
    """(path below `where`, sha256 of the content) of each file, a folder's files included."""
    from isobench.plan import each_file

    below = "${TASK_DIR}"
    return [(str(f).replace(where, below), hashlib.sha256(f.read_bytes()).hexdigest()) for f in each_file(paths)]


def record_key(inst: Instance, cfg: BenchConfig) -> str:
    """What a validation depends on: the instance as planned and the score settings."""
    return fingerprint(inst.fingerprint, cfg.score.model_dump(mode="json"))


# --- the admission rules: defined once ----------------------------------------------------------------


def _reject(rule: RejectionRule, detail: str) -> Rejection:
    """A reason, its detail on one line (a workload's traceback included) and at most 400 characters."""
    text = one_line(detail)
    return Rejection(rule=rule, detail=text if len(text) <= 400 else text[:399] + "…")


def admission(sc: InstanceScore) -> list[Rejection]:
    """Every reason `sc` (an instance scored with the oracle) keeps the instance out of a suite; none: admitted.

    The human must be scored, its tests and base's must all pass, score must have found it valid (its speedup
    CI's low end at or above `score.admission_min_speedup` and above the A/A noise floor), the oracle must be
    correct and not confidently below the human (rho's whole CI under the match threshold), the workload's
    result check must not be weak, and the human's held-out workload (if the task has one) must run."""
    if sc.status != "scored":
        return [_reject(rule="not_scored", detail=f"score status {sc.status}: {sc.invalid_reason or ''}".strip())]
    out: list[Rejection] = []
    base, human = sc.variants.get("base"), sc.variants.get("human")
    for name, row in (("base", base), ("human", human)):
        failing = [t.command for t in (row.tests if row else []) if not t.passed]
        if row is None or not row.tests:
            out.append(_reject(rule="tests_fail", detail=f"{name}: no test ran"))
        elif failing:
            side = " (base runs with the human's test changes applied)" if name == "base" else ""
            detail = f"{name}{side}: {len(failing)} test command(s) fail: {failing[0]} (output: tests_{name})"
            out.append(_reject(rule="tests_fail", detail=detail))
    if not sc.valid:
        out.append(_reject(rule="human_not_faster", detail=sc.invalid_reason or "score marked it invalid"))
    out += _oracle_rejections(sc.variants.get(ORACLE_ROW))
    if sc.result_check is not None and sc.result_check.weak:
        out.append(_reject(rule="weak_result_check", detail=sc.result_check.weak_reason or "weak"))
    if human is not None and human.heldout is not None and human.heldout.error:
        out.append(_reject(rule="heldout_failed", detail=human.heldout.error))
    return out


def _oracle_rejections(row: VariantScore | None) -> list[Rejection]:
    if row is None or row.outcome is None:
        return [_reject(rule="oracle_mismatch", detail="the oracle's attempt was not scored")]
    o = row.outcome
    if not o.correct:
        return [_reject(rule="oracle_mismatch", detail=f"the oracle is not correct: {o.failure_reason}")]
    if row.match_label == "confident_fail":
        ci = row.rho_ci or [float("nan")] * 2
        return [_reject(rule="oracle_mismatch", detail=f"the oracle's rho CI [{ci[0]:.3f}, {ci[1]:.3f}] is below")]
    return []


# --- one instance ------------------------------------------------------------------------------------


def _tests(builds: list[VariantBuild], variant: str) -> list[TestRun]:
    """A variant's test runs as its build recorded them: with their time and output's tail (a failure's reason)."""
    return next((b.tests for b in builds if b.variant == variant), [])


def build_record(
    cfg: BenchConfig, inst: Instance, sc: InstanceScore, work: State, key: str, times: ValidationTimes
) -> Validation:
    """The validation record of `inst` from its score.json and variant builds in the private state."""
    human, base, oracle = (sc.variants.get(k) for k in ("human", "base", ORACLE_ROW))
    builds = [
        b
        for p in sorted((work.score_dir(inst.instance_id) / "variants").glob("*.json"))
        if (b := read_model(p, VariantBuild)) is not None
    ]
    times.build_s = round(sum(b.build_s or 0.0 for b in builds), 1)
    times.test_s = round(sum(t.seconds or 0.0 for b in builds for t in b.tests), 1)
    walls = [m.wall_s for m in (sc.measurement, sc.heldout.measurement if sc.heldout else None) if m is not None]
    times.timing_s = round(sum(walls), 1)
    rejections = admission(sc)
    return Validation(
        instance_id=inst.instance_id,
        task=inst.task,
        task_file=inst.task_file,
        repo=inst.repo,
        base_commit=inst.base_commit,
        head_commit=inst.head_commit,
        subject=(inst.gt_commit_message.splitlines() or [""])[0],
        key=key,
        instance_key=instance_key(inst),
        admitted=not rejections,
        rejections=rejections,
        admission_min_speedup=cfg.score.admission_min_speedup,
        time_budget_s=cfg.score.time_budget_s,
        timing_mode=sc.timing_mode,
        rounds=sc.measurement.rounds if sc.measurement else None,
        human_speedup=human.speedup if human else None,
        human_speedup_ci=human.speedup_ci if human else None,
        human_classification=human.classification if human else None,
        heldout_speedup=human.heldout.speedup if human and human.heldout else None,
        heldout_speedup_ci=human.heldout.speedup_ci if human and human.heldout else None,
        tests_base=_tests(builds, "base") or (base.tests if base else []),
        tests_human=_tests(builds, "human") or (human.tests if human else []),
        oracle_correct=oracle.outcome.correct if oracle and oracle.outcome else None,
        oracle_rho=oracle.rho if oracle else None,
        oracle_rho_ci=oracle.rho_ci if oracle else None,
        oracle_match_label=oracle.match_label if oracle else None,
        result_check=sc.result_check,
        seconds=times,
        environment=sc.environment,
        validated_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


@dataclass
class Outcome:
    """What `validate` did: the records (new or kept), and the instances it could not validate, with why."""

    records: list[Validation] = field(default_factory=list)
    kept: int = 0
    failed: list[str] = field(default_factory=list)
    interrupted: bool = False


def validate(
    cfg: BenchConfig,
    state: State,
    task_paths: list[Path],
    *,
    sandbox: Sandbox,
    ids: list[str] | None = None,
    force: bool = False,
    plan_fn: Callable[[BenchConfig, State, list[Path]], list[Instance]] | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> Outcome:
    """Validate every instance the task files plan into (`ids`: only those, by id or unique prefix)."""
    work = work_state(state)
    insts = _plan(cfg, work, task_paths, plan_fn)
    if ids:
        insts = [i for i in insts if any(i.instance_id.startswith(x) for x in ids)]
    out = Outcome()
    for inst in insts:
        key = record_key(inst, cfg)
        old = read_model(record_path(state, inst.instance_id), Validation)
        if old is not None and old.key == key and not force:
            out.records.append(old)
            out.kept += 1
            continue
        log(f"validating {inst.instance_id} ({(inst.gt_commit_message.splitlines() or [''])[0][:60]})")
        try:
            rec = validate_one(cfg, work, inst, key, sandbox=sandbox, force=force)
        except KeyboardInterrupt:
            out.interrupted = True
            break
        if isinstance(rec, str):
            out.failed.append(f"{inst.instance_id}: {rec}")
            continue
        write_model(record_path(state, inst.instance_id), rec)
        log(f"  {'admitted' if rec.admitted else 'not admitted'} in {rec.seconds.total_s:.0f} s")
        out.records.append(rec)
    return out


def _plan(
    cfg: BenchConfig, work: State, task_paths: list[Path], plan_fn: Callable[..., list[Instance]] | None
) -> list[Instance]:
    if plan_fn is not None:
        return plan_fn(cfg, work, task_paths)
    from isobench.plan import plan

    return [p.record for p in plan(cfg, work, task_paths)]


def _stale(work: State, iid: str) -> bool:
    """The oracle's attempt answers an earlier preparation (the instance changed since): it must run again."""
    try:
        work.refuse_stale_attempts([(iid, ORACLE)])
    except UserError:
        return True
    return False


def validate_one(
    cfg: BenchConfig, work: State, inst: Instance, key: str, *, sandbox: Sandbox, force: bool
) -> Validation | str:
    """Prepare, run (the oracle) and score one instance on the private state; its record, or why none."""
    from isobench.prepare import prepare
    from isobench.progress import make_reporter, make_score_reporter
    from isobench.run import run
    from isobench.score import score

    oracle = cfg.providers
    times = ValidationTimes()
    t0 = time.monotonic()
    with work.lock("validate"):
        prepare(cfg, work, [inst], oracle, force=force)
        t1 = time.monotonic()
        redo = force or _stale(work, inst.instance_id)
        summary = run(cfg, work, [inst], oracle, make_reporter(quiet=True), sandbox=sandbox, force=redo)
        t2 = time.monotonic()
        if summary.interrupted:
            raise KeyboardInterrupt
        if summary.errors:
            return "the oracle could not run: " + summary.errors[0]
        reporter = make_score_reporter(quiet=True, pair_budget_s=cfg.score.time_budget_s)
        results = score(cfg, work, [inst], sandbox=sandbox, reporter=reporter, force=force)
        t3 = time.monotonic()
    if not results:
        return "score wrote no record"
    times.prepare_s, times.run_s, times.score_s = round(t1 - t0, 1), round(t2 - t1, 1), round(t3 - t2, 1)
    times.total_s = round(t3 - t0, 1)
    return build_record(cfg, inst, results[0], work, key, times)
