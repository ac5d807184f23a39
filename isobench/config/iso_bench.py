"""ISO-Bench's task files, translated to isobench's keys (they load as they are)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from isobench.errors import UserError

_ISO_UNUSED = ("runner", "env_build", "testpack", "metrics", "agents")


def from_iso_bench(data: dict[str, object], path: Path) -> dict[str, object]:
    """Translate ISO-Bench's task keys (repo.url, repo.human_commit, repo.pairs, ...) to ours."""
    notes = []
    for key in _ISO_UNUSED:
        if key in data:
            data.pop(key)
            notes.append(key)
    repo = data.get("repo")
    if isinstance(repo, dict):
        known = {"url", "human_commit", "pre_commit", "pre_parent_index", "pairs", "commits_file"}
        extra = sorted(set(repo) - known)
        if extra:
            raise UserError(f"{path}: repo.{extra[0]}: unknown key")
        data["repo"] = repo.get("url")
        if data["repo"] is None:
            raise UserError(f"{path}: repo.url: required key is missing")
        given = data.get("commits") or []
        if not isinstance(given, Iterable):
            raise UserError(f"{path}: commits: expected a list of commits")
        commits = list(given)

        def pair(human: object, pre: object, idx: object, where: str) -> dict[str, str]:
            # ISO-Bench's pre_parent_index is 1-based: 1 is the first parent (its resolver returns
            # parents[index - 1]), which is git's `<commit>^1`.
            c = {"head": str(human)}
            if pre is None and idx is not None:
                if not isinstance(idx, int) or isinstance(idx, bool) or idx < 1:
                    raise UserError(f"{path}: {where}.pre_parent_index: expected 1 (first parent), 2, ...; got {idx!r}")
                pre = f"{human}^{idx}"
            if pre:
                c["base"] = str(pre)
            return c

        if repo.get("human_commit"):
            commits.append(pair(repo["human_commit"], repo.get("pre_commit"), repo.get("pre_parent_index"), "repo"))
        for i, p in enumerate(repo.get("pairs") or []):
            if not isinstance(p, dict) or "human" not in p:
                raise UserError(f"{path}: repo.pairs[{i}]: expected a mapping with a `human` commit")
            commits.append(pair(p["human"], p.get("pre"), p.get("pre_parent_index"), f"repo.pairs[{i}]"))
        if repo.get("commits_file"):
            cf = Path(repo["commits_file"])
            cf = cf if cf.is_absolute() else path.parent / cf
            if not cf.is_file():
                raise UserError(f"{path}: repo.commits_file: {cf} not found")
            for line in cf.read_text().splitlines():
                parts = line.split("#", 1)[0].split()
                if not parts:
                    continue
                if len(parts) > 1 and parts[1].startswith("parent="):
                    n = parts[1].split("=", 1)[1]
                    if not n.isdigit() or int(n) < 1:
                        raise UserError(f"{cf}: {parts[1]}: expected parent=1 (first parent), parent=2, ...")
                    c = pair(parts[0], None, int(n), f"{cf.name}")
                elif len(parts) > 1:
                    c = pair(parts[0], parts[1], None, f"{cf.name}")
                else:
                    c = pair(parts[0], None, None, f"{cf.name}")
                commits.append(c)
        data["commits"] = commits
    oc = data.get("optimization_contract")
    if isinstance(oc, dict) and oc.get("target_files") == []:
        oc.pop("target_files")
    if notes:
        print(
            f"isobench: note: {path}: ISO-Bench key(s) {', '.join(notes)} are not used by isobench and were ignored",
            file=sys.stderr,
        )
    return data
