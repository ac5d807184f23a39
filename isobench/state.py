"""The state directory: its layout, atomic writes, the lock, and the records every stage leaves.

Layout (one directory per unit of work; the record file is written last, atomically, and is the
unit's "done" marker)::

    state/
      isobench.lock                       held by the one isobench process that mutates this state
      isobench.lock.pid                   that process's pid (for the "in use" message)
      plan/<instance_id>/instance.json    one planned instance (canonical fields)
      prepare/<instance_id>/base.git/     the base snapshot: one orphan commit, no history
                                          (isobench-snapshot.json is its marker)
      prepare/<instance_id>/<provider>/   prompt.md, prepared.json (the agent config, no key)
      runs/<instance_id>/<provider>/<attempt>/   spec.json, prompt.md, events.jsonl, agent.log,
                                          progress.json, runner_result.json, model_patch.diff,
                                          test_edits.diff, result.json; work.json while it runs;
                                          workspace/ only with `run --keep-work`
      work/<random>/                      a running attempt's workspace, home and runner output
      score/<instance_id>/                envs/<variant>/ (while scored), samples.jsonl,
                                          variants/<name>.json, score.json
      score/.<instance_id>.new/           a redo's new unit until it replaces the old one whole
                                          (see "units replaced whole" below)
      review/<instance_id>/<provider>/<attempt>.json   an attempt's model review (isobench review)
      review/<instance_id>/human.json     the human's patch reviewed as the control
      correlate/correlation.json
      repos/                              clones of task repositories given by URL
      cache/uv/                           the download cache every variant's install shares
      tools/                              the agent runner, copied out of the package

Every record is JSON with `schema_version` and `status`. README.md, "The state directory", says more.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout
from pydantic import ValidationError

from isobench.errors import UserError, one_line
from isobench.jsontypes import JSONObject
from isobench.records import (
    SCHEMA_VERSION,
    Attempt,
    Correlation,
    Instance,
    InstanceScore,
    PreparedUnit,
    Record,
    ReviewRecord,
    Validation,
    VariantBuild,
    migrate,
)

_KINDS: dict[type[Record], str] = {
    Instance: "instance",
    PreparedUnit: "prepared",
    Attempt: "attempt",
    VariantBuild: "variant",
    InstanceScore: "score",
    Correlation: "correlation",
    ReviewRecord: "review",
    Validation: "validation",
}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file so a reader sees the old or the new content, never a torn one (temp + fsync + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp's 0600 would make a shared state unreadable to others
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_record(path: Path, record: JSONObject) -> JSONObject:
    """Stamp `schema_version` and write an untyped JSON record atomically (markers; typed records use
    `write_model`)."""
    record = {"schema_version": SCHEMA_VERSION, **record}
    if "status" not in record:
        raise ValueError(f"record for {path} has no status")
    atomic_write_text(path, json.dumps(record, indent=2, sort_keys=False, default=str) + "\n")
    return record


def read_record(path: Path) -> JSONObject | None:
    """A record, or None if the unit has none yet. A corrupt record is reported, never ignored."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{path}: corrupt record ({exc.msg}); delete it to redo that unit") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: corrupt record (not a JSON object); delete it to redo that unit")
    return data


def read_model[M: Record](path: Path, model: type[M]) -> M | None:
    """A typed record, or None if the unit has none yet. A record of an older isobench is migrated; one of
    a newer isobench, or a corrupt one, is refused with one line naming the file."""
    data = read_record(path)
    if data is None:
        return None
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise UserError(
            f"{path}: written by a newer isobench (record schema {version}; this isobench reads up to "
            f"{SCHEMA_VERSION}); upgrade isobench to use this state directory"
        )
    try:
        return model.model_validate(migrate(_KINDS[model], data))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise UserError(
            f"{path}: corrupt record ({where}: {one_line(err['msg'])}); delete it to redo that unit"
        ) from None


def write_model[M: Record](path: Path, record: M) -> M:
    """Write a typed record atomically, stamped with the current schema version."""
    record.schema_version = SCHEMA_VERSION
    atomic_write_text(path, record.model_dump_json(indent=2) + "\n")
    return record


