"""`isobench gc`: remove from a state directory what no result needs, so it grows with patches and logs.

What goes: agent work folders left by a crash (`work/`), workspaces kept with `run --keep-work`, the
variants' copies and venvs kept with `score --keep-work` (`score/*/envs`), what a score run that died
before its score.json left (`score/.<iid>.new`, `score/.<iid>.old`: a swap a crash cut short after the
commit is finished instead), and, with `--cache`, uv's download cache (`cache/`). What stays: every record,
patch, log and timing sample. A unit whose record does not describe the files beside it is reported
(`inconsistent`), not removed: a plain `score` redoes it.
"""

from __future__ import annotations

from pathlib import Path

from isobench.state import State, committed_dir, old_copy_of, recover, remove_tree, staging_of


def size(path: Path) -> int:
    """Bytes of the files under `path` (links not followed)."""
    if path.is_file() or path.is_symlink():
        return path.lstat().st_size
    return sum(f.lstat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def collectable(state: State, *, cache: bool = False) -> list[Path]:
    """What `gc` would remove."""
    root = state.root
    paths = [root / "work", *root.glob("runs/*/*/*/workspace"), *root.glob("score/[!.]*/envs")]
    for iid in score_units(state):
        unit = state.score_dir(iid)
        if committed_dir(unit, "score.json") == unit:  # not a committed new unit waiting for its rename
            paths.append(staging_of(unit))
        paths.append(old_copy_of(unit))
    if cache:
        paths.append(root / "cache")
    return [p for p in paths if p.exists()]


def score_units(state: State) -> list[str]:
    """The instance ids of every score unit on disk, committed or staged."""
    folder = state.root / "score"
    names = {p.name for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else set()
    for name in list(names):
        for suffix in (".new", ".old"):
            if name.startswith(".") and name.endswith(suffix):
                names.discard(name)
                names.add(name[1 : -len(suffix)])
    return sorted(names)


def inconsistent(state: State) -> dict[str, str]:
    """Units whose record does not describe the files beside it: path (relative to the state) -> why."""
    return {f"score/{iid}": problem for iid in score_units(state) if (problem := state.score_problem(iid)) is not None}


def gc(state: State, *, cache: bool = False, dry_run: bool = False) -> dict[str, int]:
    """Remove what `collectable` names; path (relative to the state) -> bytes freed. A swap a crash cut short
    after its commit is finished first (not with `dry_run`)."""
    if not dry_run:
        for iid in score_units(state):
            recover(state.score_dir(iid), "score.json")
    freed = {}
    for p in collectable(state, cache=cache):
        freed[str(p.relative_to(state.root))] = size(p)
        if not dry_run:
            remove_tree(p)
    return freed
