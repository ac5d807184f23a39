"""Git operations isobench needs: resolving commits, splitting a human diff, history-free snapshots."""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import git

# Snapshots get fixed identities and dates so every provider's checkout of an instance has the same
# base commit id, and nothing in it says who or when the human commit was made.
SNAPSHOT_ENV = {
    "GIT_AUTHOR_NAME": "isobench",
    "GIT_AUTHOR_EMAIL": "isobench@localhost",
    "GIT_COMMITTER_NAME": "isobench",
    "GIT_COMMITTER_EMAIL": "isobench@localhost",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00+0000",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00+0000",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}


class GitError(Exception):
    """A git command failed; the message is git's own last line."""


def run_git_bytes(
    args: list[str], cwd: Path | None = None, *, input: bytes | None = None, env: dict[str, str] | None = None
) -> bytes:
    """Run git and return its stdout as bytes (patches: CRLF and non-UTF-8 bytes must survive)."""
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        env={**os.environ, **SNAPSHOT_ENV, **(env or {})},
    )
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(err[-1] if err else f"git {args[0]} failed with exit code {proc.returncode}")
    return proc.stdout


def run_git(
    args: list[str], cwd: Path | None = None, *, input: bytes | None = None, env: dict[str, str] | None = None
) -> str:
    """Run git and return stdout (text). Used for plumbing GitPython has no wrapper for."""
    return run_git_bytes(args, cwd, input=input, env=env).decode(errors="replace")


def patch_text(patch: bytes) -> str:
    """A patch as a str that turns back into the very same bytes (`patch_bytes`), CRLF and all.

    Bytes that are not UTF-8 become lone surrogates (surrogateescape); JSON keeps them as \\udcXX escapes.
    """
    return patch.decode("utf-8", "surrogateescape")


def patch_bytes(patch: str) -> bytes:
    """The bytes of a patch kept as text by `patch_text`."""
    return patch.encode("utf-8", "surrogateescape")


def readable_patch(patch: bytes | str) -> str:
    """A patch for people and datasets: undecodable bytes shown as U+FFFD."""
    raw = patch_bytes(patch) if isinstance(patch, str) else patch
    return raw.decode("utf-8", "replace")


_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")


def is_url(repo: str) -> bool:
    """Whether a task's `repo` is a clone URL (https, ssh, git, file, or scp-like `user@host:path`), not a path."""
    return bool(_URL.match(repo))


def open_repo(path: Path) -> git.Repo:
    """A GitPython Repo; raises GitError naming the path when it is not a git repository."""
    try:
        return git.Repo(path)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError(f"{path} is not a git repository") from None


def resolve_commit(repo: git.Repo, rev: str) -> str:
    """The full sha of a commit-ish, or GitError('unknown commit ...')."""
    try:
        return str(repo.git.rev_parse("--verify", "--quiet", f"{rev}^{{commit}}")).strip()
    except git.GitCommandError:
        raise GitError(f"unknown commit {rev!r}") from None


def first_parent(repo: git.Repo, sha: str) -> str | None:
    parents = repo.commit(sha).parents
    return parents[0].hexsha if parents else None


def matches_any(path: str, patterns: list[str]) -> bool:
    """fnmatch globs where `**/x` also matches a top-level `x`."""
    for pat in patterns:
        if fnmatch.fnmatch(path, pat) or (pat.startswith("**/") and fnmatch.fnmatch(path, pat[3:])):
            return True
    return False


# Source code by language: the human's changes to these are the agent's default target files. Other
# changed files (docs, changelogs, data, build configuration) are the human's non-code changes.
SOURCE_SUFFIXES = frozenset(
    [
        ".py",
        ".pyx",
        ".pxd",
        ".pxi",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".cxx",
        ".hpp",
        ".hh",
        ".hxx",
        ".cu",
        ".cuh",
        ".rs",
        ".go",
        ".java",
        ".kt",
        ".scala",
        ".js",
        ".mjs",
        ".cjs",
        ".ts",
        ".jsx",
        ".tsx",
        ".rb",
        ".php",
        ".cs",
        ".swift",
        ".m",
        ".mm",
        ".f",
        ".f90",
        ".jl",
        ".lua",
        ".zig",
        ".nim",
        ".d",
        ".hs",
        ".ml",
        ".ex",
        ".exs",
        ".erl",
        ".clj",
    ]
)


def is_source_file(path: str) -> bool:
    """Whether `path` is source code (by its suffix), as opposed to docs, data or configuration."""
    return Path(path).suffix.lower() in SOURCE_SUFFIXES


