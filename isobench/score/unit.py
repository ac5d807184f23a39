"""An instance's score unit (`score/<iid>/`: score.json, variants/*.json, samples*.jsonl) replaced whole.

A score run writes its records and samples into the unit's staging folder (`score/.<iid>.new/`, see
`isobench.state`), never into the unit: until its score.json is written there and swapped in, the last
score.json stays beside exactly the files it was made from. The variants' copies and venvs are scratch,
not part of the unit: they are built in `score/<iid>/envs/` and stay at that path through the swap (a venv
cannot move: its scripts and editable installs name their own path). The staging folder starts as a copy
of the unit's files, so every earlier measurement's samples stay (the kept rows of `score -p` name them;
correlate's run-to-run figures read them), and score.json names the sha256 of each file
(`InstanceScore.files`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from isobench.records import InstanceScore
from isobench.state import State, pause_point, recover, remove_tree, staging_of, swap_in, unit_files, write_model

RECORD = "score.json"
SAMPLES_GLOB = "samples*.jsonl"
SCRATCH = ("envs",)
"""What stays at the unit's own path through a swap (the variants' copies and venvs)."""


def staged(state: State, iid: str) -> Path:
    """The folder a score run of `iid` writes its variants' records and its samples into."""
    return staging_of(state.score_dir(iid))


def settle(state: State, iid: str) -> None:
    """Under the lock: finish a swap a crash cut short, so the unit read next is the last one committed."""
    recover(state.score_dir(iid), RECORD, SCRATCH)


def discard(state: State, iid: str) -> None:
    """Remove what a run that died before its score.json left (nothing in it was committed)."""
    settle(state, iid)
    remove_tree(staged(state, iid))


def begin(state: State, iid: str, *, reuse_builds: bool = True) -> Path:
    """Under the lock, before an instance is scored: its staging folder, holding the committed unit's files
    (when they are its record's own). A dead run's staging folder is taken over with `reuse_builds` (its
    variants' records are reused where still current and their copies are still there; its samples, never
    committed, go), else removed first."""
    unit = state.score_dir(iid)
    folder = recover(unit, RECORD, SCRATCH)
    if folder is not None and not reuse_builds:
        remove_tree(folder)
        folder = None
    if folder is None:
        folder = staged(state, iid)
        (folder / "variants").mkdir(parents=True)
    for p in folder.glob(SAMPLES_GLOB):
        p.unlink()
    if state.score_record(iid) is not None and state.score_problem(iid) is None:
        for p in unit.glob(SAMPLES_GLOB):
            shutil.copyfile(p, folder / p.name)
        (folder / "variants").mkdir(exist_ok=True)
        for p in (unit / "variants").glob("*.json"):
            if not (folder / "variants" / p.name).exists():
                shutil.copyfile(p, folder / "variants" / p.name)
    return folder


def commit(state: State, iid: str, record: InstanceScore) -> InstanceScore:
    """Write score.json, naming the files it was made from, into the staging folder (the commit point) and
    swap the staging folder in for the unit."""
    folder = staged(state, iid)
    record.files = unit_files(folder, RECORD)
    pause_point("record")
    write_model(folder / RECORD, record)
    swap_in(state.score_dir(iid), SCRATCH)
    return record