def fingerprint(*parts: object) -> str:
    """A content hash of a unit's inputs: same inputs, same hash, so finished work is recognised."""
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def remove_tree(path: Path) -> None:
    """Remove a unit's stale partial files before it is redone."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


# --- units replaced whole --------------------------------------------------------------------------
# A redo writes the unit's new files into a hidden sibling (`.<unit>.new`), its record last (the commit
# point), then swaps it in with two renames: `<unit>` -> `.<unit>.old`, `.<unit>.new` -> `<unit>`, and
# removes `.<unit>.old`. Until the commit the old unit stays whole; after it the new one counts, even if a
# crash stops the renames (a reader then reads the staging folder; `recover` finishes the swap).
# One mutating isobench holds the state's lock, so one staging folder per unit is enough.


def pause_point(point: str) -> None:
    """Test hook (the one place it is read): with ISOBENCH_TEST_PAUSE_AT=<point> in the environment, say so
    (create the file $ISOBENCH_TEST_PAUSE_FILE) and sleep, so a test can kill the process exactly there.
    Points: `build`, `tests`, `timing`, `record`, `swap` (score); `record` (prepare, review, correlate, export)."""
    if os.environ.get("ISOBENCH_TEST_PAUSE_AT") != point:
        return
    flag = os.environ.get("ISOBENCH_TEST_PAUSE_FILE")
    if flag:
        Path(flag).write_text(f"{os.getpid()}\n")
    time.sleep(3600)


def staging_of(unit: Path) -> Path:
    """Where a redo of `unit` writes its files: a hidden sibling no reader of the unit looks into."""
    return unit.with_name(f".{unit.name}.new")


def old_copy_of(unit: Path) -> Path:
    """Where the old unit waits, between the two renames of a swap, to be removed."""
    return unit.with_name(f".{unit.name}.old")


def committed_dir(unit: Path, record: str) -> Path:
    """The folder holding a unit's committed record and files, for a reader that takes no lock: the staging
    folder when its record is written but a crash cut the swap short, else the unit itself."""
    staged = staging_of(unit)
    return staged if (staged / record).is_file() else unit


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def swap_in(unit: Path, keep: tuple[str, ...] = ()) -> None:
    """Replace `unit` (record and files) by its staging folder, whose record is written: two renames, then
    the old copy goes. The scratch folders named in `keep` (a unit's working copies and venvs, which must
    not change path) go back from the old copy into the new unit first. A crash between any two steps is
    finished by `recover`."""
    staged, old = staging_of(unit), old_copy_of(unit)
    if unit.exists():  # else a crash came between the renames: the old copy is already aside
        remove_tree(old)
        os.rename(unit, old)
    pause_point("swap")
    os.rename(staged, unit)
    _keep(unit, old, keep)
    _fsync_dir(unit.parent)
    remove_tree(old)


def _keep(unit: Path, old: Path, keep: tuple[str, ...]) -> None:
    for name in keep:
        if (old / name).exists() and unit.is_dir() and not (unit / name).exists():
            os.rename(old / name, unit / name)


def recover(unit: Path, record: str, keep: tuple[str, ...] = ()) -> Path | None:
    """Under the lock, before a unit is read for a redo or collected: finish a swap a crash cut short (the
    staging folder holds its record) or put back an old copy left alone, and remove the old copy. Returns
    the staging folder of a run that died before its record (its builds may be reused), or None."""
    staged, old = staging_of(unit), old_copy_of(unit)
    if (staged / record).is_file():
        swap_in(unit, keep)
    elif old.exists() and not unit.exists():
        os.rename(old, unit)
    _keep(unit, old, keep)
    remove_tree(old)
    return staged if staged.exists() else None


def unit_files(folder: Path, record: str) -> dict[str, str]:
    """The sha256 of every file of a unit but its record (path relative to the unit -> hex digest); left out:
    its scratch (`envs/`, the variants' copies and venvs) and hidden temp files of atomic writes."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if rel.parts[0] == "envs" or p.name.startswith(".") or not p.is_file() or str(rel) == record:
            continue
        h = hashlib.sha256()
        with p.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        out[rel.as_posix()] = h.hexdigest()
    return out


def unit_problem(folder: Path, record: str, files: dict[str, str] | None) -> str | None:
    """Why a unit's files are not the ones its record was made from (one line), or None. A record of an older
    isobench names no files (`files` None): nothing to compare."""
    if files is None:
        return None
    found = unit_files(folder, record)
    for name in sorted(set(found) | set(files)):
        if name not in files:
            return f"{name} does not belong to {record}"
        if name not in found:
            return f"{name}, which {record} was made from, is missing"
        if found[name] != files[name]:
            return f"{name} changed after {record} was written: it does not belong to it"
    return None


def _last_run_id(path: Path) -> str | None:
    """The run id of the last measurement header in a samples file (None: no file or no header)."""
    last = None
    with contextlib.suppress(FileNotFoundError), path.open(encoding="utf-8") as f:
        for line in f:
            if '"header"' in line:
                with contextlib.suppress(json.JSONDecodeError):
                    rec = json.loads(line)
                    if rec.get("type") == "header":
                        last = rec.get("run_id")
    return last


class StateLayout:
    """Where each unit's files lie in one state directory (the layout above). Computing a path does not touch
    the disk."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()

    @property
    def plan_dir(self) -> Path:
        return self.root / "plan"

    def instance_dir(self, iid: str) -> Path:
        return self.plan_dir / iid

    def instance_path(self, iid: str) -> Path:
        return self.instance_dir(iid) / "instance.json"

    def snapshot_dir(self, iid: str) -> Path:
        return self.root / "prepare" / iid / "base.git"

    def prepared_dir(self, iid: str, provider: str) -> Path:
        return self.root / "prepare" / iid / provider

    def attempt_dir(self, iid: str, provider: str, attempt: int) -> Path:
        return self.root / "runs" / iid / provider / str(attempt)

    def score_dir(self, iid: str) -> Path:
        return self.root / "score" / iid

    def review_path(self, iid: str, provider: str | None, attempt: int | None) -> Path:
        """An attempt's review record; with no provider, the human's patch's (the control)."""
        if provider is None or attempt is None:
            return self.root / "review" / iid / "human.json"
        return self.root / "review" / iid / provider / f"{attempt}.json"

    @property
    def correlate_path(self) -> Path:
        return self.root / "correlate" / "correlation.json"


class State(StateLayout):
    """One state directory: its paths (`StateLayout`), the records in it, and its lock. Creating it does not
    touch the disk."""

    # --- records ----------------------------------------------------------------------------------
    def instances(self) -> list[Instance]:
        """Every planned instance, in plan order (then by id)."""
        out = []
        if self.plan_dir.is_dir():
            for d in sorted(self.plan_dir.iterdir()):
                rec = read_model(d / "instance.json", Instance)
                if rec is not None:
                    out.append(rec)
        out.sort(key=lambda r: (r.plan_order, r.instance_id))
        return out

    def instance(self, iid: str) -> Instance:
        rec = read_model(self.instance_path(iid), Instance)
        if rec is None:
            raise UserError(f"{self.root}: no planned instance {iid!r}; run `isobench plan` first")
        return rec

    def select_instances(self, ids: list[str] | None) -> list[Instance]:
        """The instances named (exact id or unique prefix), or all of them; refused when none is planned."""
        all_ = self.instances()
        if not all_:
            raise UserError(f"{self.root}: no planned instances; run `isobench plan` first")
        out = []
        for want in ids or []:
            hits = [r for r in all_ if r.instance_id == want] or [r for r in all_ if r.instance_id.startswith(want)]
            if len(hits) != 1:
                what = "matches no" if not hits else "matches more than one"
                raise UserError(f"--instances: {want!r} {what} planned instance in {self.root}")
            out.append(hits[0])
        return out or all_

    def prepared(self, iid: str, provider: str) -> PreparedUnit | None:
        return read_model(self.prepared_dir(iid, provider) / "prepared.json", PreparedUnit)

    def attempt_result(self, iid: str, provider: str, attempt: int) -> Attempt | None:
        return read_model(self.attempt_dir(iid, provider, attempt) / "result.json", Attempt)

    def attempts(self, iid: str, provider: str) -> list[Attempt]:
        """Every finished attempt record of one (instance, provider), by attempt number."""
        d = self.root / "runs" / iid / provider
        out = []
        if d.is_dir():
            for a in sorted((p for p in d.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)):
                rec = read_model(a / "result.json", Attempt)
                if rec is not None:
                    out.append(rec)
        return out

    def refuse_stale_attempts(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Refuse (one line, nothing done) when an (instance, provider) holds attempts made from an earlier
        preparation of its unit: their results answer an old prompt or old settings. `run` and `score` ask."""
        stale = []
        for iid, provider in pairs:
            prepared = self.prepared(iid, provider)
            if prepared is None:
                continue
            for rec in self.attempts(iid, provider):
                if rec.prepared_fingerprint not in (None, prepared.fingerprint):
                    stale.append((iid, provider, rec.attempt))
        if stale:
            iid, provider, n = stale[0]
            provs = ",".join(sorted({s[1] for s in stale}))
            raise UserError(
                f"{self.root}: {len(stale)} attempt(s) were made before their unit was prepared again (e.g. {iid} "
                f"x {provider} #{n}): their results answer the old prompt or settings; redo them with "
                f"`isobench run --force -p {provs}`"
            )

    def providers_run(self, iid: str) -> list[str]:
        """Providers with attempt folders for an instance, by name."""
        runs = self.root / "runs" / iid
        return sorted(p.name for p in runs.iterdir() if p.is_dir()) if runs.is_dir() else []

    def variant_build(self, iid: str, dirname: str) -> VariantBuild | None:
        folder = committed_dir(self.score_dir(iid), "score.json")
        return read_model(folder / "variants" / f"{dirname}.json", VariantBuild)

    def score_record(self, iid: str) -> InstanceScore | None:
        """An instance's score.json, as committed (see `committed_dir`); None when it has none."""
        unit = self.score_dir(iid)
        for _ in range(3):  # a swap under way may move the folder between looking and reading: look again
            rec = read_model(committed_dir(unit, "score.json") / "score.json", InstanceScore)
            if rec is not None or not staging_of(unit).exists():
                return rec
        return None

    def score_problem(self, iid: str) -> str | None:
        """Why an instance's score.json does not describe the files beside it (one line), or None (also when
        it has no score.json): such a unit is not done, and a plain `score` redoes it."""
        rec = self.score_record(iid)
        if rec is None:
            return None
        folder = committed_dir(self.score_dir(iid), "score.json")
        problem = unit_problem(folder, "score.json", rec.files)
        if problem is None and rec.files is None:  # an older isobench's record: its samples' last run is its own
            held = rec.heldout.measurement if rec.heldout else None
            for m, name in ((rec.measurement, rec.samples_file), (held, "samples-heldout.jsonl")):
                last = _last_run_id(folder / name) if m is not None and name else None
                if m is not None and last is not None and last != m.run_id:
                    return f"{name} holds a later measurement than score.json's: it does not belong to it"
        return problem

    def review_record(self, iid: str, provider: str | None, attempt: int | None) -> ReviewRecord | None:
        """An attempt's model review (`isobench review`), or the human's patch's with `provider` None; None when
        it was not reviewed."""
        return read_model(self.review_path(iid, provider, attempt), ReviewRecord)

    def correlation(self) -> Correlation | None:
        return read_model(self.correlate_path, Correlation)

    def private_paths(self, project_root: Path) -> list[Path]:
        """What no sandboxed command (agent or candidate code) may see: this state directory (other units,
        results), the project folder, and every task repository (the human commit is in their history)."""
        repos = {Path(i.repo_path) for i in self.instances()}
        return [self.root, Path(project_root), *sorted(repos)]

    # --- the lock ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self, command: str) -> Iterator[None]:
        """Hold the state directory for one mutating command; a second process gets a clear refusal.

        An OS file lock (fcntl), so a process killed with -9 releases it and the next run proceeds.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.root / "isobench.lock"), timeout=0)
        pid_file = self.root / "isobench.lock.pid"
        try:
            lock.acquire()
        except Timeout:
            holder = "another isobench process"
            with contextlib.suppress(OSError):
                holder = "isobench pid " + pid_file.read_text().strip()
            raise UserError(
                f"state directory {self.root} is in use by {holder}; wait for it to finish or stop it"
            ) from None
        try:
            atomic_write_text(pid_file, f"{os.getpid()} ({command})\n")
            yield
        finally:
            with contextlib.suppress(OSError):
                pid_file.unlink()
            lock.release()