@dataclass
class HumanDiff:
    changed: list[str]  # every path the human changed (both sides of a rename)
    code_files: list[str]  # changed source files, not tests/benchmarks: the default target files
    noncode_files: list[str]  # changed, neither tests nor source: docs, changelogs, data, configuration
    test_files: list[str]  # changed tests/benchmarks
    patch: str  # diff of every non-test file (code and non-code), as patch_text
    test_patch: str  # diff of test_files, as patch_text
    lines_changed: int


def _diff(repo_dir: Path, base: str, head: str, paths: list[str]) -> str:
    if not paths:
        return ""
    out = run_git_bytes(
        [
            "diff",
            "--binary",
            "--no-renames",
            "--no-color",
            "--no-ext-diff",
            base,
            head,
            "--",
            *[f":(literal){p}" for p in paths],
        ],
        cwd=repo_dir,
    )
    return patch_text(out)


def human_diff(repo_dir: Path, base: str, head: str, test_patterns: list[str]) -> HumanDiff:
    """Split base..head into the code patch and the test patch (as SWE-bench does)."""
    out = run_git(["diff", "--numstat", "-z", "--no-renames", base, head], cwd=repo_dir)
    changed: list[str] = []
    lines = 0
    for entry in out.split("\0"):
        if not entry.strip():
            continue
        added, deleted, path = entry.split("\t", 2)
        changed.append(path)
        lines += (int(added) if added.isdigit() else 0) + (int(deleted) if deleted.isdigit() else 0)
    tests = [p for p in changed if matches_any(p, test_patterns)]
    others = [p for p in changed if p not in tests]
    code = [p for p in others if is_source_file(p)]
    noncode = [p for p in others if p not in code]
    return HumanDiff(
        changed, code, noncode, tests, _diff(repo_dir, base, head, others), _diff(repo_dir, base, head, tests), lines
    )


_HUNK_FN = re.compile(r"^@@ [^@]+ @@\s*(?:async\s+)?(?:def|class|fn|func|function)?\s*([A-Za-z_][\w.]*)", re.M)
_ADDED_DEF = re.compile(r"^\+\s*(?:async\s+)?def\s+([A-Za-z_]\w*)", re.M)


def patch_functions(patch: str) -> list[str]:
    """Names of the functions/classes around the hunks of a patch, and functions it adds (best effort)."""
    names = _HUNK_FN.findall(patch) + _ADDED_DEF.findall(patch)
    return sorted(dict.fromkeys(n for n in names if n))


def test_functions(test_patch: str) -> list[str]:
    """Test functions a test patch adds."""
    return sorted(dict.fromkeys(n for n in _ADDED_DEF.findall(test_patch) if n.startswith("test")))


def make_snapshot(source: Path, commit: str, dest: Path, message: str = "base snapshot") -> str:
    """A bare repository holding exactly one orphan commit with `commit`'s tree, and nothing else.

    Only the objects of that tree are copied (rev-list of the tree, packed and indexed), so no later
    commit, ref, tag, reflog or stray object of the source exists in it: the agent cannot `git show`
    the human commit from a checkout made from it. Returns the snapshot commit's sha.
    """
    dest.mkdir(parents=True, exist_ok=True)
    run_git(["init", "-q", "--bare", "-b", "main", str(dest)])
    tree = run_git(["rev-parse", f"{commit}^{{tree}}"], cwd=source).strip()
    objects = run_git(["rev-list", "--objects", tree], cwd=source)
    # GitPython cannot pipe one git's stdout into another's stdin; plain subprocess does it in two calls.
    pack = subprocess.run(
        ["git", "pack-objects", "--stdout", "-q"], cwd=source, input=objects.encode(), capture_output=True, check=True
    ).stdout
    run_git(["index-pack", "--stdin", "--fix-thin"], cwd=dest, input=pack)
    sha = run_git(["commit-tree", tree, "-m", message], cwd=dest).strip()
    run_git(["update-ref", "refs/heads/main", sha], cwd=dest)
    return sha


def clone_snapshot(snapshot: Path, dest: Path) -> None:
    """A working checkout of a snapshot with no trace of where it came from (no remote, no reflog)."""
    run_git(["clone", "-q", "--no-hardlinks", str(snapshot), str(dest)])
    run_git(["remote", "remove", "origin"], cwd=dest)
    run_git(["reflog", "expire", "--expire=now", "--all"], cwd=dest)
    run_git(["config", "user.name", "isobench-agent"], cwd=dest)
    run_git(["config", "user.email", "agent@localhost"], cwd=dest)
