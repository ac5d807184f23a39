"""isobench's embedded demo repository: `textkit`, a tiny pure-Python text toolkit whose history holds
four real human optimization commits of clearly different size.

    python -m isobench.demo_repo [DEST] [--force]      # DEST defaults to ./tasks/demo-repo

The repository's content is package data, isobench/demo/: history.yaml lists the commits (oldest
first; each commit's first parent is the one before it) and names one folder per commit holding the
files it adds or changes, in full, at their real paths. This module only turns them into commits:

    01-initial-import  Initial import of textkit 0.1.0    (the hot paths slow; an asv suite)
    02-opt-small       Speed up slugify (#12)             ~1.5x: precompiled regexes, skip NFKD for ASCII
    03-readme-api      Document the public API (#13)      (docs only)
    04-opt-medium      Speed up wrap (#15)                ~3-4x: running line length instead of re-summing
    05-opt-large       Speed up stopword removal (#17)    ~10x: frozenset membership instead of a tuple scan
    06-add-ngrams      Add word n-gram counting (#18)     (a new module, its tests and benchmarks)
    07-opt-ngrams      Speed up n-gram counting (#19)     ~2x (~1.6x as a whole process): zip, not growing tuples
    08-release-0.2.0   Release 0.2.0                      (later work the harness must hide from agents)

`tasks/demo.yaml` times the first three in-process (`workload_callable`) and `opt-ngrams` as a whole
`python -m benchmarks.run ngrams` process, so the demo exercises both timing modes. Every commit also has
an asv suite (asv.conf.json, benchmarks/bench_textkit.py) of several benchmarks, one of which
(`time_tokenize`) no human commit moves. `isobench init` builds the same repository as its example.
Every name, email, date and git setting is fixed and the user's git configuration is ignored, so the
commit shas are the same on every machine; a marker in .git lets a second run do nothing. Tested by
tests/test_demo_repo.py.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

DEFAULT_DEST = Path("tasks") / "demo-repo"  # relative to the current folder (a project's root)
MARKER = "isobench-demo.json"  # inside .git, so it is never part of a commit
DATA = "demo"  # the package-data folder inside isobench/
HISTORY_FILE = "history.yaml"
# Bump when the way commits are made changes (not their content): old builds then count as stale.
BUILD_FORMAT = 1


class Author(BaseModel):
    """One entry of history.yaml's `authors`: author and committer of the commits that name it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    email: str


