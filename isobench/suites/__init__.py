"""The suites isobench ships: task files, workloads and validation records as package data.

`isobench plan --suite python` plans one from the network (each task's `repo` is a public clone URL with
pinned commits); `--repo-root DIR` plans it offline from local clones (`DIR/owner+name`, `DIR/name`, or the
fetch tool's `DIR/owner+name/repo`), copied into the state's `repos/` where `plan` would have cloned the URL,
so the instance ids are the same either way.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from isobench.config.task import load_task
from isobench.errors import UserError, one_line
from isobench.state import State

if TYPE_CHECKING:
    from isobench.config import BenchConfig
    from isobench.plan import Planned

HERE = Path(__file__).resolve().parent
SUITES = ("python",)
"""The suites shipped: each a folder here holding its task files (`*.yaml`), `workloads/` and `validation/`."""


def suite_dir(name: str) -> Path:
    """The suite's folder; one line naming the known suites when `name` is not one."""
    if name not in SUITES:
        raise UserError(f"--suite: {name!r} is not a suite isobench ships (known: {', '.join(SUITES)})")
    return HERE / name


def suite_tasks(name: str) -> list[Path]:
    """The suite's task files, in name order."""
    return sorted(p for p in suite_dir(name).glob("*.yaml") if p.name != "suite.yaml")


def validation_dir(name: str) -> Path:
    """Where the suite's committed validation records are (`isobench validate --suite` writes them there
    with `--commit-records`)."""
    return suite_dir(name) / "validation"


def seed_clones(state: State, tasks: list[Path], repo_root: Path) -> None:
    """Copy each task's repository from a local clone under `repo_root` into `state/repos/`, where `plan`
    clones a URL to (and then finds it, without the network). UserError naming the task when none is found."""
    from isobench.importers.base import RowError
    from isobench.importers.repos import locate
    from isobench.plan import repo_name

    if not repo_root.is_dir():
        raise UserError(f"--repo-root: {repo_root} is not a folder")
    for path in tasks:
        task = load_task(path)
        dest = state.root / "repos" / f"{repo_name(task.repo)}.git"
        if dest.exists():
            continue
        try:
            source = locate(task.repo, repo_root)
        except RowError as exc:
            raise UserError(f"{path}: repo: {exc}") from None
        dest.parent.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            ["git", "clone", "--bare", "-q", "--local", source, str(dest)], capture_output=True, text=True
        )
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["git clone failed"])[-1]
            raise UserError(f"{path}: repo: cannot copy the clone {source}: {last}")


def plan_suite(
    cfg: BenchConfig, state: State, name: str, repo_root: Path | None = None, *, force: bool = False
) -> tuple[list[Planned], list[str]]:
    """Plan the suite's admitted instances (every one while the suite has no validation record yet); the
    others are named with why they were left out (their records' rejections)."""
    from isobench.plan import check_score_python, plan_task, write_plan
    from isobench.records import Validation
    from isobench.state import read_model
    from isobench.validate import instance_key

    paths = suite_tasks(name)
    if repo_root is not None:
        seed_clones(state, paths, repo_root)
    check_score_python(cfg)
    messages: list[str] = []
    insts = [i for p in paths for i in plan_task(load_task(p), cfg, state, messages)]
    recs = {r.instance_id: r for p in validation_dir(name).glob("*.json") if (r := read_model(p, Validation))}
    keep, left = [], []
    for inst in insts:
        rec = recs.get(inst.instance_id)
        stale = rec is not None and rec.instance_key != instance_key(inst)
        if not recs or (rec is not None and rec.admitted and not stale):
            keep.append(inst)
            continue
        if stale:
            why = "its validation record is of another version of the instance: run `isobench validate --suite` again"
        elif rec is not None:
            why = "; ".join(f"{x.rule}: {one_line(x.detail)}" for x in rec.rejections)
        else:
            why = "not validated"
        left.append(f"{inst.instance_id}: left out of the {name} suite ({why})")
    return write_plan(state, keep, messages, force=force), left
