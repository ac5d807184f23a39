"""`plan`: turn task files into instances (base commit, human head, patches, workload, tests).

Everything is resolved in memory first; records are written only when every task resolved, so an
error leaves the state directory as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypedDict

import git

from isobench import asv
from isobench.config import BenchConfig, CommitSpec, DiscoverSpec, TaskFile, load_task
from isobench.config.task import COMMAND_FIELDS, HELDOUT_FIELDS, AsvKey
from isobench.errors import UserError, one_line
from isobench.gitutil import (
    GitError,
    HumanDiff,
    first_parent,
    human_diff,
    is_url,
    open_repo,
    patch_functions,
    resolve_commit,
    test_functions,
)
from isobench.plan_checks import (
    RepoTree,
    check_callable,
    check_python,
    heldout_shown,
    named_test_files,
    outside_files,
    program_warnings,
    resolve_python,
    result_warning,
    test_patterns_for,
)
from isobench.records import AsvSuite, Instance
from isobench.state import State, fingerprint, read_model, write_model
from isobench.workload import script_workload

# The command keys whose files the agent sees (the held-out workload's it never does).
SHOWN_COMMAND_FIELDS = tuple(k for k in COMMAND_FIELDS if k not in HELDOUT_FIELDS)


@dataclass
class Planned:
    record: Instance
    action: str  # "new" | "updated" | "unchanged"


def repo_name(repo: str) -> str:
    name = repo.rstrip("/").split("/")[-1].split(":")[-1]
    name = name[:-4] if name.endswith(".git") else name
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "repo"


def resolve_repo_path(task: TaskFile, state: State) -> Path:
    """The local repository a task names: a path (relative to the task file) or a clone URL.

    A URL is cloned once into state/repos/ (this needs the network; later plans reuse the clone).
    """
    if is_url(task.repo):
        dest = state.root / "repos" / f"{repo_name(task.repo)}.git"
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            proc = subprocess.run(
                ["git", "clone", "--bare", "-q", task.repo, str(dest)], capture_output=True, text=True
            )
            if proc.returncode != 0:
                last = (proc.stderr.strip().splitlines() or ["git clone failed"])[-1]
                raise UserError(f"{task.source}: repo: cannot clone {task.repo}: {one_line(last)}")
        return dest
    path = Path(task.repo).expanduser()
    return (path if path.is_absolute() else task.source.parent / path).resolve()


def discover_commits(repo: git.Repo, spec: DiscoverSpec) -> list[str]:
    """Human optimization commits found in the history, newest first (see DiscoverSpec)."""
    rx = re.compile(spec.message_regex, re.I) if spec.message_regex else None
    kwargs: dict[str, Any] = {"no_merges": True}
    if spec.since:
        kwargs["since"] = spec.since
    if spec.until:
        kwargs["until"] = spec.until
    excluded = tuple(spec.exclude)
    found: list[str] = []
    for c in repo.iter_commits(spec.rev, paths=spec.paths or "", **kwargs):
        if not c.parents or c.hexsha.startswith(excluded):
            continue
        if rx and not rx.search(str(c.message)):
            continue
        if spec.max_files_changed is not None or spec.min_lines_changed or spec.max_lines_changed:
            stats = c.stats.total
            if spec.max_files_changed is not None and stats["files"] > spec.max_files_changed:
                continue
            if spec.min_lines_changed and stats["lines"] < spec.min_lines_changed:
                continue
            if spec.max_lines_changed and stats["lines"] > spec.max_lines_changed:
                continue
        found.append(c.hexsha)
        if len(found) >= spec.limit:
            break
    return found


def _pick[T](override: T | None, default: T | None) -> T | None:
    """A per-commit override, else the task-level value."""
    return override if override is not None else default


def _key(commit: CommitSpec, where: str, key: str) -> str:
    """Where a key was set, for an error message: the commit's own, else the task's."""
    return f"{where}.{key}" if getattr(commit, key) is not None else key


def _workload_files(paths: list[str], src: Path, where: str) -> list[str]:
    """Absolute paths of a task's outside workload files; each must exist."""
    out = []
    for p in paths:
        path = Path(p).expanduser()
        path = (path if path.is_absolute() else src.parent / path).resolve()
        if not path.exists():
            raise UserError(f"{src}: {where}: {path} not found")
        out.append(str(path))
    return out


