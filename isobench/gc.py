"""`isobench gc`: remove from a state directory what no result needs, so it grows with patches and logs.

What goes: agent work folders left by a crash (`work/`), workspaces kept with `run --keep-work`, the
variants' copies and venvs kept with `score --keep-work` (`score/*/envs`), and, with `--cache`, uv's
download cache (`cache/`). What stays: every record, patch, log and timing sample.
"""

from __future__ import annotations

from pathlib import Path

from isobench.state import State, remove_tree


def size(path: Path) -> int:
    """Bytes of the files under `path` (links not followed)."""
    if path.is_file() or path.is_symlink():
        return path.lstat().st_size
    return sum(f.lstat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def collectable(state: State, *, cache: bool = False) -> list[Path]:
    """What `gc` would remove."""
    root = state.root
    paths = [root / "work", *root.glob("runs/*/*/*/workspace"), *root.glob("score/*/envs")]
    if cache:
        paths.append(root / "cache")
    return [p for p in paths if p.exists()]


def gc(state: State, *, cache: bool = False, dry_run: bool = False) -> dict[str, int]:
    """Remove what `collectable` names; path (relative to the state) -> bytes freed."""
    freed = {}
    for p in collectable(state, cache=cache):
        freed[str(p.relative_to(state.root))] = size(p)
        if not dry_run:
            remove_tree(p)
    return freed