class CommitSpec(BaseModel):
    """One entry of history.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    folder: str | None = None  # the files this commit adds or changes; None: it only deletes
    message: str
    author: str  # a key of `authors`
    # ISO 8601 with offset, used for both author and committer date. A str, not a datetime: quoted in the
    # YAML, so it reaches git exactly as written.
    date: str = Field(pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
    tag: str | None = None
    delete: list[str] = []


class History(BaseModel):
    """history.yaml: who wrote what, in which order."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    authors: dict[str, Author]
    commits: list[CommitSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _authors_known(self) -> History:
        for commit in self.commits:
            if commit.author not in self.authors:
                raise ValueError(f"commit {commit.folder or commit.message!r}: unknown author {commit.author!r}")
        return self


@dataclass(frozen=True)
class Commit:
    """One commit to make, its files read."""

    message: str
    author: tuple[str, str]
    date: str
    files: dict[str, str]  # path -> full new content (files not named stay as they are)
    tag: str | None = None
    delete: tuple[str, ...] = ()


def _walk(folder: Traversable, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(path inside the repository, content) of every file under `folder`."""
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__":  # left by someone running the data's code in place; never content
            continue
        rel = prefix + entry.name
        if entry.is_dir():
            yield from _walk(entry, rel + "/")
        else:
            yield rel, entry.read_bytes().decode("utf-8")


def _history() -> list[Commit]:
    """The commits of isobench/demo/history.yaml with their files' content, oldest first."""
    import yaml  # only when building: `isobench --help` stays fast

    data = resources.files("isobench").joinpath(DATA)
    spec = History.model_validate(yaml.safe_load(data.joinpath(HISTORY_FILE).read_text(encoding="utf-8")))
    history = []
    for c in spec.commits:
        files: dict[str, str] = {}
        if c.folder is not None:
            folder = data.joinpath(c.folder)
            if not folder.is_dir():
                raise RuntimeError(f"{HISTORY_FILE}: folder {c.folder!r} is missing from isobench/{DATA}/")
            files = dict(_walk(folder))
        author = spec.authors[c.author]
        history.append(Commit(c.message, (author.name, author.email), c.date, files, c.tag, tuple(c.delete)))
    return history


def _tags(history: list[Commit]) -> list[str]:
    return [c.tag for c in history if c.tag]


def _spec_hash(history: list[Commit]) -> str:
    """Hash of everything that determines the shas (content, messages, authors, dates, tags)."""
    commits = [[c.message, c.author, c.date, sorted(c.files.items()), c.tag, sorted(c.delete)] for c in history]
    return hashlib.sha256(json.dumps([BUILD_FORMAT, commits], sort_keys=True).encode()).hexdigest()


def _git_env() -> dict[str, str]:
    # Drop inherited GIT_* variables (GIT_DIR from a hook, GIT_AUTHOR_* of the user...) and ignore
    # the global and system configuration: nothing of the user's setup may leak into the shas.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", LC_ALL="C", TZ="UTC")
    return env


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    cmd = [
        "git",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "tag.gpgsign=false",
        "-c",
        "init.defaultBranch=main",
        "-c",
        "core.autocrlf=false",
        "-c",
        "core.fileMode=true",
        *args,
    ]
    proc = subprocess.run(cmd, cwd=repo, env=env or _git_env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {repo}: {proc.stderr.strip()}")
    return proc.stdout.strip()


def _read_marker(dest: Path) -> dict[str, object] | None:
    try:
        data = json.loads((dest / ".git" / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _is_current(dest: Path, spec: str, expected_tags: list[str]) -> dict[str, str] | None:
    """The tag -> sha map if `dest` already holds this exact build, else None."""
    marker = _read_marker(dest)
    if not marker or marker.get("spec") != spec or not isinstance(marker.get("tags"), dict):
        return None
    tags: dict[str, str] = marker["tags"]  # type: ignore[assignment]
    if set(tags) != set(expected_tags):
        return None
    try:
        for tag, sha in tags.items():
            if _git(dest, "rev-parse", "--verify", "-q", f"{tag}^{{commit}}") != sha:
                return None
        if _git(dest, "rev-parse", "--verify", "-q", "main^{commit}") != marker.get("main"):
            return None
    except RuntimeError:
        return None
    return dict(tags)


def _write_history(repo: Path, history: list[Commit]) -> tuple[dict[str, str], str]:
    _git(repo, "init", "-q", "--template=", ".")
    tags: dict[str, str] = {}
    for commit in history:
        for rel in commit.delete:
            if not (repo / rel).is_file():
                title = commit.message.splitlines()[0]
                raise RuntimeError(f"{HISTORY_FILE}: {title!r} deletes {rel!r}, which is not a file at that point")
            (repo / rel).unlink()
        for rel, content in commit.files.items():
            path = repo / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            # Bytes, not text mode: "\n" on every platform, so the blobs, hence the shas, never vary.
            path.write_bytes(content.encode("utf-8"))
        env = _git_env()
        name, email = commit.author
        env.update(
            GIT_AUTHOR_NAME=name,
            GIT_AUTHOR_EMAIL=email,
            GIT_AUTHOR_DATE=commit.date,
            GIT_COMMITTER_NAME=name,
            GIT_COMMITTER_EMAIL=email,
            GIT_COMMITTER_DATE=commit.date,
        )
        _git(repo, "add", "-A", env=env)
        _git(repo, "commit", "-q", "--no-verify", "--cleanup=strip", "-m", commit.message, env=env)
        if commit.tag:
            _git(repo, "tag", commit.tag, env=env)  # lightweight: the tag is the commit sha
            tags[commit.tag] = _git(repo, "rev-parse", "HEAD")
    return tags, _git(repo, "rev-parse", "HEAD")


def build(dest: Path = DEFAULT_DEST, force: bool = False) -> dict[str, str]:
    """Build the demo repository at `dest` (unless it already holds this build); tag -> commit sha.

    An existing `dest` is replaced only if it is an older build of this script or with `force`, so a
    mistyped path never deletes someone's work.
    """
    dest = Path(dest).resolve()
    history = _history()
    spec = _spec_hash(history)
    if not force and dest.exists():
        current = _is_current(dest, spec, _tags(history))
        if current is not None:
            return current
        if _read_marker(dest) is None and (not dest.is_dir() or any(dest.iterdir())):
            raise FileExistsError(f"{dest} exists and is not a demo build; pass --force to replace it")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # Build next to dest and swap it in, so an interrupted build never leaves a half-made repository.
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private (0700); the result is an ordinary folder
    try:
        tags, main = _write_history(tmp, history)
        (tmp / ".git" / MARKER).write_text(json.dumps({"spec": spec, "tags": tags, "main": main}, indent=1))
        if dest.exists() or dest.is_symlink():
            if dest.is_dir() and not dest.is_symlink():
                shutil.rmtree(dest)
            else:
                dest.unlink()
        tmp.rename(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return tags


def main(argv: list[str] | None = None) -> int:
    """The command line: build, print `tag sha` lines; 1 on an error."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "dest", nargs="?", type=Path, default=DEFAULT_DEST, help=f"where to build (default: {DEFAULT_DEST})"
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if dest holds this build")
    args = parser.parse_args(argv)
    try:
        tags = build(args.dest, force=args.force)
    except (FileExistsError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for tag, sha in tags.items():
        print(f"{tag} {sha}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