def not_fingerprinted(r: Instance) -> set[str]:
    """Keys an instance's fingerprint leaves out: bookkeeping, and the held-out keys of an instance that has
    none (so instances planned before they existed keep their fingerprints and their scores)."""
    out = {"plan_order", "status", "fingerprint", "planned_at", "schema_version"}
    if not r.heldout_efficiency_test and not r.heldout_workload_files:
        out |= {"heldout_efficiency_test", "heldout_workload_files", "heldout_digest"}
    if r.asv is None:
        out.add("asv")
    return out


def each_file(paths: list[str]) -> list[Path]:
    """The files that workload `paths` name: a file itself, a folder's files (sorted, at any depth)."""
    out: list[Path] = []
    for p in paths:
        root = Path(p)
        out += [root] if root.is_file() else sorted(f for f in root.rglob("*") if f.is_file())
    return out


def files_digest(paths: list[str]) -> str | None:
    """One hash of the contents of files and folders: a changed workload script re-plans the instance."""
    if not paths:
        return None
    h = hashlib.sha256()
    for f in each_file(paths):
        h.update(str(f).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _python(python: str | None, src: Path, where: str) -> str | None:
    """A task's interpreter as an absolute path (a bare name is looked up on PATH); it must run."""
    if python is None:
        return None
    path = resolve_python(python, src.parent)
    if path is None:
        raise UserError(f"{src}: {where}: {python} not found")
    check_python(str(path), f"{src}: {where}")
    return str(path)


def check_score_python(cfg: BenchConfig) -> None:
    """bench.yaml's score.python, resolved as `score` resolves it, must exist and run."""
    if cfg.score.python is None:
        return
    path = cfg.resolve(cfg.score.python)
    if not path.is_file():
        raise UserError(f"{cfg.source}: score.python: {path} not found")
    check_python(str(path.absolute()), f"{cfg.source}: score.python")


class _Labels:
    """Where a key of one commit was set, for messages: `t.yaml: commits[0].tests[1] (head 0123456789ab)` when
    the commit sets it, `t.yaml: tests[1] (commits[0], head 0123456789ab)` when the task does."""

    def __init__(self, src: Path, c: CommitSpec, where: str, head: str) -> None:
        self.src, self.c, self.where, self.head = src, c, where, head[:12]

    def field(self, label: str) -> str:
        key = label.split("[", 1)[0]
        return f"{self.where}.{label}" if getattr(self.c, key, None) is not None else label

    def error(self, label: str) -> str:
        """For errors: names the file, the key and the commit."""
        if getattr(self.c, label.split("[", 1)[0], None) is not None:
            return f"{self.src}: {self.field(label)} (head {self.head})"
        return f"{self.src}: {label} ({self.where}, head {self.head})"

    def note(self, label: str) -> str:
        """For notes and warnings: a task-level key's message is the same for every commit (printed once)."""
        return f"{self.src}: {self.field(label)}"


def _commands(c: CommitSpec, task: TaskFile, keys: tuple[str, ...] = SHOWN_COMMAND_FIELDS) -> list[tuple[str, str]]:
    """(label, command) of every command of these keys for one commit: [("tests[0]", "pytest -q"), ...]."""
    return [
        (f"{k}[{i}]", cmd) for k in keys for i, cmd in enumerate(_pick(getattr(c, k, None), getattr(task, k)) or [])
    ]


def plan_task(
    task: TaskFile, cfg: BenchConfig, state: State, messages: list[str] | None = None, *, require_workload: bool = True
) -> list[Instance]:
    """Resolve one task file into instance records (not written); notes and warnings go to `messages`.

    `require_workload=False` plans a commit with no workload (an imported row whose workload isobench cannot
    time yet; its importer records why in the instance's notes)."""
    src = task.source
    repo_dir = resolve_repo_path(task, state)
    try:
        repo = open_repo(repo_dir)
    except GitError as exc:
        raise UserError(f"{src}: repo: {exc}") from None

    specs: list[tuple[str, CommitSpec | None]] = [(f"commits[{i}]", c) for i, c in enumerate(task.commits)]
    if task.discover is not None:
        try:
            shas = discover_commits(repo, task.discover)
        except git.GitCommandError as exc:
            raise UserError(f"{src}: discover: {one_line(exc.stderr or str(exc))}") from None
        listed = set()
        for _, c in specs:
            with contextlib.suppress(GitError):
                listed.add(resolve_commit(repo, c.head))  # type: ignore[union-attr]
        specs += [(f"discover ({sha[:10]})", CommitSpec(head=sha)) for sha in shas if sha not in listed]

    out = messages if messages is not None else []
    records = []
    for where, c in specs:
        assert c is not None
        records.append(_plan_commit(task, cfg, repo, repo_dir, where, c, out, require_workload))
    return records


def _resolve_pair(repo: git.Repo, repo_dir: Path, src: Path, where: str, c: CommitSpec) -> tuple[str, str]:
    """(base, head) of one commit entry."""
    try:
        head = resolve_commit(repo, c.head)
    except GitError as exc:
        raise UserError(f"{src}: {where}.head: {exc} in repository {repo_dir}") from None
    if c.base is not None:
        try:
            base = resolve_commit(repo, c.base)
        except GitError as exc:
            raise UserError(f"{src}: {where}.base: {exc} in repository {repo_dir}") from None
    else:
        parent = first_parent(repo, head)
        if parent is None:
            raise UserError(f"{src}: {where}.head: commit {head[:12]} has no parent; give `base:` explicitly")
        base = parent
    if base == head:
        raise UserError(f"{src}: {where}: base and head are the same commit {head[:12]}")
    return base, head


def _plan_commit(
    task: TaskFile,
    cfg: BenchConfig,
    repo: git.Repo,
    repo_dir: Path,
    where: str,
    c: CommitSpec,
    messages: list[str],
    require_workload: bool = True,
) -> Instance:
    """One instance: the commit pair, the human diff split into code and tests, and the checks of
    `isobench.plan_checks` (errors raised, notes and warnings appended to `messages`)."""
    src = task.source
    base, head = _resolve_pair(repo, repo_dir, src, where, c)
    labels = _Labels(src, c, where, head)
    efficiency_test = _pick(c.efficiency_test if c else None, task.efficiency_test) or []
    workload_callable = _pick(c.workload_callable if c else None, task.workload_callable)
    asv_key = _pick(c.asv if c else None, task.asv)
    if require_workload and not efficiency_test and not workload_callable and asv_key is None:
        raise UserError(
            f"{src}: {where} (head {head[:12]}): no workload: give `efficiency_test` "
            "(and/or `workload_callable`, or `asv`) for the task or this commit"
        )
    tests = _pick(c.tests if c else None, task.tests) or []
    if not tests:
        raise UserError(
            f"{src}: {where} (head {head[:12]}): no `tests`: the correctness gate needs at least one test command"
        )
    tree = RepoTree(repo_dir, base, head)
    suite = _asv_suite(asv_key, tree, labels, messages) if asv_key is not None else None
    # The files the test commands run are tests whatever their names (pyparsing's src/unitTests.py).
    test_patterns = [*task.test_patterns, *test_patterns_for(named_test_files(tests, tree))]
    diff = human_diff(repo_dir, base, head, test_patterns)
    if not diff.changed:
        raise UserError(f"{src}: {where}: {base[:12]}..{head[:12]} changes no file")
    targets = _targets(task, c, diff, f"{src}: {where} (head {head[:12]})")
    workload_files = _workload_files(
        _pick(c.workload_files if c else None, task.workload_files) or [], src, _key(c, where, "workload_files")
    )
    outside = outside_files(_commands(c, task), repo_dir, workload_files, labels.error)
    for label, path in outside.declare:
        workload_files.append(path)
        messages.append(
            f"isobench: note: {labels.note(label)}: {path} is outside the repository and not in workload_files: "
            "declared it (shown read-only to the agent and every variant; its content is part of the instance)"
        )
    messages += [f"isobench: warning: {labels.note(label)}: {w}" for label, w in outside.warnings]
    heldout_files = _heldout_files(task, c, repo_dir, where, labels, workload_files, messages)
    python = _python(_pick(c.python if c else None, task.python), src, _key(c, where, "python"))
    if workload_callable:
        check_callable(workload_callable, tree, diff.test_files, labels.error("workload_callable"))
    messages += _warnings(task, c, cfg, tree, labels, efficiency_test if not workload_callable else [])
    name = repo_name(task.repo)
    return Instance(
        instance_id=f"{name}-{head[:10]}",
        repo=name,
        repo_path=str(repo_dir),
        task=task.name,
        task_file=str(src),
        description=task.description,
        base_commit=base,
        head_commit=head,
        **_commit_fields(repo, head, diff),
        efficiency_test=list(efficiency_test),
        workload_callable=workload_callable,
        tests=list(tests),
        target_files=list(targets),
        test_patterns=test_patterns,
        workload_files=workload_files,
        workload_digest=files_digest(workload_files),
        heldout_workload_files=heldout_files,
        heldout_digest=files_digest(heldout_files),
        asv=suite,
        python=python,
        **_task_fields(task, c),
        setting=cfg.setting,
        api=None,
        notes=None,
    )


def _targets(task: TaskFile, c: CommitSpec, diff: HumanDiff, where: str) -> list[str]:
    """The agent's target files: given (`target_files`, the contract's), else the code files the human changed."""
    contract = _pick(c.optimization_contract if c else None, task.optimization_contract)
    targets = (
        _pick(c.target_files if c else None, task.target_files)
        or (contract.target_files if contract else None)
        or diff.code_files
    )
    if not targets:
        others = [*diff.test_files, *diff.noncode_files]
        raise UserError(
            f"{where}: the human changed no source file (only {', '.join(others[:3])}); give `target_files`"
        )
    return list(targets)


def _warnings(
    task: TaskFile, c: CommitSpec, cfg: BenchConfig, tree: RepoTree, labels: _Labels, script_commands: list[str]
) -> list[str]:
    """Warnings while planning goes on: programs the variant's environment will probably lack, and a workload
    script that keeps no result to compare (`script_commands`: the shown workload when it is a script)."""
    out = []
    installs = [cmd for _, cmd in _commands(c, task, ("setup_commands", "install_commands"))]
    for label, warning in program_warnings(
        _commands(c, task, ("tests", "efficiency_test", "heldout_efficiency_test")),
        installs,
        tree,
        system_site_packages=cfg.score.system_site_packages,
    ):
        out.append(f"isobench: warning: {labels.note(label)}: {warning}")
    script = script_workload(script_commands) if script_commands else None
    if script is not None and (weak := result_warning(script.path(), tree)):
        out.append(f"isobench: warning: {labels.note('efficiency_test')}: {weak}")
    return out


class CommitFields(TypedDict):
    created_at: str
    gt_commit_message: str
    patch: str
    test_patch: str
    changed_files: list[str]
    test_files: list[str]
    noncode_files: list[str]
    lines_changed: int
    patch_functions: list[str]
    test_functions: list[str]


class TaskFields(TypedDict):
    setup_commands: list[str]
    install_commands: list[str]
    heldout_efficiency_test: list[str]
    workload_timing: Literal["auto", "whole_process"]
    workload_output: Literal["compare", "ignore"]
    constraints: list[str]
    strict_targets: bool
    scoring_primary: str | None


def _commit_fields(repo: git.Repo, head: str, diff: HumanDiff) -> CommitFields:
    """The instance's fields that come from the human commit and its diff."""
    hc = repo.commit(head)
    return {
        "created_at": datetime.fromtimestamp(hc.committed_date, UTC).isoformat(),
        "gt_commit_message": str(hc.message).strip(),
        "patch": diff.patch,
        "test_patch": diff.test_patch,
        "changed_files": diff.changed,
        "test_files": diff.test_files,
        "noncode_files": diff.noncode_files,
        "lines_changed": diff.lines_changed,
        "patch_functions": patch_functions(diff.patch),
        "test_functions": test_functions(diff.test_patch),
    }


def _task_fields(task: TaskFile, c: CommitSpec) -> TaskFields:
    """The instance's fields the task file (or the commit's overrides) gives as they are."""
    contract = _pick(c.optimization_contract if c else None, task.optimization_contract)
    scoring = _pick(c.scoring if c else None, task.scoring)
    return {
        "setup_commands": list(_pick(c.setup_commands if c else None, task.setup_commands) or []),
        "install_commands": list(_pick(c.install_commands if c else None, task.install_commands) or []),
        "heldout_efficiency_test": list(
            _pick(c.heldout_efficiency_test if c else None, task.heldout_efficiency_test) or []
        ),
        "workload_timing": _pick(c.workload_timing if c else None, task.workload_timing) or "auto",
        "workload_output": _pick(c.workload_output if c else None, task.workload_output) or "compare",
        "constraints": list(contract.constraints) if contract else [],
        "strict_targets": bool(contract.strict_targets) if contract else False,
        "scoring_primary": scoring.primary if scoring else None,
    }


def _asv_suite(key: AsvKey, tree: RepoTree, labels: _Labels, messages: list[str]) -> AsvSuite:
    """The task's asv suite at the base commit (`isobench/asv.py`); the benchmarks it skips are noted."""
    try:
        suite = asv.discover(tree.base_files, tree.show, key.config, key.bench)
    except asv.AsvError as exc:
        raise UserError(f"{labels.src}: {labels.where} (head {labels.head}): {exc}") from None
    messages += [f"isobench: note: {labels.note('asv')}: skipped {why}" for why in suite.skipped]
    return suite


def _heldout_files(
    task: TaskFile,
    c: CommitSpec,
    repo_dir: Path,
    where: str,
    labels: _Labels,
    workload_files: list[str],
    messages: list[str],
) -> list[str]:
    """The held-out workload's files outside the repository (its commands' own, declared as workload_files
    are); none may be among the files the agent sees."""
    src = task.source
    key = _key(c, where, "heldout_workload_files")
    heldout = _workload_files(
        _pick(c.heldout_workload_files if c else None, task.heldout_workload_files) or [], src, key
    )
    outside = outside_files(
        _commands(c, task, ("heldout_efficiency_test",)), repo_dir, [*workload_files, *heldout], labels.error
    )
    for label, path in outside.declare:
        heldout.append(path)
        messages.append(
            f"isobench: note: {labels.note(label)}: {path} is outside the repository and not in "
            "heldout_workload_files: declared it (shown read-only to the variants score times, never to the "
            "agent; its content is part of the instance)"
        )
    messages += [f"isobench: warning: {labels.note(label)}: {w}" for label, w in outside.warnings]
    shown = heldout_shown(heldout, workload_files)
    if shown:
        path, holder = shown[0]
        raise UserError(
            f"{labels.error('heldout_workload_files')}: {path} is inside {holder}, which the agent sees "
            "(workload_files, or a file the shown commands name): keep held-out files elsewhere"
        )
    return heldout


def plan(cfg: BenchConfig, state: State, task_paths: list[Path], *, force: bool = False) -> list[Planned]:
    """Plan every task file given; write one record per instance (unchanged ones are left alone).

    Notes and warnings (a workload file declared automatically, a test program nothing installs) go to
    stderr once every task has resolved: an error is then the only line printed, and nothing is written.
    """
    check_score_python(cfg)
    records: list[Instance] = []
    messages: list[str] = []
    for path in task_paths:
        task = load_task(path)
        records.extend(plan_task(task, cfg, state, messages))
    return write_plan(state, records, messages, force=force)


def write_plan(state: State, records: list[Instance], messages: list[str], *, force: bool = False) -> list[Planned]:
    """Write resolved instance records (in this order) and print `messages` to stderr; a record whose
    fingerprint is unchanged is left alone unless `force`. Raises UserError, writing nothing, when two
    records are the same instance."""
    seen: dict[str, str] = {}
    for r in records:
        if r.instance_id in seen:
            raise UserError(
                f"{r.task_file}: commit {r.head_commit[:12]} is planned twice (also from {seen[r.instance_id]})"
            )
        seen[r.instance_id] = r.task_file
    for message in dict.fromkeys(messages):  # a task-level key's note is the same for all its commits
        print(message, file=sys.stderr)

    out = []
    for order, r in enumerate(records):
        r.plan_order = order
        r.fingerprint = fingerprint(r.model_dump(exclude=not_fingerprinted(r)))
        existing = state.instance_path(r.instance_id)
        old = read_model(existing, Instance)
        if old is not None and old.fingerprint == r.fingerprint and not force:
            out.append(Planned(old, "unchanged"))
            continue
        r.planned_at = datetime.now(UTC).isoformat(timespec="seconds")
        write_model(existing, r)
        out.append(Planned(r, "updated" if old is not None else "new"))
    return out
