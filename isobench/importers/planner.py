"""`isobench plan --from FILE`: a published set's rows as task files under state/imports/, planned through
the normal path (`plan.plan_task`: every check and digest applies), then written with `plan.write_plan`.

A bad file (unknown format, a missing column) is one error before anything is written. A row that cannot
be planned (a value missing, its repository or a commit not found, its patch not applying) is listed with
the reason; the others are planned. A row isobench can plan but not run here is planned with the reason
in the instance's notes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from isobench.config import BenchConfig, load_task
from isobench.errors import UserError, one_line
from isobench.importers import choose
from isobench.importers.base import Converted, Importer, Row, RowError, safe_id
from isobench.importers.reading import read_rows
from isobench.importers.repos import locate, own_clone, synthesize_head
from isobench.plan import Planned, check_score_python, plan_task, write_plan
from isobench.records import Instance
from isobench.state import State


@dataclass
class Imported:
    """What `plan --from` did: the instances planned, and one line per row it could not plan."""

    importer: Importer
    folder: Path
    rows: int
    planned: list[Planned] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass
class _Row:
    n: int
    set_id: str
    instance_id: str
    folder: Path


def file_digest(path: Path) -> str:
    """A short digest of the file's bytes: its rows' task files go to their own folder."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:12]


def plan_from_file(
    cfg: BenchConfig,
    state: State,
    path: Path,
    *,
    set_name: str | None = None,
    repo_root: Path | None = None,
    limit: int | None = None,
    force: bool = False,
) -> Imported:
    """Plan the rows of FILE (the first `limit`); see the module docstring."""
    check_score_python(cfg)
    if repo_root is not None and not repo_root.is_dir():
        raise UserError(f"--repo-root: {repo_root} is not a folder")
    rows, columns = read_rows(path)
    importer = choose(path, columns, set_name)
    rows = rows[:limit] if limit else rows
    out = Imported(importer, state.root / "imports" / f"{importer.name}-{file_digest(path)}", len(rows))
    records: list[Instance] = []
    messages: list[str] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, 1):
        label = f"{path}: row {n}"
        try:
            set_id = importer.identify(row)
            label += f" ({set_id})"
            r = _Row(n, set_id, f"{importer.name}-{safe_id(set_id)}", out.folder / safe_id(set_id))
            if r.instance_id in seen:
                raise RowError(f"the same instance as row {seen[r.instance_id]}")
            row_messages: list[str] = []
            records.append(_plan_row(importer, row, r, path, cfg, state, repo_root, row_messages))
        except (RowError, UserError) as exc:
            out.failed.append(f"{label}: {one_line(str(exc))}")
            continue
        seen[r.instance_id] = n
        messages += row_messages
    out.planned = write_plan(state, records, messages, force=force)
    return out


def _plan_row(
    importer: Importer,
    row: Row,
    r: _Row,
    path: Path,
    cfg: BenchConfig,
    state: State,
    repo_root: Path | None,
    messages: list[str],
) -> Instance:
    """One row: its task file written, its repository resolved (its human commit made if the set gives only
    a patch), planned; the record carries the set's id, repository, API and notes."""
    conv = importer.convert(row, r.folder)
    created = _iso_date(conv.created_at)
    source = locate(conv.repo, repo_root)
    head = conv.head
    if head is None:
        assert conv.patch is not None
        clone = own_clone(source, state)
        source = str(clone)
        ref = f"refs/isobench/imports/{importer.name}/{safe_id(r.set_id)}"
        message = f"{r.set_id}: the expert change of {importer.title}, applied from the row's patch"
        head = synthesize_head(clone, conv.base, conv.patch, ref, message, created)
    task_file = _write_task(importer, conv, r, source, head)
    [record] = plan_task(load_task(task_file), cfg, state, messages, require_workload=conv.has_workload)
    notes = [f"imported from {path} row {r.n}: {importer.title} instance {r.set_id}", *conv.notes]
    return record.model_copy(
        update={"instance_id": r.instance_id, "repo": conv.repo, "api": conv.api, "notes": "\n".join(notes)}
    )


def _write_task(importer: Importer, conv: Converted, r: _Row, repo: str, head: str) -> Path:
    """The row's scripts in its folder and its task file beside it (rewritten as the same bytes each time)."""
    for name, content in conv.files.items():
        dest = r.folder / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(content, encoding="utf-8")
    task = {
        "name": r.instance_id,
        "description": f"The {conv.repo} project.",
        "repo": repo,
        "commits": [{"head": head, "base": conv.base}],
        **conv.task,
    }
    task_file = r.folder.parent / f"{safe_id(r.set_id)}.yaml"
    task_file.parent.mkdir(parents=True, exist_ok=True)
    header = f"# {importer.title}: instance {r.set_id}, written by `isobench plan --from`\n"
    task_file.write_text(header + yaml.safe_dump(task, sort_keys=False, width=1 << 16), encoding="utf-8")
    return task_file


def _iso_date(value: str | None) -> str | None:
    """A row's date as ISO 8601 (what git takes as a commit date), or None when it is not a date."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # A date without a zone is UTC: the commit made from it must be the same on every machine.
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()
